package dev.deploy.util;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Factories of daemon threads: a JVM never waits for them to end. Any thread may call them. */
public final class DaemonThreads {
  private DaemonThreads() {}

  /** Returns a factory of daemon threads named {@code name-1}, {@code name-2}, ... */
  public static ThreadFactory numbered(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> start(r, name + "-" + n.incrementAndGet());
  }

  /** Returns a factory of daemon threads all named {@code name}. */
  public static ThreadFactory named(String name) {
    return r -> start(r, name);
  }

  /** Returns a new daemon thread named {@code name} that runs {@code r}, not yet started. */
  public static Thread of(String name, Runnable r) {
    return start(r, name);
  }

  private static Thread start(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
