package dev.deploy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.e2e.programs.limits.NativeMemoryHog;
import dev.deploy.e2e.programs.limits.PrintCgroups;
import dev.deploy.e2e.programs.limits.SubprocessOverLimit;
import dev.deploy.e2e.tester.Capability;
import dev.deploy.e2e.tester.Cluster;
import dev.deploy.e2e.tester.ClusterCleanup;
import dev.deploy.e2e.tester.ClusterLayout;
import dev.deploy.e2e.tester.Clusters;
import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.ObservedProcess;
import dev.deploy.e2e.tester.Outcome;
import dev.deploy.e2e.tester.ProcessCleanup;
import dev.deploy.e2e.tester.Run;
import dev.deploy.e2e.tester.RunOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Per-process cgroups, on by default in a local run as on a cluster's fabrics: each process is in a
 * group of its own with its memory as the limit, its subprocesses are in it too, a process over its
 * memory is killed by the kernel and reported as killed by its memory limit, and the run goes on.
 * Skipped where this machine does not let us make cgroups (the run says why on stderr), except
 * under {@code CI=true}, where that fails ({@link Capability}).
 */
@ExtendWith({ProcessCleanup.class, ClusterCleanup.class})
class CgroupIT {
  /** The line a run prints on stderr when it cannot make cgroups. */
  private static final String WITHOUT = "processes run without cgroups";

  @Test
  @Timeout(120)
  void givenChildWhoseSubprocessGoesOverItsMemory_whenRunLocally_thenKilledByMemoryLimit(
      LocalRunner runner) {
    Run run = runner.start(SubprocessOverLimit.class, RunOptions.defaults()).await();

    requireCgroups(run.stderrText());
    assertKilledByMemoryLimitAndRunGoesOn(run);
  }

  @Test
  @Timeout(120)
  void givenChildOverItsMemory_whenRunInHumanFormat_thenKilledLineNamesTheLimit(
      LocalRunner runner) {
    Run run =
        runner
            .start(NativeMemoryHog.class, RunOptions.defaults().human())
            .await(Duration.ofSeconds(90));

    requireCgroups(run.stderrText());
    assertThat(run.stderrText())
        .as(run.context())
        .contains("killed: SIGKILL (memory limit 128 MiB)")
        .containsOnlyOnce("killed: ");
    assertThat(run.stdoutText())
        .as(run.context())
        .contains("the hog ended: LOST")
        .doesNotContain("nothing limits this process");
    assertThat(run.exitCode()).as(run.context()).isEqualTo(137);
  }

  @Test
  @Timeout(60)
  void givenDefaultRun_whenChildStartsASubprocess_thenBothInTheChildsOwnGroup(LocalRunner runner) {
    Run run = runner.run(PrintCgroups.class, RunOptions.defaults());

    requireCgroups(run.stderrText());
    String[] parts = onlyChild(run).stdoutText().split("--\n", -1);
    assertThat(parts).as(run.context()).hasSize(2);
    assertThat(parts[0]).as(run.context()).contains("/deploy-").contains("/p-");
    assertThat(parts[1]).as("the subprocess inherits the child's groups").isEqualTo(parts[0]);
    assertThat(run.stderrText()).as(run.context()).isEmpty();
    assertThat(run.exitCode()).as(run.context()).isZero();
  }

  @Test
  @Timeout(60)
  void givenCgroupsZero_whenRun_thenNoGroupsAndNothingSaid(LocalRunner runner) {
    Run run = runner.run(PrintCgroups.class, RunOptions.defaults().env("DEPLOY_CGROUPS", "0"));

    assertThat(onlyChild(run).stdoutText()).as(run.context()).doesNotContain("/deploy-");
    assertThat(run.stderrText()).as(run.context()).isEmpty();
    assertThat(run.exitCode()).as(run.context()).isZero();
  }

  /**
   * The same through a cluster: the first process on the master (512 MiB free against 300), the
   * child on the worker, whose exit crosses the master↔worker link and the bridge↔deploy link.
   */
  @Test
  @Timeout(180)
  void givenChildWhoseSubprocessGoesOverItsMemory_whenDeployed_thenKilledByMemoryLimit(
      Clusters clusters) {
    Cluster cluster =
        clusters.start(
            ClusterLayout.of("512MiB", "1", new ClusterLayout.Machine("127.0.0.2", "300MiB", "1")));

    Run run = cluster.runner().start(SubprocessOverLimit.class, RunOptions.defaults()).await();

    requireCgroups(cluster.logs());
    assertKilledByMemoryLimitAndRunGoesOn(run);
  }

  private static void assertKilledByMemoryLimitAndRunGoesOn(Run run) {
    ObservedProcess child = onlyChild(run);
    assertThat(child.outcome()).as(run.context()).isEqualTo(Outcome.killedBy("SIGKILL"));
    assertThat(child.exitReason()).as(run.context()).isEqualTo("memory-limit");
    assertThat(child.stdoutText()).as(run.context()).doesNotContain("nothing limits");
    assertThat(run.tree().root().stdoutText())
        .as(run.context())
        .isEqualTo("the child ended: LOST\n");
    assertThat(run.tree().root().outcome()).as(run.context()).isEqualTo(Outcome.exited(0));
    assertThat(run.exitCode()).as(run.context()).isEqualTo(137);
  }

  private static ObservedProcess onlyChild(Run run) {
    assertThat(run.tree().root()).as(run.context()).isNotNull();
    assertThat(run.tree().root().children()).as(run.context()).hasSize(1);
    return run.tree().root().children().get(0);
  }

  private static void requireCgroups(String said) {
    Capability.require(!said.contains(WITHOUT), "no cgroups on this machine: " + said.strip());
  }
}
