package dev.deploy.security;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Tells a listener's refusals at most once per source address per minute, so a flood of bad
 * handshakes costs a log line a minute per address, not a line each: the first refusal of a source
 * is told at once; later ones within {@link #PERIOD_NANOS} of it are only counted, and {@link
 * #flush} tells their number once that minute is over. At most {@link #MAX_SOURCES} addresses are
 * tracked; refusals from more are counted together under "other addresses".
 *
 * <p>Not thread safe: the thread that owns the listener calls it; the clock is injected.
 */
final class RefusalLog {
  /** A source is told about once per this many nanoseconds. */
  static final long PERIOD_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** The most sources tracked at once. */
  static final int MAX_SOURCES = 1024;

  /** Where refusals beyond {@link #MAX_SOURCES} addresses are counted. */
  static final String OTHERS = "other addresses";

  private final LongSupplier clock;
  private final Consumer<String> warn;

  /** The open minute of each source that was told. */
  private final Map<String, Window> windows = new HashMap<>();

  /** One source's minute: when it began, what was told then, and how many were not told since. */
  private static final class Window {
    final long start;
    final String first;
    long suppressed;

    Window(long start, String first) {
      this.start = start;
      this.first = first;
    }
  }

  /** Tells refusals to {@code warn}, judging minutes on {@code clock} (nanoseconds). */
  RefusalLog(LongSupplier clock, Consumer<String> warn) {
    this.clock = clock;
    this.warn = warn;
  }

  /**
   * Tells {@code message} about {@code source} (an address, or a kind of failure) unless a message
   * about it was told within the last minute, in which case it is only counted.
   */
  void refused(String source, String message) {
    long now = clock.getAsLong();
    Window w = windows.get(source);
    if (w != null && now - w.start >= PERIOD_NANOS) {
      windows.remove(source);
      report(source, w);
      w = null;
    }
    if (w == null && windows.size() >= MAX_SOURCES) {
      flush();
      if (windows.size() >= MAX_SOURCES) {
        source = OTHERS;
        w = windows.get(OTHERS);
      }
    }
    if (w != null) {
      w.suppressed++;
      return;
    }
    windows.put(source, new Window(now, message));
    warn.accept(message + " (more like it within a minute are counted, not logged)");
  }

  /**
   * Tells how many refusals went untold in every minute that is over, and forgets those minutes.
   */
  void flush() {
    long now = clock.getAsLong();
    Iterator<Map.Entry<String, Window>> it = windows.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Window> e = it.next();
      if (now - e.getValue().start >= PERIOD_NANOS) {
        it.remove();
        report(e.getKey(), e.getValue());
      }
    }
  }

  /** Returns how many sources have a minute open; for tests. */
  int tracked() {
    return windows.size();
  }

  private void report(String source, Window w) {
    if (w.suppressed > 0) {
      warn.accept(
          "the same happened "
              + w.suppressed
              + (w.suppressed == 1 ? " more time" : " more times")
              + " within a minute of: "
              + w.first);
    }
  }
}
