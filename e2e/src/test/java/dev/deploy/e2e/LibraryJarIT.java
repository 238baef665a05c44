package dev.deploy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.e2e.programs.channels.HelloTotal;
import dev.deploy.e2e.tester.LocalRunner;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The published library jar ({@code dev.deploy:deploy}) used as a program's build uses it: on a
 * class path with its one dependency, the SLF4J API, and no logging binding. The program spawns,
 * sends records over channels (so the relocated Kryo is exercised in every process) and nothing but
 * its own output comes out: no SLF4J warning from the JVM the user started nor from any JVM the
 * runtime spawned.
 */
class LibraryJarIT {
  private static final Pattern OUTPUT =
      Pattern.compile(
          "\\{\"event\":\"output\",\"pid\":\"[0-9a-f]{7}\",\"fd\":(\\d),\"data\":\"([^\"]*)\"");

  private final List<ProcessHandle> started = new ArrayList<>();
  private Process bridge;

  @AfterEach
  void killEverything() {
    if (bridge != null) {
      started.addAll(bridge.toHandle().descendants().toList());
      bridge.destroyForcibly();
    }
    started.forEach(ProcessHandle::destroyForcibly);
  }

  @Test
  @Timeout(120)
  void givenLibraryAndSlf4jApiWithoutBinding_whenProgramRuns_thenOnlyItsOwnOutput()
      throws Exception {
    String classPath =
        String.join(
            File.pathSeparator,
            existing("deploy.library").toString(),
            existing("deploy.slf4j.api").toString(),
            LocalRunner.programClasses().toString());
    ProcessBuilder builder =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            classPath,
            HelloTotal.class.getName());
    builder.environment().keySet().removeIf(k -> k.startsWith("DEPLOY_") || k.endsWith("_OPTIONS"));
    builder.environment().put("DEPLOY_FORMAT", "json");
    bridge = builder.start();
    CompletableFuture<String> stdout = readAll(bridge.getInputStream());
    CompletableFuture<String> stderr = readAll(bridge.getErrorStream());

    assertThat(bridge.waitFor(100, SECONDS)).as("the run ended").isTrue();
    assertThat(stderr.get(5, SECONDS)).as("the bridge's stderr").isEmpty();
    StringBuilder processesOut = new StringBuilder();
    StringBuilder processesErr = new StringBuilder();
    Matcher m = OUTPUT.matcher(stdout.get(5, SECONDS));
    while (m.find()) {
      String data = new String(Base64.getDecoder().decode(m.group(2)), UTF_8);
      (m.group(1).equals("1") ? processesOut : processesErr).append(data);
    }
    assertThat(processesErr.toString()).as("what the processes wrote on stderr").isEmpty();
    assertThat(processesOut.toString())
        .contains("total 4500!\n")
        .contains("hello worker 0!\n", "hello worker 9!\n");
    assertThat(bridge.exitValue()).as("the bridge's exit code").isZero();
  }

  @Test
  @Timeout(30)
  void givenLibraryJar_whenListed_thenBundledLibrariesRelocatedAndLicencesInside()
      throws IOException {
    try (JarFile jar = new JarFile(existing("deploy.library").toFile())) {
      List<String> names = jar.stream().map(e -> e.getName()).toList();

      assertThat(names)
          .as("classes outside dev/deploy")
          .filteredOn(n -> n.endsWith(".class") && !n.startsWith("dev/deploy/"))
          .isEmpty();
      assertThat(names)
          .contains(
              "dev/deploy/shaded/com/esotericsoftware/kryo/Kryo.class",
              "dev/deploy/shaded/org/objenesis/Objenesis.class",
              "META-INF/LICENSE",
              "META-INF/NOTICE",
              "META-INF/licenses/kryo-LICENSE.txt",
              "META-INF/licenses/reflectasm-LICENSE.txt",
              "META-INF/licenses/asm-LICENSE.txt",
              "META-INF/licenses/minlog-LICENSE.txt",
              "META-INF/licenses/objenesis-LICENSE.txt")
          .noneMatch(n -> n.startsWith("META-INF/services/org.slf4j"));
      assertThat(jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name"))
          .isEqualTo("dev.deploy");
    }
  }

  private static Path existing(String property) {
    String value = System.getProperty(property);
    assertThat(value).as("system property " + property + " (set by failsafe)").isNotBlank();
    Path path = Path.of(value);
    assertThat(Files.isRegularFile(path)).as(path + " exists").isTrue();
    return path;
  }

  private static CompletableFuture<String> readAll(java.io.InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            return new String(in.readAllBytes(), UTF_8);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }
}
