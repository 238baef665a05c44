package dev.deploy.bench;

import static dev.deploy.Deploy.*;

import dev.deploy.*;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Spawn latency against a bare JVM start, side by side in one run.
 *
 * <p>Bare: {@code java -cp <this classpath> dev.deploy.bench.Trivial}, from {@code
 * ProcessBuilder.start()} to the child's first line of {@code main}. Spawn: from the call of
 * {@code spawn} to the first line of the spawned task. Both read {@code System.nanoTime()}, one
 * monotonic clock for every process on the machine. The two kinds alternate so that the
 * machine's noise falls on both.
 *
 * <pre>
 * mvn -q -DskipTests package
 * java -cp cli/target/deploy.jar:bench/target/classes dev.deploy.bench.SpawnLatency [rounds]
 * </pre>
 */
public final class SpawnLatency {
  record Probe(long calledAt, String file) {}

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    Resources small = new Resources(256L << 20, 0.05);
    String java = ProcessHandle.current().info().command().orElse("java");
    String classPath = System.getProperty("java.class.path");
    Path dir = Files.createTempDirectory("deploy-bench");
    List<Long> bare = new ArrayList<>();
    List<Long> spawned = new ArrayList<>();
    try {
      for (int i = -3; i < rounds; i++) { // three rounds of warm-up for the page cache
        long b = bareStart(java, classPath);
        Path file = dir.resolve("spawn-" + (i + 3));
        long s = spawnStart(file, small);
        if (i >= 0) {
          bare.add(b);
          spawned.add(s);
        }
      }
    } finally {
      try (var files = Files.list(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir);
    }
    double bareMedian = median(bare) / 1e6;
    double spawnMedian = median(spawned) / 1e6;
    System.out.printf(Locale.ROOT, "%-34s %10s %10s%n", "start (" + rounds + " rounds)", "p50 ms",
        "p90 ms");
    System.out.printf(Locale.ROOT, "%-34s %10.1f %10.1f%n", "bare java -cp <same> Trivial",
        bareMedian, percentile(bare, 0.9) / 1e6);
    System.out.printf(Locale.ROOT, "%-34s %10.1f %10.1f%n", "spawn (cold JVM) to task running",
        spawnMedian, percentile(spawned, 0.9) / 1e6);
    System.out.printf(Locale.ROOT, "%-34s %10.2fx%n", "spawn / bare (p50)",
        spawnMedian / bareMedian);
  }

  /** Returns nanoseconds from ProcessBuilder.start() to the first line of Trivial.main. */
  static long bareStart(String java, String classPath) throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(java, "-cp", classPath, Trivial.class.getName())
            .redirectErrorStream(true);
    long before = System.nanoTime();
    Process p = builder.start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
    }
    p.waitFor();
    return Long.parseLong(out) - before;
  }

  /** Returns nanoseconds from spawn() to the first line of the task. */
  static long spawnStart(Path file, Resources resources) throws Exception {
    spawn(SpawnLatency::probe, new Probe(System.nanoTime(), file.toString()), resources)
        .orElseThrow(() -> new IllegalStateException("no room for a " + resources + " spawn"));
    Path done = Path.of(file + ".done");
    for (int i = 0; i < 10_000 && !Files.exists(done); i++) {
      Thread.sleep(1); // waiting for another process's file: no channel exists to wait on
    }
    return Long.parseLong(Files.readString(file).trim());
  }

  static void probe(Pid parent, Probe probe) throws IOException {
    long elapsed = System.nanoTime() - probe.calledAt();
    Files.writeString(Path.of(probe.file()), Long.toString(elapsed));
    Files.createFile(Path.of(probe.file() + ".done"));
  }

  static double median(List<Long> values) {
    return percentile(values, 0.5);
  }

  static double percentile(List<Long> values, double p) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
  }
}
