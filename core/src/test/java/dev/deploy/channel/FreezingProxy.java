package dev.deploy.channel;

import dev.deploy.testing.LoopbackTables;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of one table's channel port that can freeze its connections: a
 * frozen connection stays open and forwards nothing more, either way, as a TCP connection whose
 * segments keep being lost looks to both ends (the bytes wait in buffers, the sender's writes back
 * up, no end of stream comes). Stands for the network in tests of the resume of a stalled
 * connection. {@link #close} closes every socket and stops its threads.
 *
 * <p>Thread safe: the test thread freezes while the proxy's own threads copy bytes.
 */
final class FreezingProxy implements AutoCloseable {
  private final InetSocketAddress target;
  private final ServerSocket server;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "freezing-proxy");
            t.setDaemon(true);
            return t;
          });
  private final List<Pipe> pipes = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();

  /** True once every later connection is frozen at once: the remote is out of reach. */
  private volatile boolean unreachable;

  /** Released by {@link #close}: frozen copiers wait for it. */
  private final CountDownLatch closed = new CountDownLatch(1);

  /** Starts a proxy to {@code target}. */
  FreezingProxy(InetSocketAddress target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, LoopbackTables.LOOPBACK);
    threads.execute(this::acceptAll);
  }

  /** Returns the address to dial instead of the target's. */
  InetSocketAddress address() {
    return new InetSocketAddress(LoopbackTables.LOOPBACK, server.getLocalPort());
  }

  /** Returns how many connections came through so far. */
  int accepted() {
    return accepted.get();
  }

  /** Freezes every connection open now; later ones flow. */
  void freeze() {
    for (Pipe p : pipes) {
      p.frozen = true;
    }
  }

  /** Freezes every connection open now, and every later one as it comes (never forwarded). */
  void freezeAll() {
    unreachable = true;
    freeze();
  }

  private void acceptAll() {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      Pipe p = new Pipe(client);
      pipes.add(p);
      if (unreachable) {
        p.frozen = true; // held open, never connected onwards: a handshake nobody answers
        continue;
      }
      try {
        p.server = new Socket(target.getAddress(), target.getPort());
      } catch (IOException e) {
        p.close(); // refused: so is the client
        continue;
      }
      threads.execute(() -> copy(p, p.client, p.server));
      threads.execute(() -> copy(p, p.server, p.client));
    }
  }

  private void copy(Pipe p, Socket from, Socket to) {
    byte[] buf = new byte[64 << 10];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      while (true) {
        if (p.frozen) {
          closed.await(); // read nothing more: the sender's bytes back up in its buffers
          return;
        }
        int n = in.read(buf);
        if (p.frozen) {
          closed.await(); // these bytes, or this end of stream, never forwarded
          return;
        }
        if (n < 0) {
          break;
        }
        out.write(buf, 0, n);
      }
    } catch (IOException e) {
      if (p.frozen) {
        try {
          closed.await(); // a reset is not forwarded either
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
        }
        return;
      }
      // One side ended: so does the other.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    p.close();
  }

  @Override
  public void close() throws InterruptedException {
    closed.countDown();
    try {
      server.close();
    } catch (IOException ignored) {
      // Closing.
    }
    for (Pipe p : pipes) {
      p.close();
    }
    threads.shutdownNow();
    threads.awaitTermination(5, TimeUnit.SECONDS);
  }

  /** One connection through the proxy: the client's socket and the one to the target. */
  private static final class Pipe {
    final Socket client;
    volatile Socket server;
    volatile boolean frozen;

    Pipe(Socket client) {
      this.client = client;
    }

    void close() {
      closeQuietly(client);
      Socket s = server;
      if (s != null) {
        closeQuietly(s);
      }
    }

    private static void closeQuietly(Socket s) {
      try {
        s.close();
      } catch (IOException ignored) {
        // Closing.
      }
    }
  }
}
