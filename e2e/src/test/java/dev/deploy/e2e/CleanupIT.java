package dev.deploy.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.deploy.e2e.programs.cleanup.SleepingChildren;
import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.ProcessCleanup;
import dev.deploy.e2e.tester.Run;
import dev.deploy.e2e.tester.RunOptions;
import dev.deploy.e2e.tester.RunningProgram;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Nothing outlives the run: whichever way the bridge ends (SIGKILL, SIGINT as from Ctrl-C,
 * SIGTERM), the processes of its run are gone within a second. (That a child killed mid-output
 * loses nothing it wrote is {@code programs.output.LinesThenSigkill}, in the suite.)
 */
@ExtendWith(ProcessCleanup.class)
class CleanupIT {
  /** The first process and its children, all asleep. */
  private static final int PROCESSES = 1 + SleepingChildren.CHILDREN;

  @Test
  @Timeout(60)
  void givenSleepingChildren_whenBridgeGetsSigkill_thenAllGoneWithinOneSecond(LocalRunner runner) {
    RunningProgram running = runner.start(SleepingChildren.class, RunOptions.defaults());
    List<ProcessHandle> processes = awaitAllAsleep(running);

    running.handle().destroyForcibly();

    awaitAllGone(processes);
  }

  @Test
  @Timeout(60)
  void givenSleepingChildren_whenBridgeGetsSigint_thenAllGoneAndBridgeFails(LocalRunner runner)
      throws Exception {
    RunningProgram running = runner.start(SleepingChildren.class, RunOptions.defaults());
    List<ProcessHandle> processes = awaitAllAsleep(running);
    assumeFalse(
        ignoresSigint(running.handle().pid()),
        "the bridge inherited SIGINT ignored (a background shell does that): Ctrl-C cannot reach"
            + " it");

    kill("-INT", running.handle().pid());

    awaitAllGone(processes);
    assertBridgeFailedCleanly(running.await(Duration.ofSeconds(10)));
  }

  @Test
  @Timeout(60)
  void givenSleepingChildren_whenBridgeGetsSigterm_thenAllGoneAndBridgeFails(LocalRunner runner) {
    RunningProgram running = runner.start(SleepingChildren.class, RunOptions.defaults());
    List<ProcessHandle> processes = awaitAllAsleep(running);

    running.handle().destroy();

    awaitAllGone(processes);
    assertBridgeFailedCleanly(running.await(Duration.ofSeconds(10)));
  }

  /**
   * Waits until the first process and its three children are spawned and the first process said so,
   * then returns the bridge's descendants: every JVM of the run.
   */
  private static List<ProcessHandle> awaitAllAsleep(RunningProgram running) {
    await()
        .atMost(30, SECONDS)
        .until(() -> running.tree().size() == PROCESSES || !running.handle().isAlive());
    assertThat(running.handle().isAlive()).as("the bridge is running").isTrue();
    List<ProcessHandle> processes = running.descendants();
    assertThat(processes).as("the bridge's descendants").hasSizeGreaterThanOrEqualTo(PROCESSES);
    return processes;
  }

  private static void awaitAllGone(List<ProcessHandle> processes) {
    await()
        .atMost(2, SECONDS)
        .untilAsserted(
            () ->
                assertThat(processes)
                    .as("processes of the run still running")
                    .filteredOn(RunningProgram::isRunning)
                    .isEmpty());
  }

  private static void assertBridgeFailedCleanly(Run run) {
    assertThat(run.timedOut()).as(run.context()).isFalse();
    assertThat(run.exitCode()).as(run.context()).isNotZero();
    assertThat(run.tree().violations(false)).as(run.context()).isEmpty();
    assertThat(run.survivors()).as(run.context()).isEmpty();
  }

  /** Whether the process ignores SIGINT (bit 2 of SigIgn in /proc/pid/status). */
  private static boolean ignoresSigint(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseUnsignedLong(line.substring("SigIgn:".length()).strip(), 16) & 0x2) != 0;
      }
    }
    return false;
  }

  private static void kill(String signal, long pid) throws IOException, InterruptedException {
    int status = new ProcessBuilder("kill", signal, String.valueOf(pid)).start().waitFor();
    assertThat(status).as("kill " + signal + " " + pid).isZero();
  }
}
