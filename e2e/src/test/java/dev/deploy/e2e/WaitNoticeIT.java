package dev.deploy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.e2e.programs.resources.WaitsForRoom;
import dev.deploy.e2e.tester.Cluster;
import dev.deploy.e2e.tester.ClusterCleanup;
import dev.deploy.e2e.tester.ClusterLayout;
import dev.deploy.e2e.tester.ClusterRunner;
import dev.deploy.e2e.tester.Clusters;
import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.ObservedProcess;
import dev.deploy.e2e.tester.ProcessCleanup;
import dev.deploy.e2e.tester.ProcessTree;
import dev.deploy.e2e.tester.Run;
import dev.deploy.e2e.tester.RunOptions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a tool reads of a run: every JSON event carries {@code "ts"}, on a cluster {@code "node"},
 * and a spawn that waits for room more than a second says what it waits for and where it then
 * starts, in both formats. Each test cleans up what it started (its parameter's extension).
 */
class WaitNoticeIT {
  @Test
  @Timeout(90)
  @ExtendWith(ProcessCleanup.class)
  void givenSpawnWaitingForRoom_whenJson_thenWaitAndPlacedEventsWithTs(LocalRunner runner) {
    Run run = runner.run(WaitsForRoom.class, WaitsForRoom.RUN);

    assertThat(run.exitCode()).as(run.context()).isZero();
    ProcessTree tree = run.tree(); // which refuses a line without "ts"
    String root = tree.root().pid();
    assertThat(tree.node(root)).as("node of a local run's process").isNull();
    List<Map<String, Object>> notices = tree.notices();
    assertThat(notices).extracting(e -> e.get("event")).containsExactly("wait", "placed");
    assertThat(notices.get(0))
        .containsEntry("pid", root)
        .containsEntry("resources", WaitsForRoom.CHILD_TEXT);
    assertThat(notices.get(1)).containsEntry("pid", root).containsEntry("on", "local");
    assertThat(((Number) notices.get(1).get("waited_ms")).longValue()).isGreaterThanOrEqualTo(1000);
    assertThat(notices).allSatisfy(e -> assertThat(e.get("ts")).isInstanceOf(Long.class));
  }

  @Test
  @Timeout(90)
  @ExtendWith(ProcessCleanup.class)
  void givenSpawnWaitingForRoom_whenHuman_thenWaitingAndStartingLinesUnderTheParent(
      LocalRunner runner) {
    Run run = runner.run(WaitsForRoom.class, WaitsForRoom.RUN.human());

    assertThat(run.exitCode()).as(run.context()).isZero();
    assertThat(run.stderrText())
        .contains("    waiting for " + WaitsForRoom.CHILD_TEXT + ": no machine has room\n")
        .containsPattern("    waited \\d+\\.\\d s for [^;]+; starting on local\n");
  }

  @Test
  @Timeout(180)
  @ExtendWith(ClusterCleanup.class)
  void givenClusterRun_whenJson_thenEveryEventNamesItsNodeAndThePlacedOneWhereTheChildRan(
      Clusters clusters) {
    Cluster cluster =
        clusters.start(
            ClusterLayout.of("1GiB", "1", new ClusterLayout.Machine("127.0.0.2", "1GiB", "1")));
    ClusterRunner runner = cluster.runner();

    Run run = runner.run(WaitsForRoom.class, RunOptions.defaults());

    assertThat(run.exitCode()).as(run.context()).isZero();
    ProcessTree tree = run.tree();
    ObservedProcess root = tree.root();
    assertThat(tree.node(root.pid())).isEqualTo("master");
    ObservedProcess last = root.children().get(root.children().size() - 1);
    assertThat(tree.node(last.pid())).startsWith("127.0.0.2:");
    assertThat(tree.pids()).allSatisfy(pid -> assertThat(tree.node(pid)).isNotNull());
    assertThat(tree.notices()).extracting(e -> e.get("event")).containsExactly("wait", "placed");
    assertThat(tree.notices().get(1)).containsEntry("on", tree.node(last.pid()));
  }
}
