package dev.deploy.bench;

import static dev.deploy.Deploy.*;

import dev.deploy.*;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Channels against raw NIO, side by side in one run, between the same two JVMs on loopback: the
 * first process spawns an echo child, which also opens a plain {@link ServerSocketChannel} and
 * sends its port over a deploy channel, so both legs run between the very same pair of JVMs (same
 * flags, same JIT state, same machine noise).
 *
 * <ul>
 *   <li><b>rtt</b>: ping-pong of a {@code Long}; deploy: {@code send} then {@code recv} of the
 *       echo; raw: a blocking {@link SocketChannel} with {@code TCP_NODELAY} carrying the same 8
 *       bytes behind a 4-byte length. Warm-up, then {@link #RTT_BLOCKS} blocks of {@link
 *       #RTT_BLOCK} round trips that alternate between the legs; p50 and p99 per leg.
 *   <li><b>tput</b>: one-way {@code Long}s on a deploy channel for up to {@link #TPUT_COUNT} values
 *       or {@link #TPUT_NANOS}, then a stop marker; the child answers with the count it received.
 *       Time is first send to that answer. Target: 10,000,000/s over shared memory, 1,000,000/s
 *       over TCP.
 *   <li><b>bw</b>: 1 MiB {@code byte[]} values, the steady rate of a stream: {@link
 *       #BW_WARMUP_NANOS} of warm-up per leg, then {@link #BW_NANOS} per leg in {@link #BW_BLOCKS}
 *       blocks that alternate between the legs; raw: the same array written as length-prefixed
 *       frames on the blocking socket, read into a reused 1 MiB buffer. A block ends when the
 *       child's byte total arrives back. Then the same with 256 KiB values, a diagnostic row.
 * </ul>
 *
 * <p>Both processes ask for {@link #CPU} (so {@code -XX:ActiveProcessorCount=1}, and the pair fits
 * on one core, e.g. under {@code taskset -c 0}) and 1 GiB. A watchdog ends a run that takes longer
 * than {@link #LIMIT_SECONDS} (exit 3); the child ends when its parent goes (its channel and its
 * socket close) and has a watchdog of its own. The table goes to stdout through the bridge; {@code
 * 2>/dev/null} leaves it alone.
 *
 * <pre>
 * mvn -q -o -Dmaven.test.skip=true package
 * java -cp cli/target/deploy.jar:bench/target/classes dev.deploy.bench.ChannelBench [rtt] [tput] [bw]
 * </pre>
 *
 * <p>On a VM the raw round trip depends on where the scheduler puts the two threads (here 15 us on
 * one vCPU, 50 to 80 us across two, from run to run); {@code taskset -c 0 java ...} pins the whole
 * run to one core and gives a stable comparison.
 *
 * <p>The channels go through shared memory (the default between processes of one machine); {@code
 * DEPLOY_SHM=0 java ...} measures them over TCP instead (both JVMs inherit it); the raw NIO leg is
 * the same. {@code bench/mpi/pingpong.sh} is Open MPI's shared-memory round trip beside it
 * (docs/benchmarks.md).
 *
 * <p>Without arguments it runs all three phases, in 10 to 45 s on 2 cores. To profile one phase,
 * name it and give every JVM of the run a flight recording in one directory (JDK 17 does not expand
 * {@code %p}; a directory gets one file per process): {@code
 * JAVA_TOOL_OPTIONS=-XX:StartFlightRecording=filename=/tmp/cb/,settings=profile}.
 */
public final class ChannelBench {
  /**
   * Whether the channels go through shared memory ({@code DEPLOY_SHM} is not 0): then the rows
   * carry the same-host targets (two-core round trip p50 at most 0.2x raw and p99 at most 0.5x
   * raw's, 10 M one-way values/s, 1 MiB values at 1.5x raw's bandwidth); over TCP the loopback
   * ones.
   */
  static final boolean SHM = dev.deploy.io.ShmFile.enabled();

  /** The cpu each of the two processes asks for. */
  static final double CPU = 0.5;

  static final int RTT_WARMUP = 10_000;

  /**
   * The round trip's warm-up switches between the legs this many times, as the measured blocks do:
   * both legs run through the same JDK socket code (one blocking, one not), and each switch used to
   * cost the next leg C2 work on its one core (a few milliseconds of slow round trips, ~110 round
   * trips into every block, which set the deploy leg's p99; gone without C2). Switching during the
   * warm-up lets the JIT settle first: measured, ten switches take those stretches out
   * (docs/benchmarks.md).
   */
  static final int RTT_WARMUP_SWITCHES = Integer.getInteger("deploy.bench.rttWarmupSwitches", 10);

  static final int RTT_BLOCK = 5_000;
  static final int RTT_BLOCKS = 4;
  static final int TPUT_WARMUP = 300_000;
  static final int TPUT_COUNT = 5_000_000;
  static final long TPUT_NANOS = TimeUnit.SECONDS.toNanos(8);
  static final int BW_VALUE = 1 << 20;
  static final int BW_SMALL_VALUE = 256 << 10;

  /**
   * Warm-up per leg before the first size is measured: a stream of large values reaches its steady
   * rate only once the JIT has compiled its path (~1 GiB/s in the first second on these machines,
   * twice that after four), and a bandwidth figure is about streams that last.
   */
  static final long BW_WARMUP_NANOS = TimeUnit.SECONDS.toNanos(4);

  /** Warm-up per leg before the second size: the path is compiled by then. */
  static final long BW_REWARM_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Time measured per leg and size. */
  static final long BW_NANOS = TimeUnit.SECONDS.toNanos(3);

  static final int BW_BLOCKS = 4;
  static final int LIMIT_SECONDS = 90;

  /** How long the parent waits for any one answer of the child. */
  static final Duration ANSWER = Duration.ofSeconds(20);

  /** Child: echo the next {@code count} raw ping-pong messages, then come back. */
  record RawEcho(int count) {}

  /** Child: read raw frames until a zero length, then write the byte total back on the socket. */
  record RawSink() {}

  /** Child: count the values up to {@link Stop}, then send the count (or the byte total). */
  record Count() {}

  /** Child: the end of what to count. */
  record Stop() {}

  /** Child: return. */
  record Done() {}

  public static void main(String[] args) throws Exception {
    init(new Resources(1L << 30, CPU));
    Set<String> phases = new LinkedHashSet<>(Arrays.asList(args));
    if (phases.isEmpty()) {
      phases.addAll(List.of("rtt", "tput", "bw"));
    }
    for (String p : phases) {
      if (!List.of("rtt", "tput", "bw").contains(p)) {
        throw new IllegalArgumentException("unknown phase \"" + p + "\"; use rtt, tput, bw");
      }
    }
    CountDownLatch finished = new CountDownLatch(1);
    watchdog("parent", finished);
    Resources childResources = new Resources(1L << 30, CPU);
    Pid child =
        spawn(ChannelBench::echo, LIMIT_SECONDS, childResources)
            .orElseThrow(() -> new IllegalStateException("no room for " + childResources));
    try (Sender<Object> tx = new Sender<>(child);
        Receiver<Object> rx = new Receiver<>(child)) {
      long childOsPid = (Long) answer(rx, "the child's process id");
      int port = (Integer) answer(rx, "the raw port");
      try (SocketChannel raw = SocketChannel.open()) {
        raw.setOption(StandardSocketOptions.TCP_NODELAY, true);
        raw.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        Table table = new Table();
        if (phases.contains("rtt")) {
          Optional<Pinning> pinning = Pinning.of(ProcessHandle.current().pid(), childOsPid);
          if (pinning.isEmpty()) {
            rtt(tx, rx, raw, table, "");
          } else {
            try (Pinning pin = pinning.get()) {
              if (pin.twoCores()) {
                rtt(tx, rx, raw, table, ", two cores");
              }
              pin.oneCore();
              rtt(tx, rx, raw, table, ", one core");
            }
          }
        }
        if (phases.contains("tput")) {
          throughput(tx, rx, table);
        }
        if (phases.contains("bw")) {
          bandwidth(tx, rx, raw, table);
        }
        tx.send(new Done());
        table.print();
      }
    }
    finished.countDown();
  }

  // ===================== parent: the three phases =====================

  static void rtt(
      Sender<Object> tx, Receiver<Object> rx, SocketChannel raw, Table table, String where)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(12);
    for (int w = 0; w < RTT_WARMUP_SWITCHES; w++) {
      rawPingPong(tx, raw, buf, RTT_WARMUP / RTT_WARMUP_SWITCHES, null);
      deployPingPong(tx, rx, RTT_WARMUP / RTT_WARMUP_SWITCHES, null);
    }
    long[] rawNanos = new long[RTT_BLOCK * RTT_BLOCKS];
    long[] deployNanos = new long[RTT_BLOCK * RTT_BLOCKS];
    for (int b = 0; b < RTT_BLOCKS; b++) {
      long[] r = new long[RTT_BLOCK];
      long[] d = new long[RTT_BLOCK];
      if (b % 2 == 0) {
        rawPingPong(tx, raw, buf, RTT_BLOCK, r);
        deployPingPong(tx, rx, RTT_BLOCK, d);
      } else {
        deployPingPong(tx, rx, RTT_BLOCK, d);
        rawPingPong(tx, raw, buf, RTT_BLOCK, r);
      }
      System.arraycopy(r, 0, rawNanos, b * RTT_BLOCK, RTT_BLOCK);
      System.arraycopy(d, 0, deployNanos, b * RTT_BLOCK, RTT_BLOCK);
    }
    dump(where, rawNanos, deployNanos);
    Arrays.sort(rawNanos);
    Arrays.sort(deployNanos);
    // Over shared memory the two-core round trip has the same-host targets; on one core it is
    // reported only. Over TCP (DEPLOY_SHM=0) the p50 stays within 1.2x raw on both.
    boolean targeted = !SHM || !where.contains("one core");
    double p50Bound = SHM ? 0.2 : 1.2;
    table.row(
        "ping-pong Long RTT p50, us" + where,
        percentile(rawNanos, 0.50) / 1e3,
        percentile(deployNanos, 0.50) / 1e3,
        targeted ? String.format(Locale.ROOT, "<= %.2fx raw", p50Bound) : "(reported)",
        targeted ? Dir.LOWER : Dir.NONE,
        p50Bound);
    boolean p99Targeted = SHM && targeted;
    table.row(
        "ping-pong Long RTT p99, us" + where,
        percentile(rawNanos, 0.99) / 1e3,
        percentile(deployNanos, 0.99) / 1e3,
        p99Targeted ? "<= 0.50x raw" : "",
        p99Targeted ? Dir.LOWER : Dir.NONE,
        0.5);
  }

  /**
   * With {@code -Ddeploy.bench.rttDump=<dir>}, writes each leg's round trips in the order they ran
   * (nanoseconds, one a line) to {@code <dir>/raw<where>.txt} and {@code <dir>/deploy<where>.txt},
   * so that the slow ones can be told apart: lone, or in runs.
   */
  static void dump(String where, long[] rawNanos, long[] deployNanos) throws IOException {
    String dir = System.getProperty("deploy.bench.rttDump");
    if (dir == null) {
      return;
    }
    String suffix = where.replace(", ", "-").replace(' ', '-');
    for (String leg : List.of("raw", "deploy")) {
      long[] nanos = leg.equals("raw") ? rawNanos : deployNanos;
      StringBuilder b = new StringBuilder();
      for (long n : nanos) {
        b.append(n).append('\n');
      }
      java.nio.file.Files.writeString(
          java.nio.file.Path.of(dir, leg + suffix + ".txt"), b, StandardCharsets.UTF_8);
    }
  }

  static void deployPingPong(Sender<Object> tx, Receiver<Object> rx, int count, long[] nanos)
      throws ChannelException {
    for (int i = 0; i < count; i++) {
      Long value = 1_000_000L + i;
      long t0 = System.nanoTime();
      tx.send(value);
      Object back = rx.recv();
      long t1 = System.nanoTime();
      if (!value.equals(back)) {
        throw new IllegalStateException("sent " + value + ", the echo is " + back);
      }
      if (nanos != null) {
        nanos[i] = t1 - t0;
      }
    }
  }

  static void rawPingPong(
      Sender<Object> tx, SocketChannel raw, ByteBuffer buf, int count, long[] nanos)
      throws IOException {
    tx.send(new RawEcho(count));
    for (int i = 0; i < count; i++) {
      long value = 1_000_000L + i;
      long t0 = System.nanoTime();
      buf.clear();
      buf.putInt(8).putLong(value).flip();
      writeFully(raw, buf);
      buf.clear();
      readFully(raw, buf);
      long t1 = System.nanoTime();
      if (buf.getInt(0) != 8 || buf.getLong(4) != value) {
        throw new IllegalStateException("raw: sent " + value + ", the echo is " + buf.getLong(4));
      }
      if (nanos != null) {
        nanos[i] = t1 - t0;
      }
    }
  }

  static void throughput(Sender<Object> tx, Receiver<Object> rx, Table table)
      throws ChannelException {
    oneWayLongs(tx, rx, TPUT_WARMUP, Long.MAX_VALUE);
    long t0 = System.nanoTime();
    long sent = oneWayLongs(tx, rx, TPUT_COUNT, TPUT_NANOS);
    double seconds = (System.nanoTime() - t0) / 1e9;
    double rate = sent / seconds;
    table.row(
        String.format(Locale.ROOT, "one-way Long, msgs/s (%,d msgs)", sent),
        Double.NaN,
        rate,
        SHM ? ">= 10,000,000/s" : ">= 1,000,000/s",
        Dir.HIGHER_ABS,
        SHM ? 10_000_000 : 1_000_000);
  }

  /** Sends up to {@code count} Longs (stops early after {@code nanos}); returns how many. */
  static long oneWayLongs(Sender<Object> tx, Receiver<Object> rx, int count, long nanos)
      throws ChannelException {
    tx.send(new Count());
    long start = System.nanoTime();
    long sent = 0;
    for (int i = 0; i < count; i++) {
      tx.send((long) i);
      sent++;
      if ((i & 0xFFF) == 0 && System.nanoTime() - start > nanos) {
        break;
      }
    }
    tx.send(new Stop());
    long got = (Long) answer(rx, "the count of Longs");
    if (got != sent) {
      throw new IllegalStateException("sent " + sent + " Longs, the child counted " + got);
    }
    return sent;
  }

  static void bandwidth(Sender<Object> tx, Receiver<Object> rx, SocketChannel raw, Table table)
      throws IOException {
    for (int size : new int[] {BW_VALUE, BW_SMALL_VALUE}) {
      byte[] value = new byte[size];
      new Random(42).nextBytes(value);
      long warmup = size == BW_VALUE ? BW_WARMUP_NANOS : BW_REWARM_NANOS;
      rawStream(tx, raw, value, Long.MAX_VALUE, warmup);
      deployStream(tx, rx, value, Long.MAX_VALUE, warmup);
      long rawBytes = 0;
      long rawNanos = 0;
      long deployBytes = 0;
      long deployNanos = 0;
      long blockNanos = BW_NANOS / BW_BLOCKS;
      for (int b = 0; b < BW_BLOCKS; b++) { // alternating, so that noise falls on both legs
        for (int leg = 0; leg < 2; leg++) {
          long t0 = System.nanoTime();
          if ((leg + b) % 2 == 0) {
            rawBytes += rawStream(tx, raw, value, Long.MAX_VALUE, blockNanos);
            rawNanos += System.nanoTime() - t0;
          } else {
            deployBytes += deployStream(tx, rx, value, Long.MAX_VALUE, blockNanos);
            deployNanos += System.nanoTime() - t0;
          }
        }
      }
      boolean main = size == BW_VALUE;
      table.row(
          String.format(
              Locale.ROOT,
              "%d KiB byte[], MiB/s (%d / %d MiB)",
              size >> 10,
              rawBytes >> 20,
              deployBytes >> 20),
          rawBytes / (rawNanos / 1e9) / (1 << 20),
          deployBytes / (deployNanos / 1e9) / (1 << 20),
          main ? (SHM ? ">= 1.50x raw" : ">= 0.70x raw") : "(diagnostic)",
          main ? Dir.HIGHER : Dir.NONE,
          SHM ? 1.5 : 0.7);
    }
  }

  /** Sends {@code value} until {@code total} bytes or {@code nanos} are reached; returns bytes. */
  static long deployStream(
      Sender<Object> tx, Receiver<Object> rx, byte[] value, long total, long nanos)
      throws ChannelException {
    tx.send(new Count());
    long start = System.nanoTime();
    long sent = 0;
    while (sent < total && System.nanoTime() - start < nanos) {
      tx.send(value);
      sent += value.length;
    }
    tx.send(new Stop());
    long got = (Long) answer(rx, "the byte total");
    if (got != sent) {
      throw new IllegalStateException("sent " + sent + " bytes, the child counted " + got);
    }
    return sent;
  }

  /** The raw leg of {@link #deployStream}: length-prefixed frames, then a zero length. */
  static long rawStream(Sender<Object> tx, SocketChannel raw, byte[] value, long total, long nanos)
      throws IOException {
    tx.send(new RawSink());
    ByteBuffer header = ByteBuffer.allocateDirect(4);
    ByteBuffer[] frame = {header, null};
    long start = System.nanoTime();
    long sent = 0;
    while (sent < total && System.nanoTime() - start < nanos) {
      header.clear();
      header.putInt(value.length).flip();
      frame[1] = ByteBuffer.wrap(value);
      while (frame[1].hasRemaining()) {
        raw.write(frame);
      }
      sent += value.length;
    }
    header.clear();
    header.putInt(0).flip();
    writeFully(raw, header);
    ByteBuffer answer = ByteBuffer.allocate(8);
    readFully(raw, answer);
    long got = answer.getLong(0);
    if (got != sent) {
      throw new IllegalStateException("raw: sent " + sent + " bytes, the child counted " + got);
    }
    return sent;
  }

  // ===================== child =====================

  /**
   * The echo child: one loop over commands and values from the parent. Ends on {@link Done}, or
   * quietly when the parent went away (its own exit code tells what happened).
   */
  static void echo(Pid parent, int limitSeconds) throws Exception {
    watchdog("child", new CountDownLatch(1), limitSeconds + 10);
    try (Sender<Object> tx = new Sender<>(parent);
        Receiver<Object> rx = new Receiver<>(parent)) {
      tx.send(ProcessHandle.current().pid()); // so the parent can pin this process to a core
      echo(tx, rx);
    } catch (ChannelException | EOFException e) {
      System.err.println("ChannelBench child: the parent went away: " + e.getMessage());
    }
  }

  /** Child: the echo loop, with the raw socket beside the channel. */
  static void echo(Sender<Object> tx, Receiver<Object> rx) throws IOException {
    try (SocketChannel raw = acceptRaw(tx)) {
      raw.setOption(StandardSocketOptions.TCP_NODELAY, true);
      while (true) {
        Object v = rx.recv();
        if (v instanceof Long) {
          tx.send(v);
        } else if (v instanceof Count) {
          tx.send(count(rx));
        } else if (v instanceof RawEcho e) {
          rawEcho(raw, e.count());
        } else if (v instanceof RawSink) {
          rawSink(raw);
        } else if (v instanceof Done) {
          return;
        } else {
          throw new IllegalStateException("unexpected " + v + " in the echo loop");
        }
      }
    }
  }

  /** Child: opens the raw port, sends its number to the parent, accepts one connection. */
  static SocketChannel acceptRaw(Sender<Object> tx) throws IOException {
    try (ServerSocketChannel server = ServerSocketChannel.open();
        Selector selector = Selector.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
      server.configureBlocking(false);
      server.register(selector, SelectionKey.OP_ACCEPT);
      tx.send(((InetSocketAddress) server.getLocalAddress()).getPort());
      if (selector.select(ANSWER.toMillis()) == 0) {
        throw new IOException("the parent did not connect to the raw port in " + ANSWER);
      }
      SocketChannel raw = server.accept();
      raw.configureBlocking(true);
      return raw;
    }
  }

  /** Child: counts Longs (or bytes of byte[]s) until Stop; returns the count. */
  static long count(Receiver<Object> rx) throws ChannelException {
    long count = 0;
    long bytes = 0;
    while (true) {
      Object v = rx.recv();
      if (v instanceof Long) {
        count++;
      } else if (v instanceof byte[] b) {
        bytes += b.length;
      } else if (v instanceof Stop) {
        return bytes > 0 ? bytes : count;
      } else {
        throw new IllegalStateException("unexpected " + v + " while counting");
      }
    }
  }

  static void rawEcho(SocketChannel raw, int count) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(12);
    for (int i = 0; i < count; i++) {
      buf.clear();
      readFully(raw, buf);
      buf.flip();
      writeFully(raw, buf);
    }
  }

  static void rawSink(SocketChannel raw) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(4);
    ByteBuffer body = ByteBuffer.allocate(BW_VALUE);
    long total = 0;
    while (true) {
      header.clear();
      readFully(raw, header);
      int length = header.getInt(0);
      if (length == 0) {
        break;
      }
      if (length < 0 || length > BW_VALUE) {
        throw new IOException("raw frame length " + length + " is outside 0.." + BW_VALUE);
      }
      body.clear().limit(length);
      readFully(raw, body);
      total += length;
    }
    ByteBuffer answer = ByteBuffer.allocate(8);
    answer.putLong(0, total);
    writeFully(raw, answer);
  }

  // ===================== helpers =====================

  static Object answer(Receiver<Object> rx, String what) throws ChannelException {
    return rx.recv(ANSWER)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "the child sent no " + what + " in " + ANSWER.toSeconds() + " s"));
  }

  static void readFully(SocketChannel s, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (s.read(b) < 0) {
        throw new EOFException("the raw peer closed the socket");
      }
    }
  }

  static void writeFully(SocketChannel s, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      s.write(b);
    }
  }

  static double percentile(long[] sorted, double p) {
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  }

  static void watchdog(String who, CountDownLatch finished) {
    watchdog(who, finished, LIMIT_SECONDS);
  }

  /**
   * Ends this process when {@code finished} is not counted down within {@code seconds}: exit 3, and
   * a halt 5 s later in case the exit's channel drain is stuck.
   */
  static void watchdog(String who, CountDownLatch finished, int seconds) {
    daemon(
        "bench-watchdog-" + who,
        () -> {
          try {
            if (finished.await(seconds, TimeUnit.SECONDS)) {
              return;
            }
            System.err.println(
                "ChannelBench: the " + who + " took over " + seconds + " s; exiting");
            daemon(
                "bench-halt-" + who,
                () -> {
                  try {
                    TimeUnit.SECONDS.sleep(5);
                  } catch (InterruptedException ignored) {
                    // Halting anyway.
                  }
                  Runtime.getRuntime().halt(3);
                });
            System.exit(3);
          } catch (InterruptedException ignored) {
            // Nothing to watch any more.
          }
        });
  }

  static void daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  // ===================== pinning =====================

  /**
   * Pins the two processes (every thread, so both legs alike) to chosen cores with Linux's {@code
   * taskset}, and puts their masks back. Where the two processes run decides a loopback round trip:
   * on one core each hop is a switch between threads, on two it is a wake-up across cores, so the
   * round trip is measured in both, on purpose, rather than wherever the scheduler puts them.
   */
  static final class Pinning implements AutoCloseable {
    private final long parent;
    private final long child;
    private final String parentMask;
    private final String childMask;
    private final int first;
    private final int second; // -1 when only one core is allowed

    private Pinning(long parent, long child, String parentMask, String childMask, long cpus) {
      this.parent = parent;
      this.child = child;
      this.parentMask = parentMask;
      this.childMask = childMask;
      this.first = Long.numberOfTrailingZeros(cpus);
      long rest = cpus & ~(1L << first);
      this.second = rest == 0 ? -1 : Long.numberOfTrailingZeros(rest);
    }

    /** Returns a pinning of the two processes, or empty where taskset does not work. */
    static Optional<Pinning> of(long parent, long child) {
      try {
        String parentMask = mask(parent);
        String childMask = mask(child);
        long cpus = Long.parseUnsignedLong(parentMask, 16) & Long.parseUnsignedLong(childMask, 16);
        return cpus == 0
            ? Optional.empty()
            : Optional.of(new Pinning(parent, child, parentMask, childMask, cpus));
      } catch (IOException | RuntimeException e) {
        System.err.println("ChannelBench: cannot pin to cores (" + e.getMessage() + ")");
        return Optional.empty();
      }
    }

    /** Pins the processes to two different cores; false when only one core is allowed. */
    boolean twoCores() throws IOException {
      if (second < 0) {
        return false;
      }
      taskset(Integer.toString(first), true, parent);
      taskset(Integer.toString(second), true, child);
      return true;
    }

    /** Pins both processes to one core. */
    void oneCore() throws IOException {
      taskset(Integer.toString(first), true, parent);
      taskset(Integer.toString(first), true, child);
    }

    /** Gives both processes their masks back (the child's even when the parent's fails). */
    @Override
    public void close() throws IOException {
      try {
        taskset(parentMask, false, parent);
      } finally {
        taskset(childMask, false, child);
      }
    }

    /** Returns a process's affinity mask in hex, as taskset prints it. */
    private static String mask(long pid) throws IOException {
      String out = run(List.of("taskset", "-p", Long.toString(pid)));
      String hex = out.substring(out.lastIndexOf(':') + 1).trim();
      if (hex.isEmpty() || hex.length() > 15 || !hex.matches("[0-9a-fA-F]+")) {
        throw new IOException("taskset printed \"" + out.trim() + "\"");
      }
      return hex;
    }

    /** Sets the affinity of every thread of {@code pid}: {@code -c <cpu>}, or a hex mask. */
    private static void taskset(String cpuOrMask, boolean isCpu, long pid) throws IOException {
      List<String> argv = new ArrayList<>(List.of("taskset", "-a", "-p"));
      if (isCpu) {
        argv.add("-c");
      }
      argv.add(cpuOrMask);
      argv.add(Long.toString(pid));
      run(argv);
    }

    private static String run(List<String> argv) throws IOException {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      try {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new IOException(String.join(" ", argv) + " failed: " + out.trim());
        }
        return out;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while running taskset", e);
      } finally {
        p.destroyForcibly();
      }
    }
  }

  // ===================== the table =====================

  /** How a row meets its target: deploy/raw at most, at least, deploy alone at least, none. */
  enum Dir {
    LOWER,
    HIGHER,
    HIGHER_ABS,
    NONE
  }

  /** Rows of raw, deploy, deploy/raw and the target, printed together at the end. */
  static final class Table {
    private final StringBuilder rows = new StringBuilder();

    void row(String name, double raw, double deploy, String target, Dir dir, double bound) {
      String ratio = Double.isNaN(raw) ? "" : String.format(Locale.ROOT, "%.2fx", deploy / raw);
      String verdict = "";
      if (dir != Dir.NONE) {
        boolean ok =
            switch (dir) {
              case LOWER -> deploy / raw <= bound;
              case HIGHER -> deploy / raw >= bound;
              case HIGHER_ABS -> deploy >= bound;
              case NONE -> true;
            };
        verdict = ok ? "ok" : "MISSED";
      }
      rows.append(
          String.format(
              Locale.ROOT,
              "%-44s %12s %12s %10s  %-16s %s%n",
              name,
              fmt(raw),
              fmt(deploy),
              ratio,
              target,
              verdict));
    }

    private static String fmt(double v) {
      if (Double.isNaN(v)) {
        return "-";
      }
      return v >= 10_000
          ? String.format(Locale.ROOT, "%,.0f", v)
          : String.format(Locale.ROOT, "%.1f", v);
    }

    void print() {
      System.out.printf(
          Locale.ROOT,
          "ChannelBench: 2 JVMs on loopback, JDK %s, cpu=%s each (ActiveProcessorCount=%d)%n",
          Runtime.version(),
          CPU,
          Runtime.getRuntime().availableProcessors());
      System.out.printf(
          Locale.ROOT,
          "%-44s %12s %12s %10s  %-16s %s%n",
          "",
          "raw NIO",
          "deploy",
          "deploy/raw",
          "target",
          "");
      System.out.print(rows);
    }
  }

  private ChannelBench() {}
}
