package dev.deploy.io;

import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long a connection may receive nothing before its peer counts as gone: failure detection's one
 * setting, for the channels between processes and for the cluster's links alike. 10 s unless set:
 * {@code DEPLOY_SILENCE_LIMIT} in a JVM's environment (a local run's, and every process a fabric
 * starts, which gets its run's limit there), or a daemon's {@code --silence-limit}. Shorter reports
 * a dead process or machine sooner, and a live one behind packet loss or a pause (garbage
 * collection, a frozen VM) lost more often; longer, the reverse. Heartbeats go out every tenth of
 * it, at most every second and at least every 100 ms.
 *
 * <p>Immutable; the process's limit ({@link #current}) is read once, or set once by a daemon before
 * it opens connections.
 */
public final class SilenceLimit {
  /** The environment variable that sets a JVM's limit, like {@code 20s} or {@code 1500ms}. */
  public static final String VARIABLE = "DEPLOY_SILENCE_LIMIT";

  /** The limit when none is set. */
  public static final SilenceLimit DEFAULT = new SilenceLimit(TimeUnit.SECONDS.toMillis(10));

  /** The shortest limit: below it, a scheduler's hiccup would be taken for a death. */
  static final long MIN_MILLIS = 1_000;

  /** The longest limit. */
  static final long MAX_MILLIS = TimeUnit.MINUTES.toMillis(10);

  /** The most and least time between heartbeats. */
  static final long MAX_HEARTBEAT_MILLIS = 1_000;

  static final long MIN_HEARTBEAT_MILLIS = 100;

  private static final Pattern DURATION =
      Pattern.compile("\\s*(\\d{1,9}(?:\\.\\d{1,3})?)\\s*(ms|s|m|h)\\s*");

  private static volatile SilenceLimit current;

  private final long millis;

  private SilenceLimit(long millis) {
    this.millis = millis;
  }

  /**
   * Parses {@code text}, a number and a unit ({@code ms}, {@code s}, {@code m}, {@code h}) from 1 s
   * to 10 min, as {@code source} (the option or variable that gave it) set it.
   *
   * @throws IllegalArgumentException with one sentence naming {@code source} and the text
   */
  public static SilenceLimit parse(String source, String text) {
    Matcher m = DURATION.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          source + ": \"" + text + "\" is not a duration like 20s, 1500ms or 2m");
    }
    long unitMillis =
        switch (m.group(2)) {
          case "ms" -> 1;
          case "s" -> 1_000;
          case "m" -> 60_000;
          default -> 3_600_000;
        };
    long millis = Math.round(Double.parseDouble(m.group(1)) * unitMillis);
    if (millis < MIN_MILLIS || millis > MAX_MILLIS) {
      throw new IllegalArgumentException(
          source + ": \"" + text + "\" is outside the silence limit's range of 1 s to 10 min");
    }
    return new SilenceLimit(millis);
  }

  /**
   * Returns this JVM's limit: the one {@link #set} gave, else {@code DEPLOY_SILENCE_LIMIT}'s, else
   * 10 s.
   *
   * @throws IllegalArgumentException when {@code DEPLOY_SILENCE_LIMIT} holds no valid limit
   */
  public static SilenceLimit current() {
    SilenceLimit c = current;
    if (c == null) {
      c = fromEnvironment(System.getenv(VARIABLE));
      current = c;
    }
    return c;
  }

  /** Returns the limit {@code value} of {@code DEPLOY_SILENCE_LIMIT} sets: the default if unset. */
  public static SilenceLimit fromEnvironment(String value) {
    return value == null || value.isBlank() ? DEFAULT : parse(VARIABLE, value);
  }

  /** Makes {@code limit} this JVM's: a daemon's {@code --silence-limit}, before any connection. */
  public static void set(SilenceLimit limit) {
    current = limit;
  }

  /** Returns the limit in milliseconds. */
  public long millis() {
    return millis;
  }

  /** Returns the limit in nanoseconds. */
  public long nanos() {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }

  /** Returns how often an idle connection says it is alive: a tenth, within 100 ms to 1 s. */
  public long heartbeatMillis() {
    return Math.max(MIN_HEARTBEAT_MILLIS, Math.min(MAX_HEARTBEAT_MILLIS, millis / 10));
  }

  /** Returns {@link #heartbeatMillis} in nanoseconds. */
  public long heartbeatNanos() {
    return TimeUnit.MILLISECONDS.toNanos(heartbeatMillis());
  }

  /** Returns the limit as {@code DEPLOY_SILENCE_LIMIT} takes it back, like {@code 1500ms}. */
  public String setting() {
    return millis + "ms";
  }

  /** Returns the limit for messages, like {@code 10 s} or {@code 1.5 s}. */
  @Override
  public String toString() {
    return millis % 1000 == 0 ? millis / 1000 + " s" : millis / 1000.0 + " s";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SilenceLimit s && s.millis == millis;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(millis);
  }
}
