package dev.deploy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.e2e.programs.channels.UnfinishedExit;
import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.ProcessCleanup;
import dev.deploy.e2e.tester.Run;
import dev.deploy.e2e.tester.RunOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A channel ends EXITED only when nothing its sender sent is missing: a sender that exits with a
 * value its receiver never acknowledged (the receiver stopped with SIGSTOP meanwhile) is LOST to
 * that receiver, which asks the fabric once resumed. Real JVMs on loopback; every process of the
 * run is killed after the test (a stopped one too).
 */
@ExtendWith(ProcessCleanup.class)
class ExitFatesIT {
  @Test
  @Timeout(120)
  void givenSenderExitsWithAValueUnacknowledged_whenItsReceiverAsksLater_thenLostNotExited(
      LocalRunner runner) {
    Run run = runner.start(UnfinishedExit.class, RunOptions.defaults()).await();

    assertThat(parentLine(run)).as(run.context()).isEqualTo("LOST");
    assertThat(run.exitCode()).as(run.context()).isZero();
  }

  /** What follows {@link UnfinishedExit#LINE} in the parent's output. */
  private static String parentLine(Run run) {
    for (String out : run.tree().stdoutSoFar().values()) {
      for (String l : out.split("\n")) {
        if (l.startsWith(UnfinishedExit.LINE + " ")) {
          return l.substring(UnfinishedExit.LINE.length()).strip();
        }
      }
    }
    throw new AssertionError("the parent printed no line: " + run.context());
  }
}
