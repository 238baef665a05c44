package dev.deploy.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The floor of a loopback round trip for any runtime that multiplexes its sockets: two JVMs
 * ping-pong 12 bytes over raw NIO, once with blocking reads (the ChannelBench baseline) and once
 * with each side waiting in a {@link Selector} before it reads, as an event loop must. No codec, no
 * framing, no second thread. Legs alternate in blocks; p50 and p99 per leg. Run it under {@code
 * taskset -c 0} for the one-core regime, or as is.
 *
 * <pre>
 * java -cp bench/target/classes dev.deploy.bench.SelectorFloor
 * </pre>
 */
public final class SelectorFloor {
  static final int WARMUP = 20_000;
  static final int BLOCK = 10_000;
  static final int BLOCKS = 4;

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("--echo")) {
      echo(Integer.parseInt(args[1]));
      return;
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
      Process child =
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  SelectorFloor.class.getName(),
                  "--echo",
                  Integer.toString(port))
              .inheritIO()
              .start();
      try (SocketChannel blocking = accept(server, child);
          SocketChannel selecting = accept(server, child);
          Selector selector = Selector.open()) {
        selecting.configureBlocking(false);
        selecting.register(selector, SelectionKey.OP_READ);
        ByteBuffer buf = ByteBuffer.allocateDirect(12);
        pingPong(blocking, null, buf, WARMUP, null);
        pingPong(selecting, selector, buf, WARMUP, null);
        long[] raw = new long[BLOCK * BLOCKS];
        long[] sel = new long[BLOCK * BLOCKS];
        for (int b = 0; b < BLOCKS; b++) {
          long[] r = new long[BLOCK];
          long[] s = new long[BLOCK];
          if (b % 2 == 0) {
            pingPong(blocking, null, buf, BLOCK, r);
            pingPong(selecting, selector, buf, BLOCK, s);
          } else {
            pingPong(selecting, selector, buf, BLOCK, s);
            pingPong(blocking, null, buf, BLOCK, r);
          }
          System.arraycopy(r, 0, raw, b * BLOCK, BLOCK);
          System.arraycopy(s, 0, sel, b * BLOCK, BLOCK);
        }
        Arrays.sort(raw);
        Arrays.sort(sel);
        System.out.printf(
            Locale.ROOT,
            "SelectorFloor: 2 JVMs on loopback, JDK %s, %d round trips per leg%n"
                + "%-34s %10s %10s %10s%n",
            Runtime.version(),
            raw.length,
            "",
            "blocking",
            "selector",
            "sel/block");
        for (double p : new double[] {0.5, 0.99}) {
          double a = percentile(raw, p) / 1e3;
          double s = percentile(sel, p) / 1e3;
          System.out.printf(
              Locale.ROOT,
              "%-34s %10.1f %10.1f %9.2fx%n",
              String.format(Locale.ROOT, "ping-pong 12 bytes, p%.0f, us", p * 100),
              a,
              s,
              s / a);
        }
      } finally {
        if (!child.waitFor(10, TimeUnit.SECONDS)) { // it ends with its last echo, or its failure
          child.destroyForcibly();
        }
      }
    }
  }

  private static SocketChannel accept(ServerSocketChannel server, Process child)
      throws IOException {
    SocketChannel s = Trivial.accept(server, child);
    s.setOption(StandardSocketOptions.TCP_NODELAY, true);
    return s;
  }

  /** One leg: {@code count} round trips; with a selector, each wait is a select, then a read. */
  static void pingPong(SocketChannel s, Selector selector, ByteBuffer buf, int count, long[] nanos)
      throws IOException {
    for (int i = 0; i < count; i++) {
      long t0 = System.nanoTime();
      buf.clear();
      buf.putInt(8).putLong(i).flip();
      while (buf.hasRemaining()) {
        s.write(buf);
      }
      buf.clear();
      readFully(s, selector, buf);
      if (buf.getLong(4) != i) {
        throw new IllegalStateException("sent " + i + ", the echo is " + buf.getLong(4));
      }
      if (nanos != null) {
        nanos[i] = System.nanoTime() - t0;
      }
    }
  }

  private static void readFully(SocketChannel s, Selector selector, ByteBuffer buf)
      throws IOException {
    while (buf.hasRemaining()) {
      if (selector != null) {
        selector.select();
        selector.selectedKeys().clear();
      }
      if (s.read(buf) < 0) {
        throw new IOException("the other side closed the connection");
      }
    }
  }

  /** The child: echoes both connections, each in its own way, until they close. */
  static void echo(int port) throws IOException {
    InetSocketAddress parent = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    try (SocketChannel blocking = SocketChannel.open(parent);
        SocketChannel selecting = SocketChannel.open(parent);
        Selector selector = Selector.open()) {
      blocking.setOption(StandardSocketOptions.TCP_NODELAY, true);
      selecting.setOption(StandardSocketOptions.TCP_NODELAY, true);
      selecting.configureBlocking(false);
      selecting.register(selector, SelectionKey.OP_READ);
      List<SocketChannel> legs = new ArrayList<>(List.of(blocking, selecting));
      // The parent runs whole legs in turn: echo the warm-ups, then alternate as it does.
      int[] order = new int[2 + BLOCKS * 2];
      order[0] = 0;
      order[1] = 1;
      for (int b = 0; b < BLOCKS; b++) {
        order[2 + 2 * b] = b % 2 == 0 ? 0 : 1;
        order[3 + 2 * b] = b % 2 == 0 ? 1 : 0;
      }
      ByteBuffer buf = ByteBuffer.allocateDirect(12);
      for (int k = 0; k < order.length; k++) {
        SocketChannel s = legs.get(order[k]);
        Selector sel = order[k] == 1 ? selector : null;
        int count = k < 2 ? WARMUP : BLOCK;
        for (int i = 0; i < count; i++) {
          buf.clear();
          readFully(s, sel, buf);
          buf.flip();
          while (buf.hasRemaining()) {
            s.write(buf);
          }
        }
      }
    }
  }

  static double percentile(long[] sorted, double p) {
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  }

  private SelectorFloor() {}
}
