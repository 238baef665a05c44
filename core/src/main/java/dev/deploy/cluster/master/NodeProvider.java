package dev.deploy.cluster.master;

import dev.deploy.Resources;
import dev.deploy.security.ClusterKey;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where a cluster master's workers come from: a static list the master dials, fabrics started by
 * hand that join, Slurm's allocation (one fabric per node, started with {@code srun}), Kubernetes
 * pods made as spawns need room. Whatever starts them, a worker is a fabric that proved the key and
 * reported its capacity; the provider only decides when fabrics start and stop.
 *
 * <p>Threading: {@link #start} is called once, on the thread that starts the master, after it
 * listens; {@link #demand} on the master's threads whenever the queue of waiting spawns changes,
 * and must not block (hand work to a thread of the provider's own); {@link #close} once, when the
 * master stops.
 */
public interface NodeProvider extends AutoCloseable {
  /** Starts providing nodes to {@code cluster}, which is listening for fabrics to join. */
  void start(Cluster cluster);

  /**
   * Returns the largest node this provider could still add, beyond the nodes joined now; empty when
   * it adds none (a static list, an allocation). A {@code spawnAsync} larger than every joined node
   * but within this one waits for such a node rather than failing at once.
   */
  default Optional<Resources> largestNode() {
    return Optional.empty();
  }

  /**
   * Spawns wait for room no joined node has free: the resources of each waiting spawn, oldest first
   * (empty when none waits any more). Called whenever that queue changes; must not block.
   */
  default void demand(List<Resources> waiting) {}

  /** Stops providing; fabrics it started are stopped (the master kills their processes first). */
  @Override
  default void close() {}

  /** What a provider sees of its master. Thread safe. */
  interface Cluster {
    /** Returns the address fabrics dial to join this master (advertised, never a wildcard). */
    InetSocketAddress joinAddress();

    /** Returns the cluster key joining fabrics must prove (for a provider that starts them). */
    ClusterKey key();

    /**
     * Returns the nodes joined now, and what each has free: workers that joined (with or without a
     * provider), not the master's own node nor the workers of its static list.
     */
    List<NodeState> nodes();

    /**
     * Retires the node named {@code name} if nothing runs or is being placed there: it leaves the
     * books at once (nothing is placed there any more) and its link is closed, which stops its
     * fabric's processes (warm JVMs only). Returns false, changing nothing, when the node is busy
     * or not joined.
     */
    boolean retire(String name);

    /**
     * The node named {@code name} is gone (its machine or pod failed, was deleted or killed):
     * closes its link at once, so its processes are reported {@code lost} without waiting for the
     * link's silence limit. Does nothing when no such node is joined.
     */
    void lost(String name, String why);
  }

  /**
   * One joined node: its name (unique in the cluster), its whole capacity, what is free, how long
   * nothing has run there (zero while something does; warm JVMs do not count). Free memory below
   * {@link Resources#MIN_MEMORY}, which {@code Resources} cannot hold, shows as that minimum: no
   * spawn fits in less anyway.
   */
  record NodeState(String name, Resources capacity, Resources free, Duration idleFor) {}
}
