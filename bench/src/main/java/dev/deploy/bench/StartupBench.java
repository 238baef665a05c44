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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The first second of a run, against a bare JVM of the same class path, all in one command and
 * interleaved (bare, fresh run, example, bare, ...) so a busy machine weighs on every column alike:
 *
 * <ul>
 *   <li><b>bare JVM</b>: {@code java -cp <this class path> dev.deploy.bench.Trivial}, from fork to
 *       exit (wall), and its CPU (user + system);
 *   <li><b>first spawn</b>: in a fresh run, from the first {@code spawn} call to its first value
 *       received by the parent (an {@code Integer});
 *   <li><b>warm spawn</b>: the same, in one run, {@code WARM} spawns 300 ms apart (the pool has
 *       refilled);
 *   <li><b>Hello</b>: the README's example ({@code dev.deploy.examples.Hello}, ten workers one
 *       after another, each sends one value), from fork of {@code java} to its exit;
 *   <li><b>CPU per process</b>: a run that {@code spawnAsync}s 50 tasks at once, each sending one
 *       value back: the CPU of the whole process tree (the user's JVM, every spawned, pooled or
 *       training JVM) divided by 50, against 50 bare JVMs' CPU divided by 50.
 * </ul>
 *
 * <p>CPU is the tree's: each measured command runs under a small wrapper ({@code python3}, made a
 * child subreaper with {@code prctl}) that waits for every descendant, orphans included, and reads
 * its children's {@code getrusage}. Without {@code python3} the CPU columns say so and are skipped.
 *
 * <pre>
 * mvn -q -B -DskipTests package
 * java -cp cli/target/deploy.jar:bench/target/classes:examples/target/classes \
 *     dev.deploy.bench.StartupBench [rounds]
 * </pre>
 */
public final class StartupBench {
  static final int WARM = 15;
  static final int TASKS = 50;

