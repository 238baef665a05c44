package dev.deploy.cluster.link;

/** Small things the cluster's daemons share. */
public final class Daemons {
  private Daemons() {}

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
    Throwable cause = dev.deploy.util.Futures.unwrap(error);
    if (cause instanceof dev.deploy.master.LaunchException) {
      return cause.getMessage();
    }
    if (cause instanceof java.util.concurrent.CancellationException) {
      return "the deployment ended";
    }
    return String.valueOf(cause.getMessage() != null ? cause.getMessage() : cause);
  }
}
