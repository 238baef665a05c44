package dev.deploy.cluster.link;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Small things the cluster's daemons share. */
public final class Daemons {
  private Daemons() {}

  /** Returns a factory of daemon threads named {@code name-1}, {@code name-2}, ... */
  public static ThreadFactory threads(String name) {
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
  public static void trim(
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

  /**
   * Returns the one sentence saying why a launch or spawn failed: a {@link
   * dev.deploy.master.LaunchException}'s message, "the deployment ended" for a cancellation, else
   * the error's message.
   */
  public static String reason(Throwable error) {
    Throwable cause = error;
    while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof dev.deploy.master.LaunchException) {
      return cause.getMessage();
    }
    if (cause instanceof java.util.concurrent.CancellationException) {
      return "the deployment ended";
    }
    return String.valueOf(cause.getMessage() != null ? cause.getMessage() : cause);
  }
}
