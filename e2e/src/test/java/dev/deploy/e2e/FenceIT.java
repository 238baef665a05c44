package dev.deploy.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.deploy.e2e.programs.cleanup.GrandchildrenLeft;
import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.ProcessCleanup;
import dev.deploy.e2e.tester.Run;
import dev.deploy.e2e.tester.RunOptions;
import dev.deploy.e2e.tester.RunningProgram;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Processes are fenced: what a task starts itself (a {@code sleep}, one that ignores SIGTERM, one a
 * shell left behind) does not outlive the run, whether the run ends or the bridge is killed with
 * SIGKILL. Needs util-linux's {@code setsid} and {@code setpriv} (Linux); skipped without them.
 */
@ExtendWith(ProcessCleanup.class)
class FenceIT {
  /** The grandchildren's pids as the task printed them; killed after the test if still sleeping. */
  private final List<Long> printed = new ArrayList<>();

  @BeforeEach
  void requireUtilLinux() {
    assumeTrue(
        onPath("setsid") && onPath("setpriv"),
        "util-linux's setsid and setpriv are not on the PATH: processes are not fenced here");
  }

  @AfterEach
  void killPrintedGrandchildren() {
    for (long pid : printed) {
      ProcessHandle.of(pid)
          .filter(h -> h.info().command().map(c -> c.endsWith("sleep")).orElse(false))
          .ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  @Timeout(90)
  void givenTaskLeftGrandchildren_whenRunEnds_thenGrandchildrenGoneWithinSeconds(
      LocalRunner runner) {
    Run run = runner.start(GrandchildrenLeft.class, RunOptions.defaults().args("exit")).await();

    printed.addAll(
        pids(run.tree().stdoutSoFar().values())
            .orElseThrow(() -> new AssertionError("no grandchildren line: " + run.context())));

    awaitGone(printed);
  }

  @Test
  @Timeout(90)
  void givenTaskWithGrandchildren_whenBridgeGetsSigkill_thenGrandchildrenGoneWithinSeconds(
      LocalRunner runner) {
    RunningProgram running =
        runner.start(GrandchildrenLeft.class, RunOptions.defaults().args("stay"));
    await()
        .atMost(30, SECONDS)
        .until(
            () ->
                pids(running.tree().stdoutSoFar().values()).isPresent()
                    || !running.handle().isAlive());
    printed.addAll(
        pids(running.tree().stdoutSoFar().values())
            .orElseThrow(
                () ->
                    new AssertionError("the run ended before its task printed its grandchildren")));
    assertThat(printed).allSatisfy(pid -> assertThat(isRunning(pid)).as("pid " + pid).isTrue());

    running.handle().destroyForcibly();

    awaitGone(printed);
  }

  private static void awaitGone(List<Long> pids) {
    assertThat(pids).hasSize(3);
    await()
        .atMost(5, SECONDS)
        .untilAsserted(
            () ->
                assertThat(pids)
                    .as("grandchildren still running")
                    .filteredOn(FenceIT::isRunning)
                    .isEmpty());
  }

  /** The pids on the task's {@code grandchildren} line, if it printed it. */
  private static Optional<List<Long>> pids(Collection<String> outputs) {
    for (String out : outputs) {
      for (String line : out.split("\n")) {
        if (line.startsWith(GrandchildrenLeft.LINE + " ")) {
          List<Long> pids = new ArrayList<>();
          for (String p : line.substring(GrandchildrenLeft.LINE.length()).strip().split(" ")) {
            pids.add(Long.parseLong(p));
          }
          return Optional.of(pids);
        }
      }
    }
    return Optional.empty();
  }

  /** Whether {@code pid} runs and is not a zombie. */
  private static boolean isRunning(long pid) {
    return ProcessHandle.of(pid).map(RunningProgram::isRunning).orElse(false);
  }

  private static boolean onPath(String name) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
        return true;
      }
    }
    return false;
  }
}
