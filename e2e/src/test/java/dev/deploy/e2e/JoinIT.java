package dev.deploy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.e2e.programs.cluster.LoseOneMachine;
import dev.deploy.e2e.programs.cluster.Spread;
import dev.deploy.e2e.programs.exits.Success;
import dev.deploy.e2e.tester.Cluster;
import dev.deploy.e2e.tester.ClusterCleanup;
import dev.deploy.e2e.tester.ClusterLayout;
import dev.deploy.e2e.tester.ClusterRunner;
import dev.deploy.e2e.tester.Clusters;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.ObservedProcess;
import dev.deploy.e2e.tester.ProgramCase;
import dev.deploy.e2e.tester.Run;
import dev.deploy.e2e.tester.RunOptions;
import dev.deploy.e2e.tester.RunningProgram;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Workers that join their master ({@code fabric --master}), each a real {@code java -jar
 * deploy.jar} on its own loopback address (127.0.0.2 and 127.0.0.3 advertised), killed with
 * everything under it after the test: a program placed across the joined machines, a worker killed
 * (its processes {@code LOST}, the run goes on) and restarted under the same name taking new
 * spawns, a master that only places ({@code 0 0}), and {@code --exit-after} when the master dies.
 */
@ExtendWith(ClusterCleanup.class)
class JoinIT {
  private static final String VICTIM = "127.0.0.2";
  private static final Set<String> ALL_HOSTS = Set.of("127.0.0.1", VICTIM, "127.0.0.3");

  @Test
  @Timeout(180)
  void givenTwoJoinedWorkers_whenOneIsKilledAndRestarted_thenItsChildIsLostAndItTakesNewSpawns(
      Clusters clusters) {
    Cluster cluster = clusters.startJoining(ClusterLayout.THREE_SMALL_MACHINES, List.of());
    ClusterRunner runner = cluster.runner();
    RunningProgram running =
        runner.start(LoseOneMachine.class, RunOptions.defaults().env("E2E_VICTIM", VICTIM));
    await()
        .atMost(60, TimeUnit.SECONDS)
        .until(
            () ->
                !running.handle().isAlive()
                    || running.tree().stdoutSoFar().values().stream()
                        .anyMatch(
                            s -> s.contains("children on [127.0.0.1, 127.0.0.2, 127.0.0.3]")));
    assertThat(running.handle().isAlive()).as(cluster.logs()).isTrue();

    List<ProcessHandle> orphans = cluster.killWorker(VICTIM);
    Run run = running.await(Duration.ofSeconds(60));

    run.assertMatches(
        Expect.process()
            .stdout("children on [127.0.0.1, 127.0.0.2, 127.0.0.3]\nthe child on 127.0.0.2: LOST\n")
            .children(2, Expect.process().stdoutMatches("on 127\\.0\\.0\\.[13], os pid \\d+\n"))
            .child(Expect.process().stdoutMatches("on 127\\.0\\.0\\.2, os pid \\d+\n").lost())
            .bridgeExit(1));
    assertThat(cluster.master().log()).contains("lost the worker " + VICTIM);
    await()
        .atMost(5, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(orphans)
                    .as("processes that were under the killed worker")
                    .noneMatch(RunningProgram::isRunning));

    cluster.restartWorker(VICTIM); // the same --name joins again once the first's link is gone
    Run again = runner.run(Spread.class, RunOptions.defaults());

    assertThat(again.exitCode()).as(again.context()).isZero();
    assertThat(
            again.tree().root().children().stream()
                .filter(c -> c.stdoutText().startsWith("child "))
                .map(JoinIT::host)
                .collect(Collectors.toSet()))
        .as(again.context())
        .isEqualTo(ALL_HOSTS);
  }

  @Test
  @Timeout(120)
  void givenMasterThatOnlyPlaces_whenDeployed_thenTheProgramRunsOnTheJoinedWorker(
      Clusters clusters) {
    Cluster cluster =
        clusters.startJoining(
            ClusterLayout.of("0", "0", new ClusterLayout.Machine("127.0.0.2", "1GiB", "1")),
            List.of());

    Run run = cluster.runner().run(Success.class, RunOptions.defaults());

    run.assertMatches(ProgramCase.of(Success.class).expected().anyBridgeStderr());
    assertThat(cluster.master().log()).contains("none of its own");
  }

  @Test
  @Timeout(120)
  void givenWorkerWithExitAfter_whenTheMasterIsKilled_thenItExits1SayingWhyWithinTheLimit(
      Clusters clusters) {
    Cluster cluster =
        clusters.startJoining(
            ClusterLayout.of("0", "0", new ClusterLayout.Machine("127.0.0.2", "1GiB", "1")),
            List.of("--exit-after", "2s"));
    var worker = cluster.worker("127.0.0.2");

    long killed = System.nanoTime();
    cluster.master().kill();

    await().atMost(30, TimeUnit.SECONDS).until(() -> worker.exitCode().isPresent());
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
    assertThat(worker.exitCode()).as(worker.log()).hasValue(1);
    assertThat(worker.log())
        .contains("fabric: the master at 127.0.0.1:")
        .contains("stayed unreachable for 2.0 s");
    assertThat(tookMillis)
        .as("from the master's death to the worker's exit")
        .isBetween(2_000L, 15_000L);
  }

  /** The host a child of {@link Spread} says it runs on: the last word of its line. */
  private static String host(ObservedProcess child) {
    String line = child.stdoutText().strip();
    return line.substring(line.lastIndexOf(' ') + 1);
  }
}
