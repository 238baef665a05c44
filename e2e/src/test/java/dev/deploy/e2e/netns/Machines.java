package dev.deploy.e2e.netns;

import java.util.ArrayList;
import java.util.List;

/**
 * The networks and clusters one test made, all closed after it by {@link MachinesCleanup}, passed
 * or failed: clusters first (every client, daemon and process under them killed by pid), then the
 * networks (namespaces, veths, bridge, rules and route deleted). Used by one test thread.
 */
public final class Machines implements AutoCloseable {
  private final List<AutoCloseable> made = new ArrayList<>();

  Machines() {}

  /**
   * Makes the suite's network ({@link NetCluster#HOSTS}) and starts its cluster, ready when this
   * returns; skips the test (fails it under {@code CI=true}) where namespaces cannot be made.
   */
  public NetCluster start() {
    Network.requireCapability();
    Network network = Network.create(NetCluster.HOSTS);
    made.add(network);
    NetCluster cluster = NetCluster.start(network);
    made.add(cluster);
    return cluster;
  }

  /** Closes every cluster, then every network, the last made first. */
  @Override
  public void close() throws Exception {
    Exception first = null;
    for (int i = made.size() - 1; i >= 0; i--) {
      try {
        made.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    made.clear();
    if (first != null) {
      throw first;
    }
  }
}
