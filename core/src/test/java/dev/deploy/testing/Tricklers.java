package dev.deploy.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Sockets that dial a listener and trickle the start of a deploy hello, one byte per socket every
 * period, never finishing: what an attacker without the key does to starve a listener. Closes every
 * socket on {@link #close}. Thread safe.
 */
public final class Tricklers implements AutoCloseable {
  /** The bytes trickled: "DPLY", version 3, then zeros, as a hello begins. */
  private static final byte[] START = {'D', 'P', 'L', 'Y', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

  private final List<Socket> sockets = new ArrayList<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "test-trickler");
            t.setDaemon(true);
            return t;
          });
  private int sent = 1;

  private Tricklers() {}

  /**
   * Opens {@code count} sockets to {@code target} from loopback, each sending its first byte now
   * and one more every {@code every}.
   *
   * @throws IOException when a socket cannot connect within 5 s (a listener starved already)
   */
  public static Tricklers open(InetSocketAddress target, int count, Duration every)
      throws IOException {
    Tricklers t = new Tricklers();
    try {
      for (int i = 0; i < count; i++) {
        Socket s = new Socket();
        t.sockets.add(s);
        s.connect(target, 5_000);
        s.getOutputStream().write(START[0]);
      }
    } catch (IOException | RuntimeException e) {
      t.close();
      throw e;
    }
    t.timer.scheduleWithFixedDelay(
        t::trickle, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    return t;
  }

  private void trickle() {
    byte b = START[Math.min(sent++, START.length - 1)];
    for (Socket s : sockets) {
      try {
        s.getOutputStream().write(b);
      } catch (IOException e) {
        // Dropped by the listener: as it should be.
      }
    }
  }

  /** Returns the number of live threads in this JVM. */
  public static int liveThreads() {
    return ManagementFactory.getThreadMXBean().getThreadCount();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException ignored) {
        // Closing.
      }
    }
  }
}
