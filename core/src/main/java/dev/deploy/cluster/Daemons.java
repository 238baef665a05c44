package dev.deploy.cluster;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
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

  /** Waits a moment after a failing accept() (out of file descriptors) before trying again. */
  static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
