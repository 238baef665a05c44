package dev.deploy.channel;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The future of one asynchronous send or receive, which its end serves in turn: the end claims it
 * before it takes a value (or queues one) for it, so a future the user already completed, cancelled
 * or timed out ({@code orTimeout}) never costs a value, and a value once taken always reaches its
 * future.
 *
 * <p>States: WAITING (the user may still complete it), CLAIMED (the end is taking a value for it,
 * for the length of one lock acquisition; a user completion waits that long), COMMITTED (a value or
 * error is on its way; user completions return false), DONE. Thread safe.
 */
final class Pending<T> extends CompletableFuture<T> {
  private static final int WAITING = 0;
  private static final int CLAIMED = 1;
  private static final int COMMITTED = 2;
  private static final int DONE = 3;

  private final AtomicInteger state = new AtomicInteger(WAITING);

  /** End: returns whether this may take a value (it was waiting); then release or commit it. */
  boolean claim() {
    return state.compareAndSet(WAITING, CLAIMED);
  }

  /** End: nothing was taken for it; it waits again. */
  void release() {
    state.set(WAITING);
  }

  /** End: a value or error was taken for it; it must be delivered with {@link #deliver}. */
  void commit() {
    state.set(COMMITTED);
  }

  /** End: completes a committed future with its value. */
  void deliver(T value) {
    state.set(DONE);
    super.complete(value);
  }

  /** End: completes a committed future with its error. */
  void fail(Throwable error) {
    state.set(DONE);
    super.completeExceptionally(error);
  }

  /** Waits out a claim; returns whether the user may still complete this future. */
  private boolean takeOver() {
    while (true) {
      int s = state.get();
      if (s == WAITING) {
        if (state.compareAndSet(WAITING, DONE)) {
          return true;
        }
      } else if (s == CLAIMED) {
        Thread.onSpinWait();
      } else {
        return false;
      }
    }
  }

  @Override
  public boolean complete(T value) {
    return takeOver() && super.complete(value);
  }

  @Override
  public boolean completeExceptionally(Throwable error) {
    return takeOver() && super.completeExceptionally(error);
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    return takeOver() && super.cancel(mayInterruptIfRunning);
  }

  @Override
  public String toString() {
    return super.toString()
        + "["
        + new String[] {"waiting", "claimed", "committed", "done"}[state.get()]
        + "]";
  }
}
