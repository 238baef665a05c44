package dev.deploy.e2e.tester;

import java.util.ArrayList;
import java.util.List;

/**
 * The clusters one test started, all closed after it by {@link ClusterCleanup}: every daemon, every
 * process under them and every deploy client is killed by pid, whether the test passed or not.
 *
 * <pre>{@code
 * @ExtendWith(ClusterCleanup.class)
 * class SomeIT {
 *   @Test @Timeout(120)
 *   void givenX_whenY_thenZ(Clusters clusters) {
 *     Cluster cluster = clusters.start(ClusterLayout.THREE_MACHINES);
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <p>Used by one test thread.
 */
public final class Clusters implements AutoCloseable {
  private final List<Cluster> started = new ArrayList<>();

  Clusters() {}

  /** Starts a cluster of {@code layout}, ready when this returns; see {@link Cluster#start}. */
  public Cluster start(ClusterLayout layout) {
    return start(layout, List.of());
  }

  /**
   * Starts a cluster of {@code layout} whose daemons (master and workers) all get {@code options}
   * on their command lines too, ready when this returns.
   */
  public Cluster start(ClusterLayout layout, List<String> options) {
    Cluster cluster = Cluster.start(layout, options);
    started.add(cluster);
    return cluster;
  }

  /** Starts a cluster whose workers join its master; see {@link Cluster#startJoining}. */
  public Cluster startJoining(ClusterLayout layout, List<String> workerOptions) {
    Cluster cluster = Cluster.startJoining(layout, workerOptions);
    started.add(cluster);
    return cluster;
  }

  /** Closes every cluster started, the last first. */
  @Override
  public void close() {
    CloseAll.closeAll(started);
  }
}
