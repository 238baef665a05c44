package dev.deploy.cluster.worker;

import dev.deploy.Resources;
import dev.deploy.cluster.link.Daemons;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.fabric.Fabric;
import dev.deploy.logging.Loggers;
import dev.deploy.master.Advertised;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.Handshake;
import dev.deploy.security.HandshakeAcceptor;
import dev.deploy.util.DaemonThreads;
import dev.deploy.util.HostPort;
import dev.deploy.wire.Link;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;

/**
 * {@code fabric <bind-addr>}: a worker machine's daemon. Listens on {@code <bind-addr>} for its
 * master, which dials it; runs the master's orders on this machine's {@link Fabric}. One master at
 * a time: a new authenticated master link replaces the old one (whose processes are killed), so a
 * restarted master takes over at once. Connections that do not prove the cluster key are closed and
 * logged (once a minute per address), and nothing they sent past the handshake is read; their
 * handshakes run on one thread ({@link HandshakeAcceptor}).
 *
 * <p>{@code fabric --master <host:port>}: a worker that joins instead ({@link #join}): it dials its
 * master, proves the key, reports its name and capacity, and needs no listening port of its own.
 * Example, in-process:
 *
 * <pre>{@code
 * WorkerDaemon worker = WorkerDaemon.join(
 *     WorkerDaemon.JoinOptions.of(key, new HostPort("10.0.0.1", 7000), cache)
 *         .withName("n1")
 *         .withCapacity(new Resources(8L << 30, 4))
 *         .withExitAfter(Duration.ofSeconds(30)));
 * String why = worker.gaveUp().join(); // the master stayed unreachable for 30 s
 * }</pre>
 */
public final class WorkerDaemon implements AutoCloseable {
  private static final Logger log = Loggers.get(WorkerDaemon.class);

