package dev.deploy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.e2e.programs.output.ParentAndChildPrint;
import dev.deploy.e2e.tester.LocalRunner;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The human format wherever a shell sends the bridge's streams: each redirected alone to a file,
 * both into one file ({@code >file 2>&1}), and a terminal (a tmux pane). Apart, each stream reads
 * well alone; in one place, the merged view with every line under its process's header.
 */
class RedirectedOutputIT {
  private static final Pattern HEADER = Pattern.compile("[0-9a-f]{7}:");

  @TempDir Path dir;

  /** Processes this test started, killed with their descendants after it. */
  private final List<Process> started = new ArrayList<>();

  /** The tmux server this test started, by its socket name; null if none. */
  private String tmuxSocket;

  @AfterEach
  void killWhatWasStarted() throws Exception {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (tmuxSocket != null) {
      new ProcessBuilder("tmux", "-L", tmuxSocket, "kill-server")
          .redirectErrorStream(true)
          .start()
          .waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(60)
  void givenStdoutInAFile_whenRun_thenFileHoldsBareStdoutAndStderrNoStrayIndent() throws Exception {
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    run(new ProcessBuilder(command()).redirectOutput(out.toFile()).redirectError(err.toFile()));

    assertThat(lines(out)).containsExactlyInAnyOrder("parent says hi", "child says hi");
    assertStderrReadsAlone(Files.readString(err));
  }

  @Test
  @Timeout(60)
  void givenOnlyStderrInAFile_whenRun_thenFileHoldsOnlyHeadersEventsAndStderrLines()
      throws Exception {
    Path err = dir.resolve("err.txt");
    Process p = start(new ProcessBuilder(command()).redirectError(err.toFile()));
    String stdout = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertThat(p.waitFor()).isZero();

    assertThat(stdout.split("\n")).containsExactlyInAnyOrder("parent says hi", "child says hi");
    assertStderrReadsAlone(Files.readString(err));
  }

  @Test
  @Timeout(60)
  void givenBothStreamsInOneFile_whenRun_thenMergedViewWithEveryLineIndented() throws Exception {
    Path all = dir.resolve("all.txt");
    run(new ProcessBuilder(command()).redirectErrorStream(true).redirectOutput(all.toFile()));

    assertMergedView(Files.readString(all));
  }

  @Test
  @Timeout(90)
  void givenATerminal_whenRun_thenMergedViewWithEveryLineIndented() throws Exception {
    assumeThat(onPath("tmux")).as("tmux is not installed: the terminal case is skipped").isTrue();
    tmuxSocket = "deploy-it-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    Path done = dir.resolve("done");
    StringBuilder shell = new StringBuilder();
    for (String word : command()) {
      shell.append('\'').append(word.replace("'", "'\\''")).append("' ");
    }
    shell.append("; echo $? > '").append(done).append("'; exec sleep 60");
    start(
        new ProcessBuilder(
                "tmux",
                "-L",
                tmuxSocket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "200",
                "-y",
                "50",
                "env",
                "NO_COLOR=1",
                "TERM=xterm",
                "sh",
                "-c",
                shell.toString())
            .redirectErrorStream(true));
    await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(done) && Files.size(done) > 0);
    assertThat(Files.readString(done).strip()).isEqualTo("0");
    Process capture =
        start(new ProcessBuilder("tmux", "-L", tmuxSocket, "capture-pane", "-p", "-J"));
    String screen = new String(capture.getInputStream().readAllBytes(), UTF_8);
    capture.waitFor();

    assertMergedView(screen.strip() + "\n");
  }

  /** Stderr read alone: headers, then only indented lines; no bare indentation anywhere. */
  private static void assertStderrReadsAlone(String stderr) {
    for (String line : stderr.split("\n")) {
      assertThat(HEADER.matcher(line).matches() || line.matches("    \\S.*"))
          .as("stderr line \"%s\" in:%n%s", line, stderr)
          .isTrue();
    }
    assertThat(stderr).contains("    parent warns\n", "    child warns\n", "    exited: 0\n");
    assertThat(stderr).doesNotContain("says hi");
  }

  /** Every line is a header or indented, stdout lines included, in the order they came. */
  private static void assertMergedView(String text) {
    for (String line : text.split("\n")) {
      assertThat(HEADER.matcher(line).matches() || line.matches("    \\S.*"))
          .as("line \"%s\" in:%n%s", line, text)
          .isTrue();
    }
    assertThat(text)
        .contains("    parent says hi\n", "    child says hi\n", "    parent warns\n")
        .contains("    child warns\n", "    exited: 0\n");
  }

  private void run(ProcessBuilder builder) throws Exception {
    Process p = start(builder);
    assertThat(p.waitFor()).isZero();
  }

  private Process start(ProcessBuilder builder) throws IOException {
    builder.environment().keySet().removeIf(name -> name.startsWith("DEPLOY_"));
    Process p = builder.start();
    started.add(p);
    return p;
  }

  private static List<String> command() {
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp",
        LocalRunner.deployJar() + File.pathSeparator + LocalRunner.programClasses(),
        ParentAndChildPrint.class.getName());
  }

  private static List<String> lines(Path file) throws IOException {
    return Files.readAllLines(file);
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
