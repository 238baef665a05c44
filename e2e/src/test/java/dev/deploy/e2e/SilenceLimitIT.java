package dev.deploy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.e2e.programs.silence.FrozenChild;
import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.ProcessCleanup;
import dev.deploy.e2e.tester.Run;
import dev.deploy.e2e.tester.RunOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Failure detection follows the run's {@code DEPLOY_SILENCE_LIMIT}: a child stopped with SIGSTOP
 * for 4 s is lost about 2 s after the stop with a limit of 2 s, and answers once resumed at the
 * default of 10 s. Real JVMs on loopback; the program stops and resumes its child by pid, and every
 * process of a run is killed after the test (a stopped one too).
 */
@ExtendWith(ProcessCleanup.class)
class SilenceLimitIT {
  @Test
  @Timeout(90)
  void givenSilenceLimitOfTwoSeconds_whenAChildIsStoppedForFour_thenLostAboutTwoSecondsIn(
      LocalRunner runner) {
    Run run =
        runner
            .start(FrozenChild.class, RunOptions.defaults().env("DEPLOY_SILENCE_LIMIT", "2s"))
            .await();

    String[] line = parentLine(run);
    assertThat(line[0]).as(run.context()).isEqualTo("LOST");
    assertThat(Long.parseLong(line[1]))
        .as("ms from the stop to LOST: %s", run.context())
        .isBetween(1_500L, FrozenChild.FROZEN_MILLIS - 500); // 2 s, give or take a heartbeat
    assertThat(run.exitCode()).as(run.context()).isZero();
  }

  @Test
  @Timeout(90)
  void givenTheDefaultLimit_whenAChildIsStoppedForFour_thenItAnswersOnceResumed(
      LocalRunner runner) {
    Run run = runner.start(FrozenChild.class, RunOptions.defaults()).await();

    String[] line = parentLine(run);
    assertThat(line[0]).as(run.context()).isEqualTo("answered");
    assertThat(Long.parseLong(line[1])).as(run.context()).isGreaterThanOrEqualTo(4_000L);
    assertThat(run.exitCode()).as(run.context()).isZero();
  }

  @Test
  @Timeout(60)
  void givenSilenceLimitBelowOneSecond_whenRun_thenExit2WithOneSentence(LocalRunner runner) {
    Run run =
        runner
            .start(FrozenChild.class, RunOptions.defaults().env("DEPLOY_SILENCE_LIMIT", "500ms"))
            .await();

    assertThat(run.exitCode()).as(run.context()).isEqualTo(2);
    assertThat(run.stderrText().strip())
        .isEqualTo(
            "deploy: DEPLOY_SILENCE_LIMIT: \"500ms\" is outside the silence limit's range of 1 s"
                + " to 10 min");
  }

  /** The parent's {@code how millis} after {@link FrozenChild#LINE}. */
  private static String[] parentLine(Run run) {
    for (String out : run.tree().stdoutSoFar().values()) {
      for (String l : out.split("\n")) {
        if (l.startsWith(FrozenChild.LINE + " ")) {
          return l.substring(FrozenChild.LINE.length()).strip().split(" ");
        }
      }
    }
    throw new AssertionError("the parent printed no line: " + run.context());
  }
}
