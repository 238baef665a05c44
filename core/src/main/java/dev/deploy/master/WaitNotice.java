package dev.deploy.master;

import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventSink;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The master's word to a bridge about a spawn that waits for room: once it has waited {@link
 * #AFTER_MILLIS}, what it waits for; once it is placed, where and after how long. A spawn of the
 * first process (no parent) has no process to speak under and says nothing.
 *
 * <p>Stateless; the timers run on the JDK's delay scheduler, the notices on the common pool.
 */
final class WaitNotice {
  /** How long a spawn waits before its bridge hears of it. */
  static final long AFTER_MILLIS = 1000;

  private WaitNotice() {}

  /** Runs {@code check} once {@link #AFTER_MILLIS} have passed. */
  static void after(Runnable check) {
    CompletableFuture.delayedExecutor(AFTER_MILLIS, TimeUnit.MILLISECONDS).execute(check);
  }

  /** Tells {@code sink} (null: untracked, nothing to tell) that {@code order} waits. */
  static void waiting(EventSink sink, LaunchOrder order) {
    if (sink != null && order.parent() != null) {
      sink.onEvent(new Event.Waiting(order.parent(), order.resources(), null, 0));
    }
  }

  /** Tells {@code sink} that {@code order}, queued at {@code since} (nanoTime), starts on node. */
  static void placed(EventSink sink, LaunchOrder order, String node, long since) {
    if (sink != null && order.parent() != null) {
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
      sink.onEvent(new Event.Waiting(order.parent(), order.resources(), node, waited));
    }
  }
}
