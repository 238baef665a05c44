package dev.deploy.bench;

import static dev.deploy.Deploy.*;

import dev.deploy.*;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What a spawn costs, side by side in one command: a bare JVM start of the same class path, a cold
 * spawn (warm pool off), a warm spawn (a JVM from the pool), a fresh JVM's first message, and spawn
 * throughput.
 *
 * <ul>
 *   <li><b>bare</b>: {@code java -cp <this class path> dev.deploy.bench.Trivial}, from {@code
 *       ProcessBuilder.start()} to the first line of its {@code main}.
 *   <li><b>bare + TCP round trip</b>: the same JVM dials this process on loopback and makes one
 *       round trip of 8 bytes before it reads the clock: the floor of any cold JVM that joins a
 *       parent over TCP, whatever its runtime.
 *   <li><b>cold / warm spawn</b>: from the call of {@code spawn} to the first line of the task; the
 *       task sends {@code System.nanoTime()} back (one monotonic clock for every process on the
 *       machine).
 *   <li><b>first message</b>: from the first line of a cold JVM's task to its first value arriving
 *       at the parent (connection, handshake and codec included).
 *   <li><b>throughput</b>: {@code spawnAsync} of many trivial tasks at once, each sending one value
 *       back, until all arrived.
 * </ul>
 *
 * <p>The bare starts run first, then this class twice as a deploy program ({@code --run}), once
 * with {@code DEPLOY_WARM=0} and once with the pool on; the driver reads their stdout.
 *
 * <pre>
 * mvn -q -DskipTests package
 * java -cp cli/target/deploy.jar:bench/target/classes dev.deploy.bench.SpawnLatency [rounds]
 * </pre>
 */
