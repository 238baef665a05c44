package dev.deploy.runtime;

import dev.deploy.io.IoLoop;
import java.io.PrintStream;
import java.util.function.IntConsumer;

/**
 * What a process does when its I/O thread dies of a {@code Throwable} the loop cannot survive: a
 * process without it can neither send, receive nor accept, so rather than live on deaf it says why
 * in one line on stderr and halts with {@link #EXIT_CODE}. A halt runs no shutdown hook, so no exit
 * notice goes to the fabric, which then reports the plain exit code (70, not a signal); the bridge
 * shows the line and a non-zero exit, and the process's peers see their channels {@code LOST}.
 *
 * <p>Runs on the dying loop thread.
 */
final class IoThreadDeath implements IoLoop.Death {
  /** The exit code: {@code EX_SOFTWARE}, an internal error. */
  static final int EXIT_CODE = 70;

  private final PrintStream err;
  private final IntConsumer halt;

  /** Prints to {@code System.err} and halts the JVM. */
  IoThreadDeath() {
    this(System.err, new Halt());
  }

  /** Prints to {@code err} and calls {@code halt} with the exit code; for tests. */
  IoThreadDeath(PrintStream err, IntConsumer halt) {
    this.err = err;
    this.halt = halt;
  }

  @Override
  public void died(String thread, Throwable failure) {
    try {
      err.println(
          "deploy: the I/O thread "
              + thread
              + " died of "
              + failure
              + "; this process cannot use its channels any more and exits with "
              + EXIT_CODE);
      err.flush();
    } finally {
      halt.accept(EXIT_CODE);
    }
  }

  /** Halts the JVM (a class, not a lambda: see {@code ProcessRuntime}). */
  private static final class Halt implements IntConsumer {
    @Override
    public void accept(int code) {
      Runtime.getRuntime().halt(code);
    }
  }
}
