package dev.deploy.e2e.tester;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A cluster on this machine, every daemon a real {@code java -jar deploy.jar} process: a {@code
 * fabric master} on 127.0.0.1 (a worker too) and one {@code fabric} worker per {@link
 * ClusterLayout.Machine} on its own loopback address (127.0.0.2, 127.0.0.3, ...), each with its own
 * jar cache, all with one key made by {@code deploy.jar keygen}, in a temporary directory deleted
 * at {@link #close()}.
 *
 * <pre>{@code
 * try (Cluster cluster = Cluster.start(ClusterLayout.THREE_MACHINES)) {
 *   Run run = cluster.runner().run(Hello.class, RunOptions.defaults());
 * }
 * }</pre>
 *
 * <p>{@link #start} returns once the master said where deploy connects and that every worker
 * joined; it fails with every daemon's log if that takes longer than {@link #READY}. Ports are
 * picked free (bind to port 0, close) before the daemons start, and the whole start is tried again
 * when a daemon finds its port taken meanwhile.
 *
 * <p>Hygiene: {@link #close()} kills the runner's clients, then every daemon and every process
 * under them, by pid, and waits until each is gone; a shutdown hook does the same if the test JVM
 * exits first. Used by one test thread.
 */
public final class Cluster implements AutoCloseable {
  /** How long the daemons may take to listen and the workers to join. */
  public static final Duration READY = Duration.ofSeconds(60);

  private static final int ATTEMPTS = 3;

  private final ClusterLayout layout;
  private final Path directory;
  private final Path keyFile;
  private final Daemon master;
  private final InetSocketAddress bridge;

  /** By host, in the layout's order. */
  private final Map<String, Daemon> workers;

  private final List<String> workerAddresses;
  private final List<ClusterRunner> runners = new ArrayList<>();
  private final Thread shutdownHook;
  private boolean closed;

  private Cluster(
      ClusterLayout layout,
      Path directory,
      Path keyFile,
      Daemon master,
      InetSocketAddress bridge,
      Map<String, Daemon> workers,
      List<String> workerAddresses) {
    this.layout = layout;
    this.directory = directory;
    this.keyFile = keyFile;
    this.master = master;
    this.bridge = bridge;
    this.workers = workers;
    this.workerAddresses = workerAddresses;
    this.shutdownHook = new Thread(this::killDaemons, "e2e-cluster-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts the daemons of {@code layout} and waits until the master listens and every worker
   * joined.
   *
   * @throws AssertionError with every daemon's log when they are not ready within {@link #READY}
   */
  public static Cluster start(ClusterLayout layout) {
    return start(layout, List.of());
  }

  /** Starts the daemons as {@link #start(ClusterLayout)}, each with {@code options} added. */
  public static Cluster start(ClusterLayout layout, List<String> options) {
    return start(layout, options, false, List.of());
  }

  /**
   * Starts the master of {@code layout} with only its own {@code <mem> <cpu>} ({@code 0 0}: none),
   * then each worker as {@code fabric --master <the master> --name <its host> --advertise <its
   * host> --mem --cpus}, with {@code workerOptions} added, and waits until every worker joined. A
   * worker's {@link #workerAddress} is then its name, its host.
   */
  public static Cluster startJoining(ClusterLayout layout, List<String> workerOptions) {
    return start(layout, List.of(), true, workerOptions);
  }

  private static Cluster start(
      ClusterLayout layout, List<String> options, boolean joining, List<String> workerOptions) {
    Path directory;
    try {
      directory = Files.createTempDirectory("deploy-e2e-cluster-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory for a cluster", e);
    }
    Path keyFile;
    try {
      keyFile = Tool.keygen(directory.resolve("cluster.key"));
    } catch (RuntimeException e) {
      deleteTree(directory);
      throw e;
    }
    String taken = "";
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      List<Daemon> daemons = new ArrayList<>();
      try {
        Cluster cluster =
            joining
                ? tryStartJoining(layout, directory, keyFile, workerOptions, daemons)
                : tryStart(layout, directory, keyFile, options, daemons);
        if (cluster != null) {
          return cluster;
        }
        taken += (taken.isEmpty() ? "" : "\n") + logs(daemons);
      } catch (RuntimeException | Error e) {
        for (Daemon d : daemons) {
          try {
            d.kill();
          } catch (RuntimeException killing) {
            e.addSuppressed(killing);
          }
        }
        deleteTree(directory);
        throw e;
      }
      daemons.forEach(Daemon::kill);
    }
    deleteTree(directory);
    throw new AssertionError(
        "a daemon found its port taken " + ATTEMPTS + " times in a row:\n" + taken);
  }

  /** One attempt; null when a daemon found its port taken. */
  private static Cluster tryStart(
      ClusterLayout layout,
      Path directory,
      Path keyFile,
      List<String> options,
      List<Daemon> daemons) {
    Map<String, String> environment = Tool.environment();
    Map<String, Daemon> workers = new LinkedHashMap<>();
    List<String> workerAddresses = new ArrayList<>();
    for (ClusterLayout.Machine w : layout.workers()) {
      List<String> command;
      String address;
      if (w.advertise() == null) {
        address = w.host() + ":" + freePort(w.host());
        command = Tool.command("fabric", address);
      } else {
        int port = freePort("0.0.0.0");
        address = w.host() + ":" + port;
        command = Tool.command("fabric", "0.0.0.0:" + port, "--advertise", w.advertise());
      }
      command.addAll(daemonOptions(directory, keyFile, w.host()));
      command.addAll(options);
      Daemon d = Daemon.start("worker " + address, command, environment);
      daemons.add(d);
      workers.put(w.host(), d);
      workerAddresses.add(address);
    }
    ClusterLayout.Machine m = layout.master();
    String bind = m.host() + ":" + freePort(m.host());
    List<String> command = Tool.command("fabric", "master", bind, m.memory(), m.cpu());
    for (int i = 0; i < layout.workers().size(); i++) {
      ClusterLayout.Machine w = layout.workers().get(i);
      command.addAll(List.of(workerAddresses.get(i), w.memory(), w.cpu()));
    }
    command.addAll(daemonOptions(directory, keyFile, m.host()));
    command.addAll(options);
    Daemon master = Daemon.start("master " + bind, command, environment);
    daemons.add(master);
    try {
      Awaitility.await()
          .pollInterval(Duration.ofMillis(20))
          .atMost(READY)
          .until(
              () ->
                  daemons.stream().anyMatch(d -> !d.isRunning())
                      || (master.count("fabric master: deploy to " + bind) == 1
                          && workerAddresses.stream().allMatch(a -> master.count(joined(a)) >= 1)));
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "the cluster ("
              + layout
              + ") was not ready within "
              + READY.toSeconds()
              + " s:\n"
              + logs(daemons));
    }
    for (Daemon d : daemons) {
      if (!d.isRunning()) {
        if (d.log().contains("Address already in use")) {
          return null;
        }
        throw new AssertionError(d.name() + " exited at its start:\n" + logs(daemons));
      }
    }
    return new Cluster(
        layout,
        directory,
        keyFile,
        master,
        new InetSocketAddress(m.host(), Integer.parseInt(bind.substring(bind.indexOf(':') + 1))),
        workers,
        workerAddresses);
  }

  /** One attempt of {@link #startJoining}; null when the master found its port taken. */
  private static Cluster tryStartJoining(
      ClusterLayout layout,
      Path directory,
      Path keyFile,
      List<String> workerOptions,
      List<Daemon> daemons) {
    Map<String, String> environment = Tool.environment();
    ClusterLayout.Machine m = layout.master();
    String bind = m.host() + ":" + freePort(m.host());
    List<String> command = Tool.command("fabric", "master", bind, m.memory(), m.cpu());
    command.addAll(daemonOptions(directory, keyFile, m.host()));
    Daemon master = Daemon.start("master " + bind, command, environment);
    daemons.add(master);
    Map<String, Daemon> workers = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    for (ClusterLayout.Machine w : layout.workers()) {
      List<String> worker =
          Tool.command(
              "fabric",
              "--master",
              bind,
              "--name",
              w.host(),
              "--advertise",
              w.host(),
              "--mem",
              w.memory(),
              "--cpus",
              w.cpu());
      worker.addAll(daemonOptions(directory, keyFile, w.host()));
      worker.addAll(workerOptions);
      Daemon d = Daemon.start("worker " + w.host(), worker, environment);
      daemons.add(d);
      workers.put(w.host(), d);
      names.add(w.host());
    }
    try {
      Awaitility.await()
          .pollInterval(Duration.ofMillis(20))
          .atMost(READY)
          .until(
              () ->
                  daemons.stream().anyMatch(d -> !d.isRunning())
                      || (master.count("fabric master: deploy to " + bind) == 1
                          && names.stream().allMatch(n -> master.count(joined(n)) >= 1)));
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "the joining cluster ("
              + layout
              + ") was not ready within "
              + READY.toSeconds()
              + " s:\n"
              + logs(daemons));
    }
    for (Daemon d : daemons) {
      if (!d.isRunning()) {
        if (d == master && d.log().contains("Address already in use")) {
          return null;
        }
        throw new AssertionError(d.name() + " exited at its start:\n" + logs(daemons));
      }
    }
    return new Cluster(
        layout,
        directory,
        keyFile,
        master,
        new InetSocketAddress(m.host(), Integer.parseInt(bind.substring(bind.indexOf(':') + 1))),
        workers,
        names);
  }

  private static List<String> daemonOptions(Path directory, Path keyFile, String host) {
    return List.of(
        "--key-file", keyFile.toString(), "--cache", directory.resolve("cache-" + host).toString());
  }

  /**
   * What the master logs when the worker at {@code address} (or, for a worker that joins, named
   * {@code address}) joins.
   */
  private static String joined(String address) {
    return "the worker " + address + " joined";
  }

  /** A port that was free on {@code host} a moment ago. */
  static int freePort(String host) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on " + host, e);
    }
  }

  // ----- for tests

  /** Returns the address ({@code host:port}) the worker on {@code host} listens on. */
  public String workerAddress(String host) {
    return workerAddresses.get(new ArrayList<>(workers.keySet()).indexOf(host));
  }

  /** Where deploy connects: the master's bind address. */
  public InetSocketAddress bridge() {
    return bridge;
  }

  /** {@link #bridge()} as {@code host:port}. */
  public String bridgeAddress() {
    return bridge.getHostString() + ":" + bridge.getPort();
  }

  /** The cluster key every daemon was given. */
  public Path keyFile() {
    return keyFile;
  }

  /** A temporary directory deleted with the cluster, for the test's own files. */
  public Path directory() {
    return directory;
  }

  /** The layout it was started with. */
  public ClusterLayout layout() {
    return layout;
  }

  /** The master's daemon. */
  public Daemon master() {
    return master;
  }

  /** The worker daemon on {@code host}. */
  public Daemon worker(String host) {
    Daemon d = workers.get(host);
    if (d == null) {
      throw new IllegalArgumentException("no worker on " + host + " in " + layout);
    }
    return d;
  }

  /** Every daemon, the master first. */
  public List<Daemon> daemons() {
    List<Daemon> all = new ArrayList<>();
    all.add(master);
    all.addAll(workers.values());
    return all;
  }

  /** Every process running under a daemon now: the JVMs of the programs on the cluster. */
  public List<ProcessHandle> processes() {
    return daemons().stream().flatMap(d -> d.processes().stream()).toList();
  }

  /** A runner that deploys to this cluster; closed with it. */
  public ClusterRunner runner() {
    ClusterRunner r = new ClusterRunner(this);
    runners.add(r);
    return r;
  }

  /**
   * SIGKILL of the worker daemon on {@code host} only, as when it crashes.
   *
   * @return the processes that were under it
   */
  public List<ProcessHandle> killWorker(String host) {
    return worker(host).killAlone();
  }

  /**
   * Starts the worker on {@code host} again, with its address and cache, and waits until the master
   * says it joined again.
   *
   * @throws AssertionError with every daemon's log when it does not within {@link #READY}
   */
  public void restartWorker(String host) {
    Daemon d = worker(host);
    String address = workerAddresses.get(new ArrayList<>(workers.keySet()).indexOf(host));
    int before = master.count(joined(address));
    d.restart();
    try {
      Awaitility.await()
          .pollInterval(Duration.ofMillis(20))
          .atMost(READY)
          .until(() -> !d.isRunning() || master.count(joined(address)) > before);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "the restarted worker "
              + address
              + " did not join within "
              + READY.toSeconds()
              + " s:\n"
              + logs());
    }
    if (!d.isRunning()) {
      throw new AssertionError("the restarted worker " + address + " exited:\n" + logs());
    }
  }

  /** Every daemon's log, for failure messages. */
  public String logs() {
    return logs(daemons());
  }

  private static String logs(List<Daemon> daemons) {
    StringBuilder s = new StringBuilder();
    for (Daemon d : daemons) {
      String log = d.log().stripTrailing();
      s.append(d)
          .append(":\n  ")
          .append(log.isEmpty() ? "(nothing)" : log.replace("\n", "\n  "))
          .append('\n');
    }
    return s.toString();
  }

  /**
   * Kills whatever is left of the runners' deployments and clients, then every daemon and every
   * process under them, and deletes the directory; safe to call more than once.
   *
   * @throws IllegalStateException naming processes that survive SIGKILL
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    RuntimeException first = null;
    for (ClusterRunner r : runners) {
      try {
        r.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    try {
      killDaemons();
    } catch (RuntimeException e) {
      if (first == null) {
        first = e;
      } else {
        first.addSuppressed(e);
      }
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down: the hook runs anyway, and finds nothing left.
    }
    deleteTree(directory);
    if (first != null) {
      throw first;
    }
  }

  private void killDaemons() {
    RuntimeException first = null;
    for (Daemon d : daemons()) {
      try {
        d.kill();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // A temporary directory: whatever is left, the system cleans.
    }
  }

  @Override
  public String toString() {
    return "cluster " + bridgeAddress() + " (" + layout + ")";
  }
}
