package dev.deploy.testing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A nanosecond clock for an {@code IoLoop} that moves only when a test calls {@link #advance}.
 * Thread safe: the loop thread reads it while the test thread advances it.
 */
public final class ManualClock implements LongSupplier {
  /** Nanoseconds; starts away from zero so "never" and "now" differ. Only grows. */
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  @Override
  public long getAsLong() {
    return nanos.get();
  }

  /** Moves the clock forward by {@code step}. */
  public void advance(Duration step) {
    if (step.isNegative()) {
      throw new IllegalArgumentException("a clock only moves forward, not by " + step);
    }
    nanos.addAndGet(step.toNanos());
  }
}
