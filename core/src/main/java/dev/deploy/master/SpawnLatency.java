package dev.deploy.master;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * How long spawns took from their placement to their process's registration (JVM start, or a warm
 * JVM's hand-over, and {@code init}), as a histogram with fixed bounds in seconds, for {@code
 * /metrics}. Queueing time is not in it.
 *
 * <p>Thread safe and lock free: launch-completion threads record, a metrics request reads; a read
 * racing a record may see the count and the buckets one spawn apart.
 */
public final class SpawnLatency {
  /** Upper bounds of the buckets, in seconds; a last bucket, +Inf, is implied. */
  public static final double[] BOUNDS = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  /** Spawns per bucket (not cumulative); index BOUNDS.length is +Inf. */
  private final AtomicLongArray buckets = new AtomicLongArray(BOUNDS.length + 1);

  private final LongAdder count = new LongAdder();
  private final LongAdder sumNanos = new LongAdder();

  /** Counts one spawn that took {@code nanos}. */
  public void record(long nanos) {
    double seconds = nanos / 1e9;
    int i = 0;
    while (i < BOUNDS.length && seconds > BOUNDS[i]) {
      i++;
    }
    buckets.incrementAndGet(i);
    sumNanos.add(nanos);
    count.increment();
  }

  /** Returns the cumulative count at or under each bound, then +Inf's (the total). */
  public long[] cumulative() {
    long[] out = new long[BOUNDS.length + 1];
    long sum = 0;
    for (int i = 0; i < out.length; i++) {
      sum += buckets.get(i);
      out[i] = sum;
    }
    return out;
  }

  /** Returns the sum of the recorded durations in seconds. */
  public double sumSeconds() {
    return sumNanos.sum() / 1e9;
  }
}