  /**
   * How a worker joins its master ({@link WorkerDaemon#join}).
   *
   * @param key the cluster key to prove
   * @param master the master's host and port (its main port, the one deploy dials); the host is
   *     looked up again at every attempt
   * @param name this node's name in the master's books, unique in the cluster (see {@link
   *     WorkerLink.Join#checkName}); default: this machine's host name
   * @param capacity what this node may run in all; default: {@link #machineCapacity()}
   * @param advertise the host other machines dial to reach this one's processes, which their pids
   *     carry; empty: this side's address of the link to the master
   * @param bind where the processes' ports bind (its port is not used); empty: the advertised host,
   *     else this side's address of the link to the master
   * @param cache the jar cache
   * @param cacheLimit the bytes of jars the cache keeps (default 10 GiB)
   * @param cgroups whether each process gets a cgroup of its own where the machine allows (default
   *     true)
   * @param warm warm JVMs per program and resources (default 2; 0: none)
   * @param exitAfter give up when the master stayed unreachable this long: {@link #gaveUp}
   *     completes and the daemon closes itself; empty (default): keep trying for ever
   */
  public record JoinOptions(
      ClusterKey key,
      HostPort master,
      String name,
      Resources capacity,
      Optional<String> advertise,
      Optional<InetSocketAddress> bind,
      JarCache cache,
      long cacheLimit,
      boolean cgroups,
      int warm,
      Optional<Duration> exitAfter) {
    /**
     * Checks the options.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public JoinOptions {
      java.util.Objects.requireNonNull(key, "key");
      java.util.Objects.requireNonNull(master, "master");
      java.util.Objects.requireNonNull(capacity, "capacity");
      java.util.Objects.requireNonNull(cache, "cache");
      String bad = WorkerLink.Join.checkName(name);
      if (bad != null) {
        throw new IllegalArgumentException(bad);
      }
      if (advertise.isPresent() && HostPort.isWildcard(advertise.get())) {
        throw new IllegalArgumentException(
            "--advertise "
                + advertise.get()
                + " is a wildcard, which names no machine; give the address other machines dial"
                + " to reach this one");
      }
      if (bind.isPresent()
          && bind.get().getAddress() != null
          && bind.get().getAddress().isAnyLocalAddress()
          && advertise.isEmpty()) {
        throw new IllegalArgumentException(
            "fabric "
                + Advertised.show(bind.get())
                + " is a wildcard address, which other machines cannot dial; "
                + Advertised.HINT);
      }
      if (exitAfter.isPresent() && (exitAfter.get().isNegative() || exitAfter.get().isZero())) {
        throw new IllegalArgumentException(
            "the time to give up after must be positive, not " + exitAfter.get());
      }
    }

    /**
     * Options with the defaults: named after this machine's host name, with {@link
     * #machineCapacity()}, advertising its address of the link to the master, a 10 GiB cache limit,
     * cgroups, 2 warm JVMs, and no giving up.
     */
    public static JoinOptions of(ClusterKey key, HostPort master, JarCache cache) {
      return new JoinOptions(
          key,
          master,
          defaultName(),
          machineCapacity(),
          Optional.empty(),
          Optional.empty(),
          cache,
          10L << 30,
          true,
          2,
          Optional.empty());
    }

    /** Returns these options with {@code name}. */
    public JoinOptions withName(String name) {
      return new JoinOptions(
          key,
          master,
          name,
          capacity,
          advertise,
          bind,
          cache,
          cacheLimit,
          cgroups,
          warm,
          exitAfter);
    }

    /** Returns these options with {@code capacity}. */
    public JoinOptions withCapacity(Resources capacity) {
      return new JoinOptions(
          key,
          master,
          name,
          capacity,
          advertise,
          bind,
          cache,
          cacheLimit,
          cgroups,
          warm,
          exitAfter);
    }

    /** Returns these options advertising {@code host}. */
    public JoinOptions withAdvertise(String host) {
      return new JoinOptions(
          key,
          master,
          name,
          capacity,
          Optional.of(host),
          bind,
          cache,
          cacheLimit,
          cgroups,
          warm,
          exitAfter);
    }

    /** Returns these options binding the processes' ports to {@code bind}'s address. */
    public JoinOptions withBind(InetSocketAddress bind) {
      return new JoinOptions(
          key,
          master,
          name,
          capacity,
          advertise,
          Optional.of(bind),
          cache,
          cacheLimit,
          cgroups,
          warm,
          exitAfter);
    }

    /** Returns these options with the cache limit, cgroups and warm pool given. */
    public JoinOptions withFabric(long cacheLimit, boolean cgroups, int warm) {
      return new JoinOptions(
          key,
          master,
          name,
          capacity,
          advertise,
          bind,
          cache,
          cacheLimit,
          cgroups,
          warm,
          exitAfter);
    }

    /** Returns these options giving up after {@code exitAfter} without the master. */
    public JoinOptions withExitAfter(Duration exitAfter) {
      return new JoinOptions(
          key,
          master,
          name,
          capacity,
          advertise,
          bind,
          cache,
          cacheLimit,
          cgroups,
          warm,
          Optional.of(exitAfter));
    }
  }

