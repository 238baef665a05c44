package dev.deploy.cluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Small things the cluster's daemons share. */
final class Daemons {
  private Daemons() {}

  /** Connections a daemon lets run their handshake at once; more wait in the listen backlog. */
  static final int MAX_UNAUTHENTICATED = 64;

  /** Closes a socket, ignoring failure. */
  static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
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

  /**
   * Accepts connections on {@code server} until {@code closed} says so, each served on a thread of
   * its own named {@code name-<n>}: {@code serve} gets the socket and a callback to run once its
   * handshake is over (passed or failed). At most {@link #MAX_UNAUTHENTICATED} connections run
   * their handshake at once; more wait in the listen backlog. Running out of threads refuses one
   * connection, not the loop.
   */
  static void acceptLoop(
      ServerSocket server,
      String name,
      java.util.function.BooleanSupplier closed,
      java.util.function.BiFunction<Socket, Runnable, Runnable> serve) {
    Semaphore unauthenticated = new Semaphore(MAX_UNAUTHENTICATED);
    AtomicInteger count = new AtomicInteger();
    while (!closed.getAsBoolean()) {
      unauthenticated.acquireUninterruptibly();
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        unauthenticated.release();
        if (closed.getAsBoolean()) {
          return;
        }
        pause(); // out of file descriptors: wait a moment and go on
        continue;
      }
      try {
        Thread t =
            new Thread(
                serve.apply(socket, unauthenticated::release),
                name + "-" + count.incrementAndGet());
        t.setDaemon(true);
        t.start();
      } catch (Throwable e) { // out of threads or memory: refuse this one, keep serving
        unauthenticated.release();
        closeQuietly(socket);
        pause();
      }
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