  /** What a run of the wrapper measured: wall and CPU seconds of the whole tree, and its output. */
  record Run(double wall, double cpu, String out) {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].startsWith("--")) {
      program(args[0]);
      return;
    }
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    String classPath = System.getProperty("java.class.path");
    try {
      Class.forName("dev.deploy.examples.Hello");
    } catch (ClassNotFoundException e) {
      System.err.println("put examples/target/classes on the class path (see the javadoc)");
      System.exit(2);
    }
    Path wrapper = wrapper();
    // Once, unmeasured: the page cache and the class-sharing archive of this class path.
    run(wrapper, classPath, "dev.deploy.bench.StartupBench", "--first");

    List<Double> bareWall = new ArrayList<>();
    List<Double> bareCpu = new ArrayList<>();
    List<Double> first = new ArrayList<>();
    List<Double> firstRun = new ArrayList<>();
    List<Double> hello = new ArrayList<>();
    List<Double> helloCpu = new ArrayList<>();
    for (int i = 0; i < rounds; i++) {
      Run bare = run(wrapper, classPath, Trivial.class.getName());
      bareWall.add(bare.wall);
      bareCpu.add(bare.cpu);
      Run f = run(wrapper, classPath, StartupBench.class.getName(), "--first");
      first.add(value(f.out, "first"));
      firstRun.add(f.wall);
      Run h = run(wrapper, classPath, "dev.deploy.examples.Hello");
      if (!h.out.contains("total 4500!")) {
        throw new IllegalStateException("Hello printed:\n" + h.out);
      }
      hello.add(h.wall);
      helloCpu.add(h.cpu);
    }
    Run w = run(wrapper, classPath, StartupBench.class.getName(), "--warm");
    List<Double> warm = values(w.out, "warm");
    List<Double> warmTask = values(w.out, "task");
    warmTask = warmTask.subList(warmTask.size() - warm.size(), warmTask.size());

    double bare = p(bareWall, 0.5);
    System.out.printf(
        Locale.ROOT,
        "StartupBench: %d rounds, %d cores, %s%n",
        rounds,
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.runtime.version"));
    System.out.printf(
        Locale.ROOT, "%-52s %9s %9s %8s  %s%n", "", "p50", "p99/max", "/bare", "target");
    System.out.printf(
        Locale.ROOT,
        "%-52s %7.1fms %7.1fms %8s%n",
        "bare java -cp <same> Trivial, fork to exit",
        bare * 1e3,
        p(bareWall, 1) * 1e3,
        "1.00x");
    line(
        "warm spawn -> first value at the parent", warm, bare, "p50 <= 5 ms", p(warm, 0.5) <= 5e-3);
    line("  of which spawn -> task running", warmTask, bare, "", true);
    line(
        "first spawn of a run -> first value", first, bare, "<= 3x bare", p(first, .5) <= 3 * bare);
    line(
        "README Hello (10 workers), java to exit",
        hello,
        bare,
        "<= 8x bare",
        p(hello, .5) <= 8 * bare);
    line("  (a run with one spawn, java to exit)", firstRun, bare, "", true);
    System.out.printf(
        Locale.ROOT,
        "%-52s %7.1fms %7.1fms %7.2fx%n",
        "  CPU of a Hello run, whole tree",
        p(helloCpu, 0.5) * 1e3,
        p(helloCpu, 1) * 1e3,
        p(helloCpu, 0.5) / p(bareCpu, 0.5));
    System.out.flush();

    // CPU per process: 50 bare JVMs against a run of 50 tasks, twice, alternating.
    List<Double> bareEach = new ArrayList<>();
    List<Double> taskEach = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      double sum = 0;
      for (int i = 0; i < TASKS; i++) {
        sum += run(wrapper, classPath, Trivial.class.getName()).cpu;
      }
      bareEach.add(sum / TASKS);
      Run t = cpuRun(wrapper, classPath);
      if (t == null) {
        System.out.println("CPU per spawned process: not measured (the run of 50 failed 3 times)");
        return;
      }
      taskEach.add(t.cpu / TASKS);
    }

    double bc = p(bareEach, 0.5);
    double tc = p(taskEach, 0.5);
    System.out.printf(
        Locale.ROOT,
        "%-52s %7.1fms %7.1fms %7.2fx  %s%n",
        "CPU per spawned process (" + TASKS + " spawnAsync, tree/" + TASKS + ")",
        tc * 1e3,
        Collections.max(taskEach) * 1e3,
        tc / bc,
        "<= 1.5x bare CPU " + (tc <= 1.5 * bc ? "ok" : "MISSED"));
    System.out.printf(
        Locale.ROOT,
        "%-52s %7.1fms %7.1fms%n",
        "  CPU of a bare JVM (" + TASKS + " runs / " + TASKS + ")",
        bc * 1e3,
        Collections.max(bareEach) * 1e3);
  }

  private static void line(String name, List<Double> s, double bare, String target, boolean ok) {
    System.out.printf(
        Locale.ROOT,
        "%-52s %7.1fms %7.1fms %7.2fx  %s%n",
        name,
        p(s, 0.5) * 1e3,
        p(s, 0.99) * 1e3,
        p(s, 0.5) / bare,
        target.isEmpty() ? "" : target + (ok ? " ok" : " MISSED"));
  }

  /**
   * Runs the 50 tasks, again (up to three times in all; then null) when the run fails: on a loaded
   * machine 50 JVMs dialling the fabric at once can exceed its cap on slow handshakes from one
   * address, which fails a spawn (its stderr then says so, and this prints it).
   */
  private static Run cpuRun(Path wrapper, String classPath) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return run(wrapper, classPath, StartupBench.class.getName(), "--cpu");
      } catch (IllegalStateException e) {
        String why = e.getMessage();
        if (attempt == 3) {
          System.err.println(why);
          return null;
        }
        System.err.println(
            "the run of " + TASKS + " tasks failed, again: " + why.substring(0, why.indexOf('\n')));
      }
    }
  }

  /** The deploy programs this class runs as. */
  static void program(String mode) throws Exception {
    init(Resources.DEFAULT);
    switch (mode) {
      case "--first" -> System.out.println("first " + spawnToFirstValue());
      case "--warm" -> {
        for (int i = -3; i < WARM; i++) {
          long nanos = spawnToFirstValue();
          if (i >= 0) {
            System.out.println("warm " + nanos);
          }
          Thread.sleep(300); // the pool refills in the background
        }
      }
      case "--cpu" -> {
        List<CompletableFuture<Pid>> spawned = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
          spawned.add(spawnAsync(StartupBench::one, 0, PROBE));
        }
        for (CompletableFuture<Pid> f : spawned) {
          try (Receiver<Integer> receiver = new Receiver<>(f.join())) {
            receiver.recv();
          }
        }
      }
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
  }

  static final Resources PROBE = new Resources(256L << 20, 0.05);

  /**
   * Returns nanoseconds from the call of spawn to the first value received, and prints (as {@code
   * task <nanos>}) the part of it until the task started.
   */
  private static long spawnToFirstValue() throws Exception {
    long calledAt = System.nanoTime();
    Pid child = spawn(StartupBench::one, 0, PROBE).orElseThrow();
    int started;
    try (Receiver<Integer> receiver = new Receiver<>(child)) {
      started = receiver.recv();
      dev.deploy.logging.StartTrace.mark("bench: first value");
    }
    long arrived = System.nanoTime();
    // The task sent the low 32 bits of its clock (one monotonic clock on the machine).
    System.out.println("task " + ((arrived - calledAt) - ((int) arrived - started)));
    return arrived - calledAt;
  }

  /** The task: sends the low 32 bits of the clock as it starts, an Integer as the issue has it. */
  static void one(Pid parent, Integer ignored) throws Exception {
    int started = (int) System.nanoTime();
    dev.deploy.logging.StartTrace.mark("bench: task sends");
    try (Sender<Integer> sender = new Sender<>(parent)) {
      sender.send(started);
    }
  }

  /**
   * The subreaper: runs argv[2:], waits for every descendant, writes "wall cpu code" to argv[1].
   */
  private static final String WRAPPER =
      String.join(
          "\n",
          "import ctypes, os, resource, sys, time",
          "ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER",
          "t0 = time.monotonic()",
          "pid = os.fork()",
          "if pid == 0:",
          "    os.execvp(sys.argv[2], sys.argv[2:])",
          "code, t1 = None, None",
          "while True:",
          "    try:",
          "        p, st = os.wait()",
          "    except ChildProcessError:",
          "        break",
          "    if p == pid:",
          "        code, t1 = os.waitstatus_to_exitcode(st), time.monotonic()",
          "ru = resource.getrusage(resource.RUSAGE_CHILDREN)",
          "with open(sys.argv[1], 'w') as f:",
          "    f.write('%f %f %d' % (t1 - t0, ru.ru_utime + ru.ru_stime, code))",
          "");

  private static Path wrapper() throws IOException {
    Path file = Files.createTempFile("cputree", ".py");
    file.toFile().deleteOnExit();
    Files.writeString(file, WRAPPER);
    return file;
  }

  /** Runs {@code java -cp classPath args} under the wrapper; its stderr is shown if it fails. */
  static Run run(Path wrapper, String classPath, String... args)
      throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Path result = Files.createTempFile("cputree", ".out");
    Path err = Files.createTempFile("cputree", ".err");
    try {
      List<String> argv =
          new ArrayList<>(List.of("python3", wrapper.toString(), result.toString(), java));
      argv.add("-cp");
      argv.add(classPath);
      argv.addAll(List.of(args));
      ProcessBuilder builder = new ProcessBuilder(argv).redirectError(err.toFile());
      builder.environment().put("DEPLOY_FORMAT", "human");
      Process p = builder.start();
      String out;
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", args) + " took over 120 s");
      }
      String[] r = Files.readString(result).trim().split(" ");
      if (r.length != 3 || !r[2].equals("0")) {
        throw new IllegalStateException(
            String.join(" ", args)
                + " failed (wall, cpu, exit: "
                + String.join(" ", r)
                + "); its stderr:\n"
                + Files.readString(err));
      }
      return new Run(Double.parseDouble(r[0]), Double.parseDouble(r[1]), out);
    } finally {
      Files.deleteIfExists(result);
      Files.deleteIfExists(err);
    }
  }

  private static double value(String out, String name) {
    List<Double> v = values(out, name);
    if (v.isEmpty()) {
      throw new IllegalStateException("no \"" + name + "\" line in:\n" + out);
    }
    return v.get(0);
  }

  private static List<Double> values(String out, String name) {
    List<Double> v = new ArrayList<>();
    for (String line : out.split("\n")) {
      String[] parts = line.trim().split(" ");
      if (parts.length == 2 && parts[0].equals(name)) {
        v.add(Long.parseLong(parts[1]) / 1e9);
      }
    }
    return v;
  }

  static double p(List<Double> values, double q) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
  }
}
