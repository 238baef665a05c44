package dev.deploy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.Tool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Programs started by a launcher whose JVM a local run cannot repeat for its processes: {@code
 * init} names the launcher and says what to use instead, in one line, and exits 2.
 */
class LaunchersIT {
  private static final String HELLO =
      """
      import dev.deploy.Deploy;
      import dev.deploy.Resources;

      public class Hello {
        public static void main(String[] args) {
          Deploy.init(Resources.DEFAULT);
          Deploy.spawn(Hello::greet, "hello", Resources.DEFAULT).orElseThrow();
        }

        static void greet(dev.deploy.Pid parent, String greeting) {
          System.out.println(greeting + " from a spawned process");
        }
      }
      """;

  @Test
  @Timeout(120)
  void givenSingleFileSourceLauncher_whenInit_thenOneSentenceSaysCompileAndExit2(@TempDir Path dir)
      throws IOException {
    Files.writeString(dir.resolve("Hello.java"), HELLO);

    Tool.Result r =
        Tool.exec(
            Duration.ofSeconds(90),
            List.of(
                java(),
                "-cp",
                LocalRunner.deployJar().toString(),
                dir.resolve("Hello.java").toString()),
            dir,
            Map.of());

    assertThat(r.exitCode()).as(r.context()).isEqualTo(2);
    assertThat(r.stdout()).as(r.context()).isEmpty();
    // Before init said so, the program started and its first spawn failed with a stack trace.
    assertThat(r.stderr())
        .as(r.context())
        .startsWith("deploy: init() runs in a program started by the single-file source launcher")
        .contains("javac")
        .hasLineCount(1);
  }

  @Test
  @Timeout(120)
  void givenTheSameProgramCompiled_whenJavaCp_thenItRuns(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("Hello.java"), HELLO);
    String cp = LocalRunner.deployJar().toString();
    Tool.Result javac =
        Tool.exec(
            Duration.ofSeconds(90),
            List.of(javac(), "-cp", cp, "-d", "classes", "Hello.java"),
            dir,
            Map.of());
    assertThat(javac.exitCode()).as(javac.context()).isZero();

    Tool.Result r =
        Tool.exec(
            Duration.ofSeconds(90),
            List.of(java(), "-cp", cp + java.io.File.pathSeparator + "classes", "Hello"),
            dir,
            Map.of());

    assertThat(r.exitCode()).as(r.context()).isZero();
    assertThat(r.stdout()).as(r.context()).contains("hello from a spawned process");
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String javac() {
    return Path.of(System.getProperty("java.home"), "bin", "javac").toString();
  }
}
