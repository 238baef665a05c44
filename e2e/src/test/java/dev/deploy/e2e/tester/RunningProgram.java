package dev.deploy.e2e.tester;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One started program: the bridge's {@link Process} (the JVM the test started), a thread parsing
 * its stdout into a live {@link ProcessTree} (JSON) or keeping it as bytes (human), a thread
 * keeping its stderr, and a sampler that records every descendant it ever sees, so processes that
 * outlive the bridge (and are re-parented away from it) are still known. For a deploy client, whose
 * run's processes live under a cluster's daemons, the sampler also records those ("elsewhere").
 *
 * <p>Hygiene: {@link #close()} collects the bridge's descendants <em>before</em> destroying
 * anything, adds every descendant ever sampled, destroys them all forcibly and waits until each is
 * gone. It only ever signals processes this object started or saw under the bridge (or elsewhere),
 * by pid.
 *
 * <p>Created by a {@link Runner}; used by one test thread; its reader and sampler threads are
 * daemons.
 */
public final class RunningProgram implements AutoCloseable {
  /** Samples descendants of every running program; one daemon thread for all. */
  private static final ScheduledExecutorService SAMPLER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "e2e-descendant-sampler");
            t.setDaemon(true);
            return t;
          });

  /** Cap on the kept stderr of the bridge, so a runaway run cannot exhaust the test's heap. */
  private static final int STDERR_LIMIT = 8 << 20;

  /** Cap on the kept stdout of a human-format run. */
  private static final int STDOUT_LIMIT = 256 << 20;

  private final String program;
  private final String runner;
  private final RunOptions options;
  private final Process bridge;
  private final long startNanos = System.nanoTime();
  private final ProcessTree tree = new ProcessTree();
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

  /** Every descendant of the bridge seen so far, still running or not. */
  private final Set<ProcessHandle> seen = ConcurrentHashMap.newKeySet();

  private final Thread stdoutReader;

  /** Open unless the run was started not reading its stdout; then opened by {@link #readOn()}. */
  private final java.util.concurrent.CountDownLatch reading =
      new java.util.concurrent.CountDownLatch(1);

  private final Thread stderrReader;
  private final ScheduledFuture<?> sampling;

  /** Deleted at close; null if the run has none. */
  private final Path disposableDirectory;

  /**
   * Processes of the run that are not the bridge's descendants (a cluster's daemons run them), as
   * they are now; sampled, checked and killed like the descendants. Empty for a local run.
   */
  private final Supplier<List<ProcessHandle>> elsewhere;

  /** How long each process of the run may take to end once the bridge exited. */
  private final Duration grace;

  private boolean closed;

  private RunningProgram(
      String program,
      String runner,
      RunOptions options,
      Process bridge,
      Path disposable,
      Supplier<List<ProcessHandle>> elsewhere,
      Duration grace) {
    this.program = program;
    this.runner = runner;
    this.options = options;
    this.bridge = bridge;
    this.disposableDirectory = disposable;
    this.elsewhere = elsewhere;
    this.grace = grace;
    this.stdoutReader =
        daemon("e2e-stdout-" + bridge.pid(), () -> readStdout(bridge.getInputStream()));
    this.stderrReader =
        daemon(
            "e2e-stderr-" + bridge.pid(),
            () -> keep(bridge.getErrorStream(), stderr, STDERR_LIMIT));
    this.sampling = SAMPLER.scheduleWithFixedDelay(this::sample, 0, 50, TimeUnit.MILLISECONDS);
  }

  /**
   * Starts {@code builder}'s process (the bridge, or a client streaming the bridge's events) with
   * stdin at its end.
   *
   * @param disposable a directory to delete when the run is closed, or null
   */
  static RunningProgram start(
      ProcessBuilder builder, String program, String runner, RunOptions options, Path disposable) {
    return start(builder, program, runner, options, disposable, List::of, Duration.ofSeconds(1));
  }

  /**
   * Starts {@code builder}'s process, a client whose run's processes live elsewhere: {@code
   * elsewhere} lists them as they are now (every JVM under a cluster's daemons, while this run is
   * the only one there), and each may take {@code grace} to end after the client exited.
   */
  public static RunningProgram start(
      ProcessBuilder builder,
      String program,
      String runner,
      RunOptions options,
      Path disposable,
      Supplier<List<ProcessHandle>> elsewhere,
      Duration grace) {
    RunningProgram running =
        startNotReading(builder, program, runner, options, disposable, elsewhere, grace);
    running.readOn();
    return running;
  }

  /**
   * As {@link #start(ProcessBuilder, String, String, RunOptions, Path, Supplier, Duration)}, but
   * nothing reads the process's stdout (a pager waiting for a key) until {@link #readOn()}: once
   * the pipe is full, the process waits on it.
   */
  static RunningProgram startNotReading(
      ProcessBuilder builder,
      String program,
      String runner,
      RunOptions options,
      Path disposable,
      Supplier<List<ProcessHandle>> elsewhere,
      Duration grace) {
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + builder.command(), e);
    }
    RunningProgram running =
        new RunningProgram(program, runner, options, process, disposable, elsewhere, grace);
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // The program does not read stdin; a closed pipe is what it gets either way.
    }
    running.stdoutReader.start();
    running.stderrReader.start();
    return running;
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }

  /** Starts (or goes on) reading the process's stdout. */
  public void readOn() {
    reading.countDown();
  }

  private void readStdout(InputStream in) {
    try {
      reading.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (options.format() == RunOptions.Format.HUMAN) {
      keep(in, stdout, STDOUT_LIMIT);
      return;
    }
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, UTF_8), 1 << 16)) {
      String line;
      while ((line = lines.readLine()) != null) {
        tree.accept(line);
      }
    } catch (IOException e) {
      // The pipe was closed by close(): the run is over either way.
    }
  }

  /** Copies {@code in} into {@code into} until its end, keeping at most {@code limit} bytes. */
  private static void keep(InputStream in, ByteArrayOutputStream into, int limit) {
    byte[] buffer = new byte[1 << 16];
    try (in) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        if (into.size() < limit) {
          into.write(buffer, 0, n);
        }
      }
    } catch (IOException e) {
      // Closed by close(): the run is over either way.
    }
  }

  private void sample() {
    try {
      bridge.toHandle().descendants().forEach(seen::add);
      seen.addAll(elsewhere.get());
    } catch (RuntimeException e) {
      // A process vanished while /proc was read; the next sample sees the rest.
    }
  }

  /** The bridge's process (the JVM the test started). */
  public ProcessHandle handle() {
    return bridge.toHandle();
  }

  /** The events seen so far, growing while the run goes on. */
  public ProcessTree tree() {
    return tree;
  }

  /** The bridge's current descendants, which are also remembered for the cleanup. */
  public List<ProcessHandle> descendants() {
    List<ProcessHandle> now = bridge.toHandle().descendants().toList();
    seen.addAll(now);
    return now;
  }

  /** Waits for the end of the run, up to the options' timeout. */
  public Run await() {
    return await(options.timeout());
  }

  /**
   * Waits up to {@code timeout} for the bridge to exit and its output to end. On timeout, kills the
   * whole tree and returns what was seen so far, marked timed out.
   */
  public Run await(Duration timeout) {
    boolean ended;
    try {
      ended = bridge.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      killAll();
      throw new AssertionError("interrupted while waiting for " + program, e);
    }
    if (!ended) {
      killAll();
    }
    if (!joinReaders(Duration.ofSeconds(10))) {
      // Some process still holds the bridge's stdout or stderr: it outlived the bridge.
      killAll();
      joinReaders(Duration.ofSeconds(5));
    }
    List<String> survivors = ended ? survivors() : List.of();
    Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
    return new Run(
        program,
        runner,
        options,
        ended ? bridge.exitValue() : null,
        took,
        tree,
        stdout.toByteArray(),
        stderr.toByteArray(),
        survivors);
  }

  private boolean joinReaders(Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    for (Thread t : List.of(stdoutReader, stderrReader)) {
      long left = deadline - System.nanoTime();
      try {
        if (left > 0) {
          t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return !stdoutReader.isAlive() && !stderrReader.isAlive();
  }

  /**
   * Processes of the run still running after the bridge exited, each given the grace (a second for
   * a local run) to finish; they are killed, and named in the run so the test fails.
   */
  private List<String> survivors() {
    sample();
    List<String> names = new ArrayList<>();
    for (ProcessHandle h : seen) {
      // A daemon's reaper lives as long as its daemon. A sample may have caught it before it was
      // one (between fork and exec it is the JVM's spawn helper), so it is told apart now.
      if (h.isAlive() && Daemon.isReaper(h)) {
        continue;
      }
      if (!awaitGone(h, grace)) {
        names.add(describe(h));
        h.destroyForcibly();
      }
    }
    return names;
  }

  /** Kills the whole tree and releases everything; safe to call more than once. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    reading.countDown(); // a reader held back drains what is left
    try {
      killAll();
      joinReaders(Duration.ofSeconds(5));
    } finally {
      sampling.cancel(false);
      if (disposableDirectory != null) {
        deleteTree(disposableDirectory);
      }
    }
  }

  /**
   * Collects the descendants first (destroying the bridge re-parents them), then destroys the
   * bridge and all of them, and waits until each is gone.
   */
  private void killAll() {
    Set<ProcessHandle> victims = new LinkedHashSet<>();
    try {
      bridge.toHandle().descendants().forEach(victims::add);
    } catch (RuntimeException e) {
      // Racing an exit; the sampled ones below still count.
    }
    victims.addAll(seen);
    try {
      victims.addAll(elsewhere.get());
    } catch (RuntimeException e) {
      // Racing an exit, as above.
    }
    victims.removeIf(h -> h.isAlive() && Daemon.isReaper(h)); // a daemon's, not the run's
    bridge.destroyForcibly();
    victims.forEach(ProcessHandle::destroyForcibly);
    List<String> stuck = new ArrayList<>();
    try {
      if (!bridge.waitFor(10, TimeUnit.SECONDS)) {
        stuck.add("bridge " + bridge.pid());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (ProcessHandle h : victims) {
      if (!awaitGone(h, Duration.ofSeconds(10))) {
        stuck.add(describe(h));
      }
    }
    if (!stuck.isEmpty()) {
      throw new IllegalStateException("processes survive SIGKILL: " + stuck);
    }
  }

  /** Whether {@code h} ended within {@code limit} (a zombie counts as ended). */
  static boolean awaitGone(ProcessHandle h, Duration limit) {
    if (!isRunning(h)) {
      return true;
    }
    try {
      Awaitility.await()
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(20))
          .atMost(limit)
          .until(() -> !isRunning(h));
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }

  /**
   * Whether {@code h} is alive and not a zombie: an orphan's zombie lingers until the system's
   * first process reaps it, but it runs nothing and holds nothing.
   */
  public static boolean isRunning(ProcessHandle h) {
    if (!h.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc/" + h.pid() + "/stat"));
      int end = stat.lastIndexOf(')');
      return end < 0 || end + 2 >= stat.length() || stat.charAt(end + 2) != 'Z';
    } catch (IOException | UncheckedIOException e) {
      return h.isAlive();
    }
  }

  private static String describe(ProcessHandle h) {
    return h.pid() + " " + h.info().commandLine().map(c -> Printable.text(c, 200)).orElse("?");
  }

  private static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      paths
          .sorted((a, b) -> b.getNameCount() - a.getNameCount())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }
}