public final class SpawnLatency {
  static final Resources PROBE = new Resources(256L << 20, 0.05);

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--run")) {
      run(args[1], Integer.parseInt(args[2]));
      return;
    }
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    String java = ProcessHandle.current().info().command().orElse("java");
    String classPath = System.getProperty("java.class.path");
    List<Long> bare = new ArrayList<>();
    List<Long> dialing = new ArrayList<>();
    try (ServerSocketChannel parent = ServerSocketChannel.open()) {
      parent.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      for (int i = 0; i < rounds + 3; i++) {
        long b = bareStart(java, classPath, null);
        long d = bareStart(java, classPath, parent);
        if (i >= 3) { // three rounds of warm-up for the page cache
          bare.add(b);
          dialing.add(d);
        }
      }
    }
    Map<String, List<Long>> cold = deployRun(java, classPath, "cold", rounds, "0");
    Map<String, List<Long>> warm = deployRun(java, classPath, "warm", rounds, "2");

    double bareP50 = percentile(bare, 0.5);
    System.out.printf(
        Locale.ROOT, "%-46s %9s %9s%n", "spawn (" + rounds + " rounds)", "p50 ms", "p99 ms");
    row("bare java -cp <same class path> Trivial", bare);
    row("bare JVM + one TCP round trip to its parent", dialing);
    row("cold spawn, to task running", cold.get("spawn"));
    row("warm spawn (pool), to task running", warm.get("spawn"));
    row("first message of a cold JVM, after its task", cold.get("first"));
    long tasks = warm.get("tasks").get(0);
    double seconds = warm.get("elapsed").get(0) / 1e9;
    System.out.printf(
        Locale.ROOT,
        "%-46s %9.0f tasks/s (%d tasks at once)%n",
        "spawn throughput, spawned and finished",
        tasks / seconds,
        tasks);
    System.out.printf(
        Locale.ROOT,
        "%-46s %8.2fx%n",
        "cold spawn / bare (p50)",
        percentile(cold.get("spawn"), 0.5) / bareP50);
    System.out.printf(
        Locale.ROOT,
        "%-46s %8.2fx%n",
        "bare + TCP round trip / bare (p50)",
        percentile(dialing, 0.5) / bareP50);
    System.out.printf(
        Locale.ROOT,
        "%-46s %8.2fx%n",
        "warm spawn / bare (p50)",
        percentile(warm.get("spawn"), 0.5) / bareP50);
  }

  private static void row(String name, List<Long> nanos) {
    System.out.printf(
        Locale.ROOT,
        "%-46s %9.1f %9.1f%n",
        name,
        percentile(nanos, 0.5) / 1e6,
        percentile(nanos, 0.99) / 1e6);
  }

  /**
   * Returns nanoseconds from ProcessBuilder.start() to the first line of Trivial.main or, with a
   * {@code parent} socket, to the end of Trivial's round trip with it (this thread echoes it).
   */
  static long bareStart(String java, String classPath, ServerSocketChannel parent)
      throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of(java, "-cp", classPath, Trivial.class.getName()));
    if (parent != null) {
      argv.add(Integer.toString(((InetSocketAddress) parent.getLocalAddress()).getPort()));
    }
    ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
    long before = System.nanoTime();
    Process p = builder.start();
    try {
      if (parent != null) {
        try (SocketChannel child = Trivial.accept(parent, p)) {
          ByteBuffer b = ByteBuffer.allocate(8);
          while (b.hasRemaining() && child.read(b) >= 0) {}
          b.flip();
          child.write(b);
        }
      }
      String out;
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
      }
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("the baseline JVM failed: " + out);
      }
      return Long.parseLong(out) - before;
    } finally {
      p.destroyForcibly();
    }
  }

  /** Runs this class as a deploy program and collects the "name nanos" lines it prints. */
  static Map<String, List<Long>> deployRun(
      String java, String classPath, String kind, int rounds, String warm)
      throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(
                java,
                "-cp",
                classPath,
                SpawnLatency.class.getName(),
                "--run",
                kind,
                Integer.toString(rounds))
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("DEPLOY_WARM", warm);
    builder.environment().put("DEPLOY_FORMAT", "human"); // stdout holds exactly the programs'
    Process p = builder.start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("the " + kind + " run failed:\n" + out);
    }
    Map<String, List<Long>> results = new HashMap<>();
    for (String line : out.split("\n")) {
      String[] parts = line.trim().split(" ");
      if (parts.length == 2 && parts[1].matches("\\d+")) {
        results.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(Long.parseLong(parts[1]));
      }
    }
    return results;
  }

  /** The deploy program: spawns probes and prints what it measured. */
  static void run(String kind, int rounds) throws Exception {
    init(Resources.DEFAULT);
    for (int i = -3; i < rounds; i++) { // three rounds to warm up the parent and the archive
      long calledAt = System.nanoTime();
      Pid child = spawn(SpawnLatency::probe, 0L, PROBE).orElseThrow();
      try (Receiver<Long> receiver = new Receiver<>(child)) {
        long taskStarted = receiver.recv();
        long arrived = System.nanoTime();
        if (i >= 0) {
          System.out.println("spawn " + (taskStarted - calledAt));
          System.out.println("first " + (arrived - taskStarted));
        }
      }
      if (kind.equals("warm")) {
        Thread.sleep(400); // the pool refills in the background; a spawn finds it full
      }
    }
    if (kind.equals("warm")) {
      int tasks = 20;
      long start = System.nanoTime();
      List<CompletableFuture<Pid>> spawned = new ArrayList<>();
      for (int i = 0; i < tasks; i++) {
        spawned.add(spawnAsync(SpawnLatency::probe, 0L, PROBE));
      }
      for (CompletableFuture<Pid> f : spawned) {
        try (Receiver<Long> receiver = new Receiver<>(f.join())) {
          receiver.recv();
        }
      }
      System.out.println("tasks " + tasks);
      System.out.println("elapsed " + (System.nanoTime() - start));
    }
  }

  static void probe(Pid parent, Long ignored) throws Exception {
    long started = System.nanoTime();
    try (Sender<Long> sender = new Sender<>(parent)) {
      sender.send(started);
    }
  }

  static double percentile(List<Long> values, double p) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
  }
}
