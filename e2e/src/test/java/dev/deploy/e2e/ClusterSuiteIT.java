package dev.deploy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.e2e.programs.badinput.MissingMainClass;
import dev.deploy.e2e.tester.ClusterCleanup;
import dev.deploy.e2e.tester.ClusterLayout;
import dev.deploy.e2e.tester.ClusterRunner;
import dev.deploy.e2e.tester.Clusters;
import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.ProcessCleanup;
import dev.deploy.e2e.tester.ProgramCase;
import dev.deploy.e2e.tester.RunOptions;
import dev.deploy.e2e.tester.Runner;
import dev.deploy.e2e.tester.RunningProgram;
import dev.deploy.e2e.tester.Suite;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole suite of self-describing programs, each run locally and then deployed to a cluster on
 * this machine (a master on 127.0.0.1, workers on 127.0.0.2 and 127.0.0.3, every daemon a real
 * {@code java -jar deploy.jar} process): both runs must match the program's {@code EXPECTED} and
 * give trees of the same shape, and nothing of a deployment may run on under the daemons {@link
 * ClusterRunner#GRACE} after its client exited. One cluster ({@link ClusterLayout#THREE_MACHINES})
 * serves every program, one after another, except those below.
 *
 * <p>Programs that ask for a local machine's capacity ({@code DEPLOY_CAPACITY}) run on a cluster
 * whose layout gives them the same outcome:
 *
 * <ul>
 *   <li>{@code resources.ChildResources} and {@code resources.TwentyAtOnce} ({@code 4GiB 2}) on the
 *       suite's cluster, whose every worker is such a machine: neither program fills it (one child
 *       of 256 MiB and 1.5 cores; twenty of 128 MiB alive at once, 2.75 GiB with the first process,
 *       spread over the cluster's 10 GiB).
 *   <li>{@code resources.SpawnEmptyWhenFull} and {@code resources.SpawnAsyncQueues} ({@code 1GiB
 *       1}) on {@link #ONE_SLOT}: on a 1 GiB machine a first process of 256 MiB leaves room for
 *       exactly one child of 512 MiB at a time, and so does that cluster, spread over two machines.
 * </ul>
 *
 * <p>Excluded, each for a reason a cluster cannot honour:
 *
 * <ul>
 *   <li>{@code badinput.MissingMainClass}: it runs from a throw-away copy of the classes and
 *       deletes its own class file before spawning. A cluster runs the jars it keeps by SHA-256
 *       (the test classes are packed into one by deploy), which a program cannot delete; the
 *       cluster's own missing-class case, a main class that is in no jar, is {@code ClusterIT}'s.
 * </ul>
 */
@ExtendWith({ProcessCleanup.class, ClusterCleanup.class})
class ClusterSuiteIT {
  /**
   * Room for one child of 512 MiB at a time after a first process of 256 MiB, as on a 1 GiB
   * machine: the first process goes to the master (the most memory free: 640 MiB), which keeps 384
   * MiB; a child of 512 MiB fits only on 127.0.0.2; 127.0.0.3 (256 MiB) fits neither.
   */
  static final ClusterLayout ONE_SLOT =
      ClusterLayout.of(
          "640MiB",
          "1",
          new ClusterLayout.Machine("127.0.0.2", "512MiB", "1"),
          new ClusterLayout.Machine("127.0.0.3", "256MiB", "1"));

  /** Programs the cluster cannot run, with the reason; see the class comment. */
  static final Map<Class<?>, String> EXCLUDED =
      Map.of(
          MissingMainClass.class,
          "deletes its own class file from a throw-away class directory; a cluster runs jars from"
              + " its cache");

  @TestFactory
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  Stream<DynamicNode> givenProgramWithExpectation_whenDeployedToCluster_thenSameTreeAsLocally(
      LocalRunner local, Clusters clusters) {
    ClusterRunner threeMachines =
        clusters.start(ClusterLayout.THREE_MACHINES).runner().standingFor("4GiB 2");
    Runner cluster = new ByCapacity(threeMachines, clusters);
    return Suite.comparisons(local, cluster, cases());
  }

  @Test
  @Timeout(30)
  void givenExclusions_whenProgramsDiscovered_thenEachIsStillACase() {
    List<Class<?>> discovered =
        ProgramCase.discover(LocalRunner.programClasses()).stream()
            .<Class<?>>map(ProgramCase::type)
            .toList();
    assertThat(discovered).containsAll(EXCLUDED.keySet());
  }

  private static List<ProgramCase> cases() {
    return ProgramCase.discover(LocalRunner.programClasses()).stream()
        .filter(c -> !EXCLUDED.containsKey(c.type()))
        .toList();
  }

  /**
   * Deploys to the suite's cluster, or to {@link #ONE_SLOT} (started at its first use) for programs
   * that ask for a 1 GiB machine.
   */
  private static final class ByCapacity implements Runner {
    private final ClusterRunner threeMachines;
    private final Clusters clusters;
    private ClusterRunner oneSlot;

    ByCapacity(ClusterRunner threeMachines, Clusters clusters) {
      this.threeMachines = threeMachines;
      this.clusters = clusters;
    }

    @Override
    public String name() {
      return "cluster";
    }

    @Override
    public RunningProgram start(Class<?> program, RunOptions options) {
      if ("1GiB 1".equals(options.env().get("DEPLOY_CAPACITY"))) {
        if (oneSlot == null) {
          oneSlot = clusters.start(ONE_SLOT).runner().standingFor("1GiB 1");
        }
        return oneSlot.start(program, options);
      }
      return threeMachines.start(program, options);
    }
  }
}