  /**
   * Returns what this machine has, as the JVM sees it: the memory of its cgroup limit if any, else
   * the physical memory; the processors it may use ({@link Runtime#availableProcessors}, which
   * honours cgroup quotas and the CPU affinity mask).
   */
  public static Resources machineCapacity() {
    long memory = 0;
    java.lang.management.OperatingSystemMXBean os =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      memory = sun.getTotalMemorySize(); // the container's limit inside one (JDK 14+)
    }
    return new Resources(
        Math.max(memory, Resources.MIN_MEMORY), Runtime.getRuntime().availableProcessors());
  }

  /**
   * Returns this machine's host name, as a node name: its first label when the whole is too long.
   */
  public static String defaultName() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = System.getenv().getOrDefault("HOSTNAME", "worker");
    }
    if (WorkerLink.Join.checkName(host) != null) {
      host = host.split("\\.")[0];
    }
    return WorkerLink.Join.checkName(host) == null ? host : "worker";
  }

  private final ClusterKey key;

  /** The link port; null for a worker that joins. */
  private final ServerSocket server;

  /** The address masters dial and this machine's processes' pids carry; never a wildcard. */
  private final InetSocketAddress advertised;

  /**
   * Runs the handshakes of the link port without a thread each; hands masters to {@link #serve}.
   * Null for a worker that joins.
   */
  private final HandshakeAcceptor acceptor;

  /** The join loop of a worker that joins; else null. */
  private final JoinLoop joining;

  private final Fabric fabric;
  private final JarCache cache;
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.numbered("deploy-worker-timer"));
  private final ReentrantLock sessionLock = new ReentrantLock();

  private MasterSession session;
  private volatile boolean closed;

  /**
   * Binds {@code bind} and starts serving, advertising {@code advertise} (its port 0: the bound
   * port) or, when empty, {@code bind} itself; with {@code cgroups}, each process gets a cgroup of
   * its own where the machine allows; {@code warm} JVMs wait per program and resources (0: none);
   * the jar cache is trimmed to {@code cacheLimit} bytes every 10 minutes, sparing jars in use.
   *
   * @throws IOException when the address cannot be bound
   * @throws IllegalArgumentException when {@code bind} is a wildcard and nothing is advertised
   */
  public WorkerDaemon(
      ClusterKey key,
      InetSocketAddress bind,
      Optional<HostPort> advertise,
      JarCache cache,
      long cacheLimit,
      boolean cgroups,
      int warm)
      throws IOException {
    String host = advertise.map(HostPort::host).orElse(null);
    int port = advertise.map(HostPort::port).orElse(0);
    String what = "fabric " + Advertised.show(bind);
    Advertised.of(what, bind, host, port); // refuses a wildcard before anything is bound
    this.key = key;
    this.cache = cache;
    this.joining = null;
    this.server = ServerSocketChannel.open().socket(); // a channel's, for the acceptor
    server.setReuseAddress(true);
    server.bind(bind, 64);
    this.advertised = Advertised.of(what, address(), host, port);
    try {
      this.fabric = new Fabric(key, bind.getAddress(), advertised.getHostString(), warm);
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    if (cgroups) {
      fabric
          .limitWithCgroups()
          .ifPresent(why -> log.warn("processes run without cgroups (JVM flags only): {}", why));
    }
    timers.scheduleWithFixedDelay(
        () -> Daemons.trim(cache, cacheLimit, this::jarsInUse), 0, 10, TimeUnit.MINUTES);
    this.acceptor =
        HandshakeAcceptor.start(
            server.getChannel(),
            "the worker's link port",
            "deploy-worker-accept",
            socket ->
                LinkConnection.acceptor(
                    socket, key, Link.Role.WORKER, Link.Role.MASTER, java.util.List.of(advertised)),
            this::serve,
            DaemonThreads.numbered("deploy-worker-link"));
  }

  /** A worker that joins: see {@link #join}. */
  private WorkerDaemon(JoinOptions options, java.util.function.LongSupplier clock) {
    this.key = options.key();
    this.cache = options.cache();
    this.server = null;
    this.acceptor = null;
    this.advertised = null;
    this.fabric = null;
    this.joining = new JoinLoop(options, timers, clock);
    timers.scheduleWithFixedDelay(
        () -> Daemons.trim(cache, options.cacheLimit(), joining::jarsInUse),
        0,
        10,
        TimeUnit.MINUTES);
  }

  /**
   * Starts a worker that joins its master, as {@code fabric --master}: returns at once, while a
   * thread of its own dials the master every second until it is accepted, serves it, and dials
   * again when the link ends (its processes killed then). Close it to stop it: every process it
   * started is killed.
   *
   * @throws IllegalArgumentException when the options are wrong (see {@link JoinOptions})
   */
  public static WorkerDaemon join(JoinOptions options) {
    return join(options, System::nanoTime);
  }

  /** As {@link #join(JoinOptions)}, judging {@code exitAfter} on {@code clock}; for tests. */
  static WorkerDaemon join(JoinOptions options, java.util.function.LongSupplier clock) {
    WorkerDaemon daemon = new WorkerDaemon(options, clock);
    daemon.joining.gaveUp().whenComplete((why, e) -> daemon.close());
    Thread t = DaemonThreads.numbered("deploy-join").newThread(daemon.joining);
    t.start();
    return daemon;
  }

  /**
   * Completes with the one sentence saying why a joining worker gave up (its master stayed
   * unreachable for {@code exitAfter}, or its ports could not be bound) or stopped (its master
   * retired it: see {@link #retired}); the daemon is closed then. Never completes for a worker that
   * listens.
   */
  public CompletableFuture<String> gaveUp() {
    return joining == null ? new CompletableFuture<>() : joining.gaveUp();
  }

  /**
   * Returns whether a joining worker stopped because its master retired it (a node provider took it
   * out of the books idle): {@link #gaveUp} has completed, and this is no failure.
   */
  public boolean retired() {
    return joining != null && joining.retired();
  }

  /** Returns whether a joining worker's master accepted it and its link lasts; false otherwise. */
  public boolean joined() {
    return joining != null && joining.joined();
  }

  /**
   * Returns the address the daemon is bound to; maybe a wildcard.
   *
   * @throws IllegalStateException for a worker that joins, which listens on no port of its own
   */
  public InetSocketAddress address() {
    if (server == null) {
      throw new IllegalStateException("a worker that joins listens on no port of its own");
    }
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  /**
   * Returns the address masters dial to reach this worker, which its processes' pids carry as their
   * host: {@code --advertise}, else the bound address. Never a wildcard; unresolved (a host name
   * stays a name). Null for a worker that joins, which no master dials (see {@link
   * #fabricAddress}).
   */
  public InetSocketAddress advertised() {
    return advertised;
  }

  /** A link's thread: the master at {@code socket} proved the key; Hellos, then its session. */
  private void serve(Socket socket, Handshake handshake) {
    String peer = String.valueOf(socket.getRemoteSocketAddress());
    LinkConnection<WorkerLink> link;
    try {
      link =
          LinkConnection.accept(
              socket, handshake, Link.Role.WORKER, Link.Role.MASTER, WorkerLink::decode);
    } catch (IOException e) {
      log.warn("dropped a connection from {}: {}", peer, e.getMessage());
      return;
    }
    MasterSession next = new MasterSession(link, fabric, cache);
    MasterSession previous;
    sessionLock.lock();
    try {
      if (closed) {
        link.close();
        return;
      }
      previous = session;
      session = next;
      fabric.setMaster(next);
    } finally {
      sessionLock.unlock();
    }
    if (previous != null) {
      log.info("a new master at {} replaces the previous one", peer);
      previous.end();
    }
    log.info("the master at {} joined", peer);
    link.startPings(timers);
    next.run();
  }

  /**
   * Returns the fabric's address: where its processes dial it, with the host their pids carry; for
   * a worker that joins, empty until its first link to the master made the fabric.
   */
  public Optional<InetSocketAddress> fabricAddress() {
    Fabric f = joining != null ? joining.fabric() : fabric;
    return Optional.ofNullable(f).map(Fabric::address);
  }

  private java.util.Set<String> jarsInUse() {
    sessionLock.lock();
    try {
      return session == null ? java.util.Set.of() : session.jarsInUse();
    } finally {
      sessionLock.unlock();
    }
  }

  @Override
  public void close() {
    closed = true;
    if (joining != null) {
      joining.close();
      timers.shutdownNow();
      return;
    }
    MasterSession s;
    sessionLock.lock();
    try {
      s = session;
    } finally {
      sessionLock.unlock();
    }
    acceptor.close();
    try {
      server.close();
    } catch (IOException ignored) {
      // Closing to stop accepting.
    }
    if (s != null) {
      s.end();
    }
    fabric.close();
    timers.shutdownNow();
  }
}
