package dev.deploy.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The baselines: a main that prints the monotonic clock as it starts, and nothing else; or, given a
 * port, one that first dials it on loopback and makes one round trip of 8 bytes (the least any JVM
 * joining a parent over TCP must do) and prints the clock after it.
 */
public final class Trivial {
  public static void main(String[] args) throws IOException {
    if (args.length > 0) {
      InetSocketAddress parent =
          new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
      try (SocketChannel s = SocketChannel.open(parent)) {
        ByteBuffer b = ByteBuffer.allocate(8).putLong(System.nanoTime()).flip();
        while (b.hasRemaining()) {
          s.write(b);
        }
        b.clear();
        while (b.hasRemaining()) {
          if (s.read(b) < 0) {
            throw new IOException("the parent closed the connection");
          }
        }
      }
    }
    System.out.println(System.nanoTime());
  }

  /**
   * Accepts the baseline JVM's connection, or throws if it ends (or takes 30 s) without dialling: a
   * blocking accept would wait forever for a JVM that failed to start.
   */
  public static SocketChannel accept(ServerSocketChannel parent, Process p) throws IOException {
    parent.configureBlocking(false);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    try (Selector selector = Selector.open()) {
      parent.register(selector, SelectionKey.OP_ACCEPT);
      while (true) {
        SocketChannel child = parent.accept();
        if (child != null) {
          child.configureBlocking(true);
          return child;
        }
        if (!p.isAlive() || System.nanoTime() - deadline > 0) {
          throw new IOException(
              "the baseline JVM did not dial back (it is " + (p.isAlive() ? "alive)" : "gone)"));
        }
        selector.select(100); // wakes at once when it dials
        selector.selectedKeys().clear();
      }
    }
  }
}
