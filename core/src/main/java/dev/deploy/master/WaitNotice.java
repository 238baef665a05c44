package dev.deploy.master;

import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventSink;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The master's word to a bridge about one queued spawn: once it has waited {@link #AFTER_MILLIS},
 * what it waits for; once it is placed, where and after how long, and only if the first was said. A
 * spawn of the first process (no parent) has no process to speak under and says nothing.
 *
 * <p>Thread safe: the timer (the JDK's delay scheduler, then the common pool) and the thread that
 * places the spawn both call it; one lock keeps the two notices in that order. Lock order: this
 * notice's lock, then the master's.
 */
final class WaitNotice {
  /** How long a spawn waits before its bridge hears of it. */
  static final long AFTER_MILLIS = 1000;

  private final ReentrantLock lock = new ReentrantLock();

  /** When the spawn was queued, in nanoTime. */
  private final long since = System.nanoTime();

  /** Whether the bridge was told the spawn waits; guarded by lock. */
  private boolean announced;

  /** Runs {@code check} once {@link #AFTER_MILLIS} have passed. */
  static void after(Runnable check) {
    CompletableFuture.delayedExecutor(AFTER_MILLIS, TimeUnit.MILLISECONDS).execute(check);
  }

  /**
   * Tells {@code sink} (null: untracked, nothing to tell) that {@code order} waits, if {@code
   * stillWaiting} (asked under this notice's lock) says it still does.
   */
  void waiting(EventSink sink, LaunchOrder order, BooleanSupplier stillWaiting) {
    lock.lock();
    try {
      if (!stillWaiting.getAsBoolean()) {
        return;
      }
      announced = true;
      if (sink != null && order.parent() != null) {
        sink.onEvent(new Event.Waiting(order.parent(), order.resources(), null, 0));
      }
    } finally {
      lock.unlock();
    }
  }

  /** Tells {@code sink} that {@code order} starts on {@code node}, if it was said to wait. */
  void placed(EventSink sink, LaunchOrder order, String node) {
    lock.lock();
    try {
      if (announced && sink != null && order.parent() != null) {
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
        sink.onEvent(new Event.Waiting(order.parent(), order.resources(), node, waited));
      }
    } finally {
      lock.unlock();
    }
  }
}
