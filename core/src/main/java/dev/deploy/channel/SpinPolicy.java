package dev.deploy.channel;

/**
 * Decides whether a receive that finds nothing spins for a while before it parks. A value that
 * arrives during a spin is handed over by a plain write that the spinning thread reads, instead of
 * the I/O thread waking a parked thread (a system call on its side, a round through the scheduler
 * on ours); in a request-response exchange that wake-up is most of what a channel adds to the
 * network's round trip. Spinning costs a core while it lasts, so it is tried only where it pays:
 *
 * <ul>
 *   <li>not after a large value (a chunk or more): large values take longer to come than a spin,
 *       and beside them a wake-up costs little;
 *   <li>not for a while after spins that found nothing, backing off: a single miss (the sender was
 *       descheduled, a pause) costs nothing more, the next wait spins again; each further miss in a
 *       row doubles the waits that park before the next try (1, 3, 7, 15), up to {@link #SKIPS}
 *       when the values come slower than a spin. A spin that finds its value ends the back-off.
 * </ul>
 *
 * <p>Skipping {@link #SKIPS} waits after any miss made one late value cost a request-response
 * exchange its next sixteen round trips, each a wake-up of a parked thread: the two-core round
 * trip's p99 (docs/benchmarks.md).
 *
 * <p>{@code -Ddeploy.spinMicros=0} turns spinning off. One per peer, under the peer's lock.
 */
final class SpinPolicy {
  /** How long a spin lasts at most: {@code -Ddeploy.spinMicros}, 100 by default. */
  static final long SPIN_NANOS = Long.getLong("deploy.spinMicros", 100) * 1_000;

  /** The most waits that park at once after spins that found nothing. */
  static final int SKIPS = 16;

  private final long spinNanos;

  /** Waits left that park without spinning. */
  private int skips;

  /** Spins in a row that found nothing. */
  private int misses;

  private boolean tookLarge;

  SpinPolicy() {
    this(SPIN_NANOS);
  }

  SpinPolicy(long spinNanos) {
    this.spinNanos = spinNanos;
  }

  /** A receive found nothing: returns whether it should spin before it parks. */
  boolean spinNow() {
    if (spinNanos <= 0 || tookLarge) {
      return false;
    }
    if (skips > 0) {
      skips--;
      return false;
    }
    return true;
  }

  /** A spin ended; {@code found} whether something came during it. */
  void spun(boolean found) {
    if (found) {
      misses = 0;
      return;
    }
    skips = Math.min(SKIPS, (1 << Math.min(misses, 5)) - 1);
    misses++;
  }

  /** The receiver took a value of {@code size} bytes. */
  void took(int size) {
    tookLarge = size >= Frames.CHUNK;
  }
}
