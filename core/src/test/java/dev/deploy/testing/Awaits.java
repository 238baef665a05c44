package dev.deploy.testing;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * Awaitility as these tests use it (after Caffeine's {@code Awaits}): no initial delay, 1 ms polls,
 * and at most 10 s unless a test says otherwise, so a condition that already holds costs nothing
 * and one that never holds fails instead of hanging.
 */
public final class Awaits {
  private Awaits() {}

  /** Returns a condition factory polling every millisecond for up to 10 s. */
  public static ConditionFactory await() {
    return Awaitility.await()
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(1))
        .atMost(Duration.ofSeconds(10));
  }
}
