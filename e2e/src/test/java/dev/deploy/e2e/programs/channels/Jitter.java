package dev.deploy.e2e.programs.channels;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Random pauses of 0 to 5 ms (none half of the time) that the channel-lifetime programs put between
 * their steps, so that across their rounds both orders of every race between two processes occur.
 * Not a program.
 */
final class Jitter {
  /** Rounds each lifetime program runs. */
  static final int ROUNDS = 20;

  private Jitter() {}

  /** Sleeps 0 to 5 ms, or not at all. */
  static void pause() throws InterruptedException {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (random.nextBoolean()) {
      Thread.sleep(random.nextInt(6));
    }
  }

  /** Returns a fair coin. */
  static boolean coin() {
    return ThreadLocalRandom.current().nextBoolean();
  }

  /** Throws unless {@code got} equals {@code expected}, naming both. */
  static void check(String what, Object expected, Object got) {
    if (!expected.equals(got)) {
      throw new IllegalStateException(what + ": expected " + expected + ", got " + got);
    }
  }
}
