package dev.deploy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.deploy.e2e.programs.limits.NativeMemoryHog;
import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.ProcessCleanup;
import dev.deploy.e2e.tester.Run;
import dev.deploy.e2e.tester.RunOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Per-process cgroups, as a fabric makes them (here the local run's, turned on with {@code
 * DEPLOY_CGROUPS=1}; cluster workers run the same code): a process over its memory is killed by the
 * kernel, reported as killed for its memory, and the run goes on. Skipped where this machine does
 * not let us make cgroups (the run says why on stderr).
 */
@ExtendWith(ProcessCleanup.class)
class CgroupIT {
  @Test
  @Timeout(120)
  void givenChildOverItsMemory_whenCgroupsOn_thenKilledAsOutOfMemoryAndRunGoesOn(
      LocalRunner runner) {
    Run run =
        runner
            .start(NativeMemoryHog.class, RunOptions.defaults().env("DEPLOY_CGROUPS", "1").human())
            .await(Duration.ofSeconds(90));

    assumeFalse(
        run.stderrText().contains("processes run without cgroups"),
        "no cgroups here: " + run.stderrText());
    assertThat(run.stderrText()).as(run.context()).contains("killed: SIGKILL (out of memory)");
    assertThat(run.stdoutText())
        .as(run.context())
        .contains("the hog ended: LOST")
        .doesNotContain("nothing limits this process");
    assertThat(run.exitCode()).as(run.context()).isEqualTo(137);
  }
}
