package dev.deploy.k8s.testing;

import dev.deploy.Resources;
import dev.deploy.cluster.master.NodeProvider;
import dev.deploy.security.ClusterKey;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A master as a provider sees it: nodes the test joins, marks busy or idle; records what the
 * provider retired and reported lost. Thread safe.
 */
public final class FakeCluster implements NodeProvider.Cluster {
  private final Map<String, NodeProvider.NodeState> nodes = new ConcurrentHashMap<>();
  private final Map<String, Boolean> busy = new ConcurrentHashMap<>();
  private final ClusterKey key = ClusterKey.generate();

  /** Nodes retired, in order. */
  public final List<String> retired = new CopyOnWriteArrayList<>();

  /** Nodes lost, in order, as "name: why". */
  public final List<String> lost = new CopyOnWriteArrayList<>();

  /** Node {@code name} joins with {@code capacity}, busy. */
  public void join(String name, Resources capacity) {
    nodes.put(name, new NodeProvider.NodeState(name, capacity, capacity, Duration.ZERO));
    busy.put(name, true);
  }

  /** Node {@code name} has run nothing for {@code idle}. */
  public void idle(String name, Duration idle) {
    NodeProvider.NodeState n = nodes.get(name);
    nodes.put(name, new NodeProvider.NodeState(name, n.capacity(), n.free(), idle));
    busy.put(name, false);
  }

  @Override
  public InetSocketAddress joinAddress() {
    return InetSocketAddress.createUnresolved("deploy-test.test.svc", 7000);
  }

  @Override
  public ClusterKey key() {
    return key;
  }

  @Override
  public List<NodeProvider.NodeState> nodes() {
    return new ArrayList<>(nodes.values());
  }

  @Override
  public boolean retire(String name) {
    if (!nodes.containsKey(name) || busy.getOrDefault(name, true)) {
      return false;
    }
    nodes.remove(name);
    retired.add(name);
    return true;
  }

  @Override
  public void lost(String name, String why) {
    if (nodes.remove(name) != null) {
      lost.add(name + ": " + why);
    }
  }
}
