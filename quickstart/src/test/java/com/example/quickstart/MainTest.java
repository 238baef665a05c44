package com.example.quickstart;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the program end to end as you would from a shell: {@code java -cp <classes>:<its
 * dependencies> com.example.quickstart.Main}, then checks what it printed.
 */
class MainTest {
  /**
   * What deploy itself writes on stderr in its human format: a {@code <pid>:} header, {@code
   * spawned: <pid>} and {@code exited: 0} lines, and the indentation of each line of output.
   */
  private static final Pattern RUNTIME_LINE =
      Pattern.compile("\\s*([0-9a-f]{7}:|spawned: [0-9a-f]{7}|exited: 0)?\\s*");

  private Process run;

  @AfterEach
  void stopWhatIsLeft() {
    if (run != null) {
      run.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      run.destroyForcibly();
    }
  }

  @Test
  @Timeout(120)
  void givenThreeWords_whenMainRuns_thenEachWorkerCountsOneAndMainPrintsTheTotal()
      throws Exception {
    String classPath =
        System.getProperty("quickstart.classes")
            + File.pathSeparator
            + Files.readString(Path.of(System.getProperty("quickstart.classpath"))).strip();
    ProcessBuilder builder =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            classPath,
            Main.class.getName(),
            "spawn",
            "send",
            "receive");
    builder.environment().keySet().removeIf(k -> k.startsWith("DEPLOY_"));
    run = builder.start();
    CompletableFuture<String> stdout = readAll(run.getInputStream());
    CompletableFuture<String> stderr = readAll(run.getErrorStream());

    assertTrue(run.waitFor(100, TimeUnit.SECONDS), "the program ended");
    List<String> out = stdout.get(5, TimeUnit.SECONDS).lines().toList();
    String err = stderr.get(5, TimeUnit.SECONDS);
    assertEquals(0, run.exitValue(), () -> "exit code; stderr:\n" + err);
    // stdout holds exactly what the processes printed; the workers' lines come in any order.
    assertEquals(
        List.of("counting receive", "counting send", "counting spawn"),
        out.stream().filter(l -> l.startsWith("counting ")).sorted().toList());
    assertEquals(
        List.of("spawn: 5 letters", "send: 4 letters", "receive: 7 letters", "total: 16 letters"),
        out.stream().filter(l -> !l.startsWith("counting ")).toList());
    // stderr holds deploy's headers and nothing else: no warning from any of the four JVMs.
    for (String line : err.lines().toList()) {
      assertTrue(RUNTIME_LINE.matcher(line).matches(), () -> "unexpected on stderr: " + line);
    }
  }

  private static CompletableFuture<String> readAll(InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            return new String(in.readAllBytes(), UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }
}
