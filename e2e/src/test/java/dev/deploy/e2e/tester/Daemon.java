package dev.deploy.e2e.tester;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One daemon of a test {@link Cluster}: a {@code java -jar deploy.jar fabric ...} process the test
 * started, with everything it printed (stdout and stderr together, across restarts) kept for waits
 * and failure messages. {@link #kill()} is SIGKILL of the daemon and of every process under it, as
 * when its machine dies; {@link #killAlone()} is SIGKILL of the daemon only, as when it crashes;
 * {@link #restart()} starts the same command again.
 *
 * <p>Only ever signals its own process and that process's descendants, by pid. Used by the test
 * thread; one daemon thread per incarnation reads its output.
 */
public final class Daemon {
  /** Cap on the kept output, so a chatty daemon cannot exhaust the test's heap. */
  private static final int LOG_LIMIT = 4 << 20;

  private final String name;
  private final List<String> command;
  private final Map<String, String> environment;

  /** Every line the daemon printed, each incarnation after the last; guarded by itself. */
  private final StringBuilder log = new StringBuilder();

  /** The current incarnation; null before the first start. */
  private volatile Process process;

  /** Processes that were under an incarnation killed alone; killed with the daemon if still up. */
  private final Set<ProcessHandle> orphans = ConcurrentHashMap.newKeySet();

  private Daemon(String name, List<String> command, Map<String, String> environment) {
    this.name = name;
    this.command = List.copyOf(command);
    this.environment = Map.copyOf(environment);
  }

  /**
   * Starts {@code command} with exactly {@code environment} (nothing inherited); {@code name}, like
   * {@code "worker 127.0.0.2:40123"}, labels its log.
   */
  public static Daemon start(String name, List<String> command, Map<String, String> environment) {
    Daemon daemon = new Daemon(name, command, environment);
    daemon.restart();
    return daemon;
  }

  /** Starts the command again; the previous incarnation must be gone. */
  public void restart() {
    Process old = process;
    if (old != null && old.isAlive()) {
      throw new IllegalStateException(name + " (pid " + old.pid() + ") is still running");
    }
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(environment);
    Process started;
    try {
      started = builder.start();
      started.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command, e);
    }
    process = started;
    Thread reader =
        new Thread(() -> keep(started.getInputStream()), "e2e-daemon-log-" + started.pid());
    reader.setDaemon(true);
    reader.start();
  }

  private void keep(InputStream in) {
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        synchronized (log) {
          if (log.length() < LOG_LIMIT) {
            log.append(line).append('\n');
          }
        }
      }
    } catch (IOException e) {
      // The daemon died or was killed: its log ends here.
    }
  }

  /** The label given at the start: role and address. */
  public String name() {
    return name;
  }

  /** The current incarnation's process handle. */
  public ProcessHandle handle() {
    return process.toHandle();
  }

  /** Whether the current incarnation runs (a zombie does not). */
  public boolean isRunning() {
    return RunningProgram.isRunning(process.toHandle());
  }

  /** The current incarnation's exit status once it ended; empty while it runs. */
  public java.util.OptionalInt exitCode() {
    Process p = process;
    return p.isAlive() ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(p.exitValue());
  }

  /** Everything the daemon printed so far, every incarnation. */
  public String log() {
    synchronized (log) {
      return log.toString();
    }
  }

  /** How many times {@code text} occurs in the log so far. */
  public int count(String text) {
    String all = log();
    int n = 0;
    for (int i = all.indexOf(text); i >= 0; i = all.indexOf(text, i + text.length())) {
      n++;
    }
    return n;
  }

  /**
   * The processes running under the daemon now: the JVMs it started for programs, and what they
   * started; not the daemon's reaper, which lives as long as the daemon.
   */
  public List<ProcessHandle> processes() {
    Process p = process;
    if (p == null) {
      return List.of();
    }
    try {
      return p.toHandle()
          .descendants()
          .filter(RunningProgram::isRunning)
          .filter(h -> !isReaper(h))
          .toList();
    } catch (RuntimeException e) {
      return List.of(); // racing an exit; the next look sees the rest
    }
  }

  /**
   * Whether {@code h} is a daemon's reaper ({@code ProcessFence.REAPER_NAME} is its {@code $0}).
   */
  static boolean isReaper(ProcessHandle h) {
    return h.info()
        .arguments()
        .map(a -> a.length > 0 && a[a.length - 1].equals("deploy-reaper"))
        .orElse(false);
  }

  /**
   * SIGKILL of the daemon only, as when it crashes; waits until it is gone.
   *
   * @return the processes that were under it, which are the daemon's no more
   */
  public List<ProcessHandle> killAlone() {
    Process p = process;
    List<ProcessHandle> under = p.toHandle().descendants().toList();
    orphans.addAll(under);
    p.destroyForcibly();
    if (!RunningProgram.awaitGone(p.toHandle(), Duration.ofSeconds(10))) {
      throw new IllegalStateException(name + " (pid " + p.pid() + ") survives SIGKILL");
    }
    return under;
  }

  /**
   * SIGKILL of the daemon, of every process under it and of those left by {@link #killAlone()},
   * collected first (the daemon's death re-parents them), as when the machine dies; waits until
   * each is gone.
   *
   * @throws IllegalStateException naming the processes that survive SIGKILL for 10 s
   */
  public void kill() {
    Process p = process;
    if (p == null) {
      return;
    }
    Set<ProcessHandle> victims = new LinkedHashSet<>(orphans);
    try {
      p.toHandle().descendants().forEach(victims::add);
    } catch (RuntimeException e) {
      // Racing an exit; those gone need no killing.
    }
    p.destroyForcibly();
    victims.forEach(ProcessHandle::destroyForcibly);
    List<String> stuck = new ArrayList<>();
    if (!RunningProgram.awaitGone(p.toHandle(), Duration.ofSeconds(10))) {
      stuck.add(name + " (pid " + p.pid() + ")");
    }
    for (ProcessHandle h : victims) {
      if (!RunningProgram.awaitGone(h, Duration.ofSeconds(10))) {
        stuck.add(String.valueOf(h.pid()));
      }
    }
    if (!stuck.isEmpty()) {
      throw new IllegalStateException("processes survive SIGKILL: " + stuck);
    }
  }

  @Override
  public String toString() {
    Process p = process;
    return name + (p == null ? "" : " (pid " + p.pid() + (p.isAlive() ? "" : ", dead") + ")");
  }
}
