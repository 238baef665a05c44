package dev.deploy.k8s;

import dev.deploy.Resources;

/**
 * How much memory a fabric pod asks for beyond what its processes may use ({@code --node-mem}): the
 * fabric daemon's own JVM ({@value #DAEMON_HEAP_MIB} MiB of heap and its non-heap, {@value
 * #DAEMON_MIB} MiB in all) plus one eighth of {@code --node-mem} for the non-heap memory of the
 * processes beyond the quarter deploy already leaves them (a process of {@code m} gets {@code -Xmx}
 * of 3/4 {@code m}: metaspace, code cache, thread stacks and GC structures of a small JVM can
 * exceed that quarter). The pod's request and limit are both {@code --node-mem + budget}: the
 * kernel kills the whole pod (exit 137) when they add up to more, and the run loses the node.
 */
public final class JvmBudget {
  private JvmBudget() {}

  /** The fabric daemon's heap ({@code -Xmx}). */
  public static final int DAEMON_HEAP_MIB = 128;

  /** The fabric daemon's JVM in all: its heap, metaspace, threads, code cache. */
  public static final int DAEMON_MIB = 256;

  /** The master pod's memory request and limit (it places and bridges; runs no process). */
  public static final int MASTER_MIB = 768;

  /** The master daemon's heap. */
  public static final int MASTER_HEAP_MIB = 384;

  /** The master pod's cpu request and limit, in millicores. */
  public static final int MASTER_MILLICORES = 500;

  /** Returns the bytes a fabric pod whose processes may use {@code node} asks for in all. */
  public static long podMemory(Resources node) {
    return node.memory() + ((long) DAEMON_MIB << 20) + node.memory() / 8;
  }

  /** Returns a memory quantity for Kubernetes: whole MiB, rounded up ("1088Mi"). */
  public static String quantityOfMemory(long bytes) {
    return ((bytes + (1 << 20) - 1) >> 20) + "Mi";
  }

  /** Returns a cpu quantity for Kubernetes: millicores, rounded up ("1500m"). */
  public static String quantityOfCpu(double cpu) {
    return (long) Math.ceil(cpu * 1000 - 1e-9) + "m";
  }
}
