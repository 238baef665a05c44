package dev.deploy.fabric;

import java.util.HashMap;
import java.util.Map;

/**
 * How many JVMs the warm pool aims to keep for each shape (program and resources): {@code base} at
 * first; one more, up to {@code max}, each time a spawn finds none ready or starting (the program
 * spawns faster than the pool refills); one fewer, down to {@code base}, for each {@code idleNanos}
 * without such a miss. What the machine has room for bounds it further: each member is reserved in
 * the master's books before it starts.
 *
 * <p>Times are an injected clock's nanoseconds. Not thread safe: {@link WarmPool} calls it under
 * its lock.
 *
 * @param <K> the shape
 */
final class PoolSizing<K> {
  /** The target of a shape that never missed; 0 turns the pool off. */
  private final int base;

  /** The most a target grows to; at least base. */
  private final int max;

  /** How long a shape goes without a miss before its target steps down by one. */
  private final long idleNanos;

  /** Targets above base, by shape; a shape back at base is removed. */
  private final Map<K, Integer> grown = new HashMap<>();

  /** When each grown shape last missed or stepped down, in the clock's nanoseconds. */
  private final Map<K, Long> since = new HashMap<>();

  PoolSizing(int base, int max, long idleNanos) {
    if (base < 0 || max < base || idleNanos <= 0) {
      throw new IllegalArgumentException(
          "pool sizing needs 0 <= base <= max and a positive idle time, not base "
              + base
              + ", max "
              + max
              + ", idle "
              + idleNanos
              + " ns");
    }
    this.base = base;
    this.max = max;
    this.idleNanos = idleNanos;
  }

  /** Returns how many JVMs the pool aims to keep for {@code shape} now. */
  int target(K shape) {
    return grown.getOrDefault(shape, base);
  }

  /** A spawn of {@code shape} found no JVM ready at {@code now}: the target grows by one. */
  void onMiss(K shape, long now) {
    if (base == 0) {
      return;
    }
    int next = Math.min(max, target(shape) + 1);
    if (next > base) {
      grown.put(shape, next);
      since.put(shape, now);
    }
  }

  /**
   * Steps down, by one per whole {@code idleNanos} since each grown shape's last miss or step, the
   * targets of shapes that went without a miss; call from a timer.
   */
  void shrink(long now) {
    for (K shape : new java.util.ArrayList<>(grown.keySet())) {
      long last = since.get(shape);
      long steps = (now - last) / idleNanos;
      if (steps <= 0) {
        continue;
      }
      int next = (int) Math.max(base, grown.get(shape) - steps);
      if (next == base) {
        grown.remove(shape);
        since.remove(shape);
      } else {
        grown.put(shape, next);
        since.put(shape, last + steps * idleNanos);
      }
    }
  }
}
