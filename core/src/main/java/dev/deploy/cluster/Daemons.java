package dev.deploy.cluster;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Small things the cluster's daemons share. */
final class Daemons {
  private Daemons() {}

  /** Connections a daemon lets run their handshake at once; more wait in the listen backlog. */
  static final int MAX_UNAUTHENTICATED = 64;

  /** Closes a socket, ignoring failure. */
  static void closeQuietly(java.net.Socket socket) {
    try {
      socket.close();
    } catch (java.io.IOException ignored) {
      // Closing a socket we are refusing.
    }
  }

  /** Returns a factory of daemon threads named {@code name-1}, {@code name-2}, ... */
  static ThreadFactory threads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Returns the jar this runtime was loaded from, or null when it is not a jar. */
  static Path runtimeJar() {
    try {
      CodeSource source = Daemons.class.getProtectionDomain().getCodeSource();
      if (source == null) {
        return null;
      }
      Path p = Path.of(source.getLocation().toURI());
      return p.toString().endsWith(".jar") ? p : null;
    } catch (URISyntaxException | RuntimeException e) {
      return null;
    }
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
        org.slf4j.LoggerFactory.getLogger(Daemons.class)
            .info(
                "removed {} MiB of jars unused the longest from {}",
                freed >> 20,
                cache.directory());
      }
    } catch (java.io.IOException | RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(Daemons.class)
          .warn("could not trim the jar cache: {}", e.getMessage());
    }
  }

  /** Waits a moment after a failing accept() (out of file descriptors) before trying again. */
  static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
