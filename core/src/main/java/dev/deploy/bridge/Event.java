package dev.deploy.bridge;

import dev.deploy.Pid;
import dev.deploy.Resources;

/**
 * What the bridge hears about a process: its spawn, a chunk of its output, the end of one of its
 * output streams, and its end. A process has one {@link Spawned} before any other event and its
 * {@link Exit} after the {@link Eof} of both fd 1 and fd 2.
 */
public sealed interface Event {
  /** Returns the process this event is about. */
  Pid pid();

  /**
   * A process now exists; {@code parent} is null for the first process of a run. {@code resources}
   * is what it holds and {@code node} the cluster node it runs on, each null where unknown (a node
   * is named only on a cluster).
   */
  record Spawned(Pid pid, Pid parent, Resources resources, String node) implements Event {
    /** A spawn with neither resources nor node known. */
    public Spawned(Pid pid, Pid parent) {
      this(pid, parent, null, null);
    }

    /** Returns this spawn, on {@code node}. */
    public Spawned on(String node) {
      return new Spawned(pid, parent, resources, node);
    }
  }

  /**
   * A spawn of process {@code pid} (the parent) has waited for {@code resources} for more than a
   * second. With {@code node} null it still waits; otherwise it is now starting on {@code node},
   * after {@code waitedMillis}. Not part of any process's own order: the bridge drops it when
   * {@code pid} is not alive.
   */
  record Waiting(Pid pid, Resources resources, String node, long waitedMillis) implements Event {
    /** Returns what it waits for as a user writes it: {@code 896 MiB, 0.5 cpu}. */
    public String what() {
      double cpu = resources.cpu();
      String cores =
          cpu == Math.rint(cpu)
              ? Long.toString((long) cpu)
              : java.math.BigDecimal.valueOf(cpu).stripTrailingZeros().toPlainString();
      return Resources.formatMemory(resources.memory()) + ", " + cores + " cpu";
    }
  }

  /** Bytes the process wrote to fd 1 (stdout) or fd 2 (stderr), exactly as written. */
  record Output(Pid pid, int fd, byte[] data) implements Event {}

  /** The process's fd 1 or fd 2 reached its end. */
  record Eof(Pid pid, int fd) implements Event {}

  /** The process ended. */
  record Exit(Pid pid, ExitStatus status) implements Event {}

  /**
   * The values and bytes the channels of process {@code pid} sent and received since it started,
   * totals as the process last reported them. For {@code /metrics}: the human and JSON formats
   * print nothing of it.
   */
  record ChannelStats(
      Pid pid, long valuesSent, long bytesSent, long valuesReceived, long bytesReceived)
      implements Event {}
}
