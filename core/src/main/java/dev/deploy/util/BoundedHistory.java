package dev.deploy.util;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A map that forgets its oldest entry (by insertion) once it holds more than a limit: what happened
 * lately, by key, in bounded memory.
 *
 * <p>Not thread safe, like the {@link LinkedHashMap} it is; wrap it with {@code
 * Collections.synchronizedMap} or guard it with a lock.
 */
public final class BoundedHistory<K, V> extends LinkedHashMap<K, V> {
  private static final long serialVersionUID = 1L;

  /** The most entries kept; at least 1. */
  private final int limit;

  /**
   * Returns an empty history of at most {@code limit} entries.
   *
   * @throws IllegalArgumentException naming the limit when it is below 1
   */
  public BoundedHistory(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("a history keeps at least 1 entry, not " + limit);
    }
    this.limit = limit;
  }

  /** Returns the most entries kept. */
  public int limit() {
    return limit;
  }

  @Override
  protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
    return size() > limit;
  }
}
