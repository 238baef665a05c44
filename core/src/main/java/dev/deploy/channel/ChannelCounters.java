package dev.deploy.channel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Values and bytes this process's channels sent and received, since it started: a value counts as
 * sent when a Sender queued it, as received when a Receiver took it; bytes are the value's encoded
 * size (a {@code byte[]} sent as is: its length). Reported to the fabric for {@code /metrics}.
 *
 * <p>Kept per peer ({@link Cell}), each written under its peer's lock with plain stores that any
 * thread may read: no atomic instruction per value (two {@code LongAdder}s per value on each side
 * showed in the profiles of a stream of small values, docs/benchmarks.md).
 *
 * <p>Thread safe: any thread reads {@link #totals}.
 */
public final class ChannelCounters {
  /** The cells of every peer this table ever had (peers are never removed). */
  private final CopyOnWriteArrayList<Cell> cells = new CopyOnWriteArrayList<>();

  /** Returns a new cell that counts into these totals; one per peer. */
  Cell cell() {
    Cell c = new Cell();
    cells.add(c);
    return c;
  }

  /** Returns {values sent, bytes sent, values received, bytes received} now. */
  public long[] totals() {
    long[] sums = new long[4];
    for (Cell c : cells) {
      sums[0] += (long) Cell.VALUES_SENT.getOpaque(c);
      sums[1] += (long) Cell.BYTES_SENT.getOpaque(c);
      sums[2] += (long) Cell.VALUES_RECEIVED.getOpaque(c);
      sums[3] += (long) Cell.BYTES_RECEIVED.getOpaque(c);
    }
    return sums;
  }

  /**
   * One peer's counts. Threading: written only under the peer's lock (so one writer at a time, each
   * seeing the last one's stores), read by any thread; opaque stores, so a reader never sees a torn
   * count and sees each one eventually, without a fence on the writer's path.
   */
  static final class Cell {
    private static final VarHandle VALUES_SENT = handle("valuesSent");
    private static final VarHandle BYTES_SENT = handle("bytesSent");
    private static final VarHandle VALUES_RECEIVED = handle("valuesReceived");
    private static final VarHandle BYTES_RECEIVED = handle("bytesReceived");

    private long valuesSent;
    private long bytesSent;
    private long valuesReceived;
    private long bytesReceived;

    private static VarHandle handle(String field) {
      try {
        return MethodHandles.lookup().findVarHandle(Cell.class, field, long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    /** Call only under the peer's lock: a value of {@code bytes} was queued for sending. */
    void sent(int bytes) {
      VALUES_SENT.setOpaque(this, valuesSent + 1);
      BYTES_SENT.setOpaque(this, bytesSent + bytes);
    }

    /** Call only under the peer's lock: a value of {@code bytes} was taken by a Receiver. */
    void received(int bytes) {
      VALUES_RECEIVED.setOpaque(this, valuesReceived + 1);
      BYTES_RECEIVED.setOpaque(this, bytesReceived + bytes);
    }
  }
}
