package dev.deploy.cluster;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Small things the cluster's daemons share. */
final class Daemons {
  private Daemons() {}

  /** Returns a factory of daemon threads named {@code name-1}, {@code name-2}, ... */
  static ThreadFactory threads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Trims {@code cache} to {@code limit} bytes, least recently used first, sparing {@code inUse}; a
   * failure is logged, never thrown (it runs on a timer).
   */
  static void trim(
      dev.deploy.program.JarCache cache,
      long limit,
      java.util.function.Supplier<java.util.Set<String>> inUse) {
    try {
      long freed = cache.evict(limit, inUse.get());
      if (freed > 0) {
        dev.deploy.logging.Loggers.get(Daemons.class)
            .info(
                "removed {} MiB of jars unused the longest from {}",
                freed >> 20,
                cache.directory());
      }
    } catch (java.io.IOException | RuntimeException e) {
      dev.deploy.logging.Loggers.get(Daemons.class)
          .warn("could not trim the jar cache: {}", e.getMessage());
    }
  }
}
