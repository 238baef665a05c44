package dev.deploy.e2e.netns;

import dev.deploy.e2e.tester.CloseAll;
import dev.deploy.e2e.tester.ClusterRunner;
import dev.deploy.e2e.tester.Daemon;
import dev.deploy.e2e.tester.RunOptions;
import dev.deploy.e2e.tester.RunningProgram;
import dev.deploy.e2e.tester.Tool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A cluster of real daemons on the machines of a {@link Network}: {@code fabric master} on host
 * {@code m} (3 GiB, 2 cores of its own), and on {@code w1}, {@code w2}, {@code w3} a {@code fabric
 * --master} of 2 GiB and 2 cores each that joins it; {@code deploy} runs on host {@code c}, a
 * machine of its own. Every daemon runs with {@code DEPLOY_SHM=0} (see {@link #environment()}) and
 * {@code --warm 0} (no JVMs kept waiting: the machine has 2 cores) and {@code --no-cgroups} (the
 * faults are the network's and signals'), one key from {@code deploy.jar keygen}, and a jar cache
 * of its own in a temporary directory.
 *
 * <p>Hygiene: {@link #close()} kills every deploy client and every daemon with every process under
 * it, by pid, and deletes the directory; a shutdown hook does the same if the JVM exits first. Used
 * by one test thread.
 */
public final class NetCluster implements AutoCloseable {
  /** The hosts of the suite's network: master, three workers, the client. */
  public static final List<String> HOSTS = List.of("m", "w1", "w2", "w3", "c");

  /** The master's host. */
  public static final String MASTER = "m";

  /** The workers' hosts, which are also their names. */
  public static final List<String> WORKERS = List.of("w1", "w2", "w3");

  private static final int PORT = 7000;
  private static final Duration READY = Duration.ofSeconds(60);

  private final Network network;
  private final Path directory;
  private final Path keyFile;
  private final List<String> options;
  private Daemon master;
  private final Map<String, Daemon> workers = new LinkedHashMap<>();
  private final List<RunningProgram> runs = new ArrayList<>();
  private final Thread shutdownHook;
  private boolean closed;

  private NetCluster(Network network, Path directory, Path keyFile, List<String> options) {
    this.network = network;
    this.directory = directory;
    this.keyFile = keyFile;
    this.options = List.copyOf(options);
    this.shutdownHook = new Thread(this::killDaemons, "e2e-netcluster-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts the master and the three workers on {@code network} and waits until all joined. */
  public static NetCluster start(Network network) {
    Path directory;
    try {
      directory = Files.createTempDirectory("deploy-e2e-netns-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory for a cluster", e);
    }
    List<String> options = List.of("--warm", "0", "--no-cgroups");
    NetCluster cluster =
        new NetCluster(network, directory, Tool.keygen(directory.resolve("cluster.key")), options);
    try {
      cluster.startDaemons();
      return cluster;
    } catch (RuntimeException | Error e) {
      try {
        cluster.close();
      } catch (RuntimeException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  private void startDaemons() {
    List<String> command = Tool.command("fabric", "master", bridgeAddress(), "3GiB", "2");
    command.addAll(daemonOptions("m"));
    master =
        Daemon.start("master " + bridgeAddress(), network.in("m", command), Tool.environment());
    for (String w : WORKERS) {
      workers.put(w, startWorker(w));
    }
    awaitLog(master, "fabric master: deploy to " + bridgeAddress(), 1);
    for (String w : WORKERS) {
      awaitLog(master, joined(w), 1);
    }
  }

  private Daemon startWorker(String host) {
    List<String> command =
        Tool.command(
            "fabric",
            "--master",
            bridgeAddress(),
            "--name",
            host,
            "--advertise",
            network.address(host),
            "--mem",
            "2GiB",
            "--cpus",
            "2");
    command.addAll(daemonOptions(host));
    return Daemon.start("worker " + host, network.in(host, command), environment());
  }

  /**
   * {@link Tool#environment()} with {@code DEPLOY_SHM=0}, which the processes a daemon starts
   * inherit: the hosts are one machine (one boot id, one /dev/shm), where channels would take
   * shared memory instead of the network under test.
   */
  private static Map<String, String> environment() {
    Map<String, String> env = Tool.environment();
    env.put("DEPLOY_SHM", "0");
    return env;
  }

  private List<String> daemonOptions(String host) {
    List<String> all = new ArrayList<>(options);
    all.addAll(
        List.of(
            "--key-file",
            keyFile.toString(),
            "--cache",
            directory.resolve("cache-" + host).toString()));
    return all;
  }

  /** What the master logs when {@code name} joins. */
  static String joined(String name) {
    return "the worker " + name + " joined";
  }

  /** Waits until {@code daemon} logged {@code text} at least {@code times} times. */
  void awaitLog(Daemon daemon, String text, int times) {
    try {
      Awaitility.await()
          .pollInterval(Duration.ofMillis(20))
          .atMost(READY)
          .until(() -> !daemon.isRunning() || daemon.count(text) >= times);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          daemon + " did not log \"" + text + "\" within " + READY.toSeconds() + " s:\n" + logs());
    }
    if (!daemon.isRunning()) {
      throw new AssertionError(daemon + " exited:\n" + logs());
    }
  }

  /** Where deploy connects: the master's address and port. */
  public String bridgeAddress() {
    return network.address("m") + ":" + PORT;
  }

  /** A temporary directory deleted with the cluster, for the test's own files. */
  public Path directory() {
    return directory;
  }

  /** The network the cluster runs on. */
  public Network network() {
    return network;
  }

  /** The master's daemon. */
  public Daemon master() {
    return master;
  }

  /** The worker daemon on {@code host}. */
  public Daemon worker(String host) {
    Daemon d = workers.get(host);
    if (d == null) {
      throw new IllegalArgumentException("no worker on " + host);
    }
    return d;
  }

  /**
   * Kills the worker on {@code host} with every process under it (its machine dies), starts it
   * again on the same address and name, and waits until the master says it joined again.
   */
  public void restartWorker(String host) {
    Daemon d = worker(host);
    int before = master.count(joined(host));
    d.kill();
    try {
      d.handle().onExit().get(10, TimeUnit.SECONDS); // reaped, so restart() finds it gone
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + d + " to be reaped", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError(d + " was not reaped within 10 s of SIGKILL", e);
    }
    d.restart();
    awaitLog(master, joined(host), before + 1);
  }

  /** Every process running under a daemon now: the JVMs of the programs on the cluster. */
  public List<ProcessHandle> processes() {
    List<ProcessHandle> all = new ArrayList<>(master.processes());
    workers.values().forEach(w -> all.addAll(w.processes()));
    return all;
  }

  /**
   * Starts {@code deploy --format json} of {@code program} on the client's host {@code c}, reading
   * its events as they come.
   */
  public RunningProgram deploy(Class<?> program, RunOptions options) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "deploy",
                "--format",
                "json",
                "--key-file",
                keyFile.toString(),
                bridgeAddress(),
                ClusterRunner.classPath(),
                program.getName()));
    if (!options.args().isEmpty()) {
      args.add("--");
      args.addAll(options.args());
    }
    ProcessBuilder builder =
        new ProcessBuilder(network.in("c", Tool.command(args.toArray(String[]::new))));
    builder.environment().clear();
    builder.environment().putAll(Tool.environment());
    RunningProgram run =
        RunningProgram.start(
            builder, program.getName(), "netns", options, null, List::of, Duration.ofSeconds(1));
    runs.add(run);
    return run;
  }

  /** Every daemon's log, for failure messages. */
  public String logs() {
    StringBuilder s = new StringBuilder();
    List<Daemon> all = new ArrayList<>();
    if (master != null) {
      all.add(master);
    }
    all.addAll(workers.values());
    for (Daemon d : all) {
      String log = d.log().stripTrailing();
      s.append(d).append(":\n  ").append(log.replace("\n", "\n  ")).append('\n');
    }
    return s.toString();
  }

  /** Kills every client and daemon with everything under them, and deletes the directory. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    RuntimeException first = null;
    try {
      CloseAll.closeAll(runs); // the clients first
    } catch (RuntimeException e) {
      first = e;
    }
    try {
      killDaemons();
    } catch (RuntimeException e) {
      first = first == null ? e : first;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down: the hook runs anyway, and finds nothing left.
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // A temporary directory: whatever is left, the system cleans.
    }
    if (first != null) {
      throw first;
    }
  }

  /** Kills the master, then every worker, each with everything under it. */
  private void killDaemons() {
    List<AutoCloseable> all = new ArrayList<>(); // CloseAll closes the last first
    for (Daemon d : workers.values()) {
      all.add(d::kill);
    }
    if (master != null) {
      all.add(master::kill);
    }
    CloseAll.closeAll(all);
  }
}
