package dev.deploy.channel;

/**
 * Decides whether a receive that finds nothing spins for a while before it parks. A value that
 * arrives during a spin is handed over by a plain write that the spinning thread reads, instead of
 * the I/O thread waking a parked thread (a system call on its side, a round through the scheduler
 * on ours); in a request-response exchange that wake-up is most of what a channel adds to the
 * network's round trip. Spinning costs a core while it lasts, so it is tried only where it pays:
 *
 * <ul>
 *   <li>not after a large value (a chunk or more), unless the spin polls shared memory itself:
 *       large values take longer to come than a spin, and beside them a wake-up costs little;
 *   <li>not for a while after spins that found nothing: the values come slower than a spin. A lone
 *       miss (the sender was descheduled for a moment) costs nothing more: the next wait spins
 *       again. Each further miss in a row doubles the waits that park at once, up to {@link
 *       #SKIPS}; a spin that finds a value starts over. (Parking the next 16 waits after any miss
 *       turned each hiccup of a ping-pong into 16 round trips woken through the TCP doorbell, and
 *       set the round trip's p99.)
 * </ul>
 *
 * <p>{@code -Ddeploy.spinMicros=0} turns spinning off. One per peer, under the peer's lock.
 */
final class SpinPolicy {
  /** How long a spin lasts at most: {@code -Ddeploy.spinMicros}, 100 by default. */
  static final long SPIN_NANOS = Long.getLong("deploy.spinMicros", 100) * 1_000;

  /** The most waits that park at once after spins that found nothing. */
  static final int SKIPS = 16;

  private final long spinNanos;
  private int skips;

  /** Spins in a row that found nothing. */
  private int misses;

  private boolean tookLarge;

  /** Set by {@link #woke} until the next spin ends. */
  private boolean woken;

  /** How long the spin after {@link #woke} lasts at most. */
  static final long WOKEN_SPIN_NANOS = 10_000;

  SpinPolicy() {
    this(SPIN_NANOS);
  }

  SpinPolicy(long spinNanos) {
    this.spinNanos = spinNanos;
  }

  /** A receive found nothing: returns whether it should spin before it parks. */
  boolean spinNow() {
    return spinNow(false);
  }

  /**
   * A receive found nothing: returns whether it should spin before it parks. {@code polls}: the
   * spin reads the transport itself (shared memory), so after a large value too, since there the
   * spinning thread copies the next value out of the ring instead of waiting for another thread to
   * do it, and a stream of large values needs no wake-up per value (measured: docs/benchmarks.md,
   * "Large values over shared memory").
   */
  boolean spinNow(boolean polls) {
    if (spinNanos <= 0 || (tookLarge && !polls)) {
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
    woken = false;
    if (found) {
      misses = 0;
      return;
    }
    misses++;
    skips = misses == 1 ? 0 : Math.min(SKIPS, 1 << (misses - 2));
  }

  /**
   * A receive over a transport the spin polls waited without spinning (misses before had it skip)
   * and was woken by a value: the sender may stream again, so the next wait spins, briefly ({@link
   * #WOKEN_SPIN_NANOS}). Else, after a pause of the sender longer than a spin, each of the skipped
   * waits of a stream that resumed parked, and each park cost the sender a doorbell (a system call)
   * and our loop a wake-up, for a value or two each (measured: up to 8,000 such parks per 5 M
   * values, docs/benchmarks.md). A stream catches the brief spin and spins fully from then on; a
   * sender slower than it costs the receiver the brief spin per value, and misses in a row go on
   * counting.
   */
  void woke() {
    skips = 0;
    woken = true;
  }

  /** How long the next spin lasts: {@link #WOKEN_SPIN_NANOS} right after {@link #woke}. */
  long spinNanos() {
    return woken ? Math.min(spinNanos, WOKEN_SPIN_NANOS) : spinNanos;
  }

  /** The receiver took a value of {@code size} bytes. */
  void took(int size) {
    tookLarge = size >= Frames.CHUNK;
  }
}
