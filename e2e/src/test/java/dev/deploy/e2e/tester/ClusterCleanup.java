package dev.deploy.e2e.tester;

/**
 * Gives each test (or test factory, whose dynamic tests then share it) a fresh {@link Clusters} as
 * a parameter and, after the test, whether it passed or failed, closes it: every deploy client,
 * daemon and process under a daemon is killed by pid and waited for, and the clusters' directories
 * are deleted.
 */
public final class ClusterCleanup extends ClosingParameter<Clusters> {
  public ClusterCleanup() {
    super(Clusters.class, Clusters::new);
  }
}
