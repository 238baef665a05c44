package dev.deploy.cluster.master;

import dev.deploy.Resources;
import dev.deploy.bridge.EventSink;
import dev.deploy.cluster.link.Daemons;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.fabric.Fabric;
import dev.deploy.logging.Loggers;
import dev.deploy.master.Advertised;
import dev.deploy.master.Master;
import dev.deploy.master.Node;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.HandshakeAcceptor;
import dev.deploy.util.DaemonThreads;
import dev.deploy.util.HostPort;
import dev.deploy.wire.Link;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * {@code fabric master}: the master of a cluster, which is a worker too, and its bridge. Keeps the
 * books of every worker's room (dialling each worker of its static list and dropping it from the
 * books while it is unreachable; taking in each worker that joins, for as long as its link lasts),
 * places every spawn, runs this machine's share on its own {@link Fabric}, and serves {@code
 * deploy} clients: each connection is one {@link Deployment} with its own program, output and exit
 * code. Several deployments share the cluster at once.
 *
 * <p>Workers join on the main listener, the one deploy clients dial: the handshake's role tells a
 * worker ({@link WorkerLink.Join} follows its Hello) from a deploy client. Node names are unique: a
 * join under a name in use (a joined worker's while its link lasts, {@code master}, or a static
 * worker's {@code host:port}) is refused, saying so on both sides. {@link NodeProvider}s start
 * fabrics that join; they hear the queue of waiting spawns ({@link NodeProvider#demand}) on a
 * thread of the master's own, one call at a time, never under the master's lock.
 */
public final class ClusterMaster implements AutoCloseable, RemoteFabric.Programs {
  /** A worker machine: where its fabric listens and what it may run in all. */
  public record Worker(InetSocketAddress address, Resources capacity) {}

  private final ClusterKey key;
  private final Fabric fabric;
  private final Master master;
  private final JarCache cache;

  /** Every worker, dialled or joined; joined ones come and go. */
  private final List<RemoteFabric> workers = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** The workers that joined and whose link lasts, by name; changed under joinLock. */
  private final Map<String, RemoteFabric> joined = new ConcurrentHashMap<>();

  /** Names no worker may join as: the master's own node and the static workers'. */
  private final java.util.Set<String> staticNames = new java.util.HashSet<>();

  private final java.util.concurrent.locks.ReentrantLock joinLock =
      new java.util.concurrent.locks.ReentrantLock();

  private final List<NodeProvider> providers;

  /** Calls the providers' demand, one call at a time, off the master's threads. */
  private final java.util.concurrent.ExecutorService demands =
      Executors.newSingleThreadExecutor(DaemonThreads.numbered("deploy-demand"));

  /** Set while a call of the providers' demand is queued: changes meanwhile make one call. */
  private final java.util.concurrent.atomic.AtomicBoolean demandQueued =
      new java.util.concurrent.atomic.AtomicBoolean();

  private final List<ServerSocket> listeners = new ArrayList<>();

  /** The address others dial to reach this master; never a wildcard. */
  private final InetSocketAddress advertised;

  /** The address deploy dials for the bridge when it has its own; never a wildcard. */
  private final Optional<InetSocketAddress> advertisedBridge;

  /** Run the handshakes of each listener without a thread each; hand clients to a Deployment. */
  private final List<HandshakeAcceptor> acceptors = new ArrayList<>();

  private final Map<Long, Deployment> deployments = new ConcurrentHashMap<>();

  /** Every deployment's events and state, running and finished, within the retention. */
  private final DeploymentBook book =
      new DeploymentBook(Retention.DEFAULT, java.time.Clock.systemUTC());

  /** Every deployment whose client is connected, from its first byte: their jars are in use. */
  private final java.util.Set<Deployment> connected = ConcurrentHashMap.newKeySet();

  private final java.util.concurrent.ExecutorService senders =
      Executors.newCachedThreadPool(DaemonThreads.numbered("deploy-relay"));
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.numbered("deploy-master-timer"));
  private volatile boolean closed;

  private static final org.slf4j.Logger log = Loggers.get(ClusterMaster.class);

  /**
   * Starts the master: binds {@code bind} (where deploy connects, unless {@code bridge} is given)
   * and {@code bridge}, and starts dialling the workers (each worker's host name is looked up again
   * at every dial).
   *
   * @param advertise this machine's address as others dial it ({@code --advertise}; its port 0: the
   *     bound port): required when {@code bind} is a wildcard, and then also the host of a {@code
   *     bridge} bound to a wildcard; its processes' pids carry its host
   * @param own what this machine may run itself; empty: nothing (it only places and bridges)
   * @param cgroups whether each process here gets a cgroup of its own where the machine allows
   * @param warm how many warm JVMs this machine keeps per program and resources (0: none)
   * @param cacheLimit the bytes of jars the cache keeps; trimmed every 10 minutes, least recently
   *     used first, sparing the jars of running deployments
   * @throws IOException when an address cannot be bound
   * @throws IllegalArgumentException when {@code bind} or {@code bridge} is a wildcard and nothing
   *     is advertised
   */
  public ClusterMaster(
      ClusterKey key,
      InetSocketAddress bind,
      Optional<HostPort> advertise,
      Optional<Resources> own,
      Optional<InetSocketAddress> bridge,
      List<Worker> workerList,
      JarCache cache,
      long cacheLimit,
      boolean cgroups,
      int warm)
      throws IOException {
    this(
        key, bind, advertise, own, bridge, workerList, List.of(), cache, cacheLimit, cgroups, warm);
  }

  /**
   * As the constructor without {@code providers}, with workers from {@code providers} too: each is
   * {@link NodeProvider#start started} once the master listens (in the order given), hears the
   * queue of waiting spawns, and is closed when the master closes. Workers may join with or without
   * a provider; the static {@code workerList} is dialled as before.
   *
   * @throws IOException when an address cannot be bound
   * @throws IllegalArgumentException when {@code bind} or {@code bridge} is a wildcard and nothing
   *     is advertised
   * @throws RuntimeException what a provider's start threw; the master is closed then
   */
  public ClusterMaster(
      ClusterKey key,
      InetSocketAddress bind,
      Optional<HostPort> advertise,
      Optional<Resources> own,
      Optional<InetSocketAddress> bridge,
      List<Worker> workerList,
      List<NodeProvider> providers,
      JarCache cache,
      long cacheLimit,
      boolean cgroups,
      int warm)
      throws IOException {
    this.providers = List.copyOf(providers);
    String host = advertise.map(HostPort::host).orElse(null);
    int port = advertise.map(HostPort::port).orElse(0);
    String what = "fabric master " + Advertised.show(bind);
    // Refuses a wildcard before anything is bound.
    Advertised.of(what, bind, host, port);
    bridge.ifPresent(b -> Advertised.of("the bridge " + Advertised.show(b), b, host, 0));
    this.key = key;
    this.cache = cache;
    try {
      listeners.add(listen(bind));
      this.advertised = Advertised.of(what, local(listeners.get(0)), host, port);
      if (bridge.isPresent()) {
        listeners.add(listen(bridge.get()));
        InetSocketAddress b = local(listeners.get(1));
        // A bridge on a concrete address advertises that address; on a wildcard, this machine's.
        this.advertisedBridge =
            Optional.of(Advertised.of("the bridge", b, isWildcard(b) ? host : null, 0));
      } else {
        this.advertisedBridge = Optional.empty();
      }
      this.fabric = new Fabric(key, bind.getAddress(), advertised.getHostString(), warm);
    } catch (IOException | RuntimeException e) {
      closeListeners();
      throw e;
    }
    if (cgroups) {
      fabric
          .limitWithCgroups()
          .ifPresent(
              why ->
                  Loggers.get(ClusterMaster.class)
                      .warn("processes run without cgroups (JVM flags only): {}", why));
    }
    List<Node> nodes = new ArrayList<>();
    own.ifPresent(r -> nodes.add(new Node(OWN_NODE, r, fabric)));
    staticNames.add(OWN_NODE);
    for (Worker w : workerList) {
      String name = w.address().getHostString() + ":" + w.address().getPort();
      RemoteFabric remote = new RemoteFabric(name, w.address(), key, this, timers);
      workers.add(remote);
      staticNames.add(name);
      nodes.add(new Node(name, w.capacity(), remote));
    }
    this.master = new Master(nodes);
    if (!this.providers.isEmpty()) {
      master.setGrowth(new ProvidersGrowth());
    }
    fabric.setMaster(master);
    for (RemoteFabric r : workers) {
      r.start(master);
    }
    timers.scheduleWithFixedDelay(
        () -> Daemons.trim(cache, cacheLimit, this::jarsInUse),
        0,
        10,
        java.util.concurrent.TimeUnit.MINUTES);
    java.util.concurrent.ThreadFactory deployments = DaemonThreads.numbered("deploy-deployment");
    List<InetSocketAddress> names =
        java.util.stream.Stream.concat(
                java.util.stream.Stream.of(advertised), advertisedBridge.stream())
            .toList();
    for (int i = 0; i < listeners.size(); i++) {
      // Workers join on the main listener only; a separate bridge listener is deploy's alone.
      java.util.Set<Link.Role> takes =
          i == 0
              ? java.util.Set.of(Link.Role.DEPLOY, Link.Role.WORKER)
              : java.util.Set.of(Link.Role.DEPLOY);
      acceptors.add(
          HandshakeAcceptor.start(
              listeners.get(i).getChannel(),
              i == 0 ? "the master's port" : "the bridge",
              "deploy-bridge-accept",
              socket -> LinkConnection.acceptor(socket, key, Link.Role.BRIDGE, takes, names),
              (socket, handshake) -> {
                if (handshake.peerRole() == dev.deploy.security.Handshake.Role.WORKER) {
                  join(socket, handshake);
                  return;
                }
                Deployment d = new Deployment(this, socket, handshake);
                connected.add(d);
                d.run();
              },
              deployments));
    }
    ProviderCluster view = new ProviderCluster();
    try {
      for (NodeProvider p : this.providers) {
        p.start(view);
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** The name of the master's own node in its books. */
  static final String OWN_NODE = "master";

  /**
   * A worker's link thread: it proved the key as a worker; reads its {@link WorkerLink.Join},
   * refuses a name in use, else serves its link until it ends, the node in the books meanwhile.
   */
  private void join(java.net.Socket socket, dev.deploy.security.Handshake handshake) {
    String peer = String.valueOf(socket.getRemoteSocketAddress()).replaceFirst("^/", "");
    LinkConnection<WorkerLink> c;
    WorkerLink.Join request;
    try {
      c =
          LinkConnection.accept(
              socket, handshake, Link.Role.MASTER, Link.Role.WORKER, WorkerLink::decode);
    } catch (IOException e) {
      log.warn("dropped a worker's connection from {}: {}", peer, e.getMessage());
      return;
    }
    try {
      WorkerLink first = c.read();
      if (!(first instanceof WorkerLink.Join j)) {
        throw new dev.deploy.wire.ProtocolException(
            first == null
                ? "it closed the link before it joined"
                : "it sent a " + first.getClass().getSimpleName() + " before it joined");
      }
      request = j;
    } catch (IOException e) {
      log.warn("refused the worker at {}: {}", peer, e.getMessage());
      c.close();
      return;
    }
    RemoteFabric remote = new RemoteFabric(request.name(), key, this, timers);
    String refusal = claim(request.name(), remote);
    if (refusal != null) {
      log.warn("refused the worker {} at {}: {}", request.name(), peer, refusal);
      c.sendLast(new WorkerLink.JoinAnswer(false, refusal));
      c.readToEndAndClose();
      return;
    }
    try {
      if (!c.trySend(new WorkerLink.JoinAnswer(true, null))) {
        c.close();
        return;
      }
      log.info(
          "the worker {} joined from {} with {} (its processes at {})",
          request.name(),
          peer,
          request.capacity(),
          request.advertisedHost());
      remote.serveJoined(c, master, request.capacity());
    } finally {
      joinLock.lock();
      try {
        joined.remove(request.name(), remote);
        workers.remove(remote);
      } finally {
        joinLock.unlock();
      }
      remote.close();
    }
  }

  /** Takes {@code name} for {@code remote}; returns null, or why it may not have it. */
  private String claim(String name, RemoteFabric remote) {
    joinLock.lock();
    try {
      if (closed) {
        return "the master is shutting down";
      }
      if (staticNames.contains(name) || joined.containsKey(name)) {
        return "the name "
            + name
            + " is in use by another node of this cluster; give this fabric another --name";
      }
      joined.put(name, remote);
      workers.add(remote);
      return null;
    } finally {
      joinLock.unlock();
    }
  }

  /** What the providers see of this master. */
  private final class ProviderCluster implements NodeProvider.Cluster {
    @Override
    public InetSocketAddress joinAddress() {
      return advertised;
    }

    @Override
    public ClusterKey key() {
      return key;
    }

    @Override
    public List<NodeProvider.NodeState> nodes() {
      List<NodeProvider.NodeState> out = new ArrayList<>();
      for (Master.NodeView v : master.nodeViews()) {
        RemoteFabric r = joined.get(v.name());
        if (r == null || r != v.launcher()) {
          continue; // the master's own node, or a static worker
        }
        out.add(
            new NodeProvider.NodeState(
                v.name(),
                v.capacity(),
                new Resources(
                    Math.max(v.freeMemory(), Resources.MIN_MEMORY), Math.max(v.freeCpu(), 0)),
                java.time.Duration.ofNanos(v.idleNanos())));
      }
      return out;
    }

    @Override
    public boolean retire(String name) {
      RemoteFabric r = joined.get(name);
      if (r == null || !master.removeIdleNode(r)) {
        return false;
      }
      r.retire();
      return true;
    }

    @Override
    public void lost(String name, String why) {
      RemoteFabric r = joined.get(name);
      if (r != null) {
        r.cut(why);
      }
    }
  }

  /** The master's view of its providers. */
  private final class ProvidersGrowth implements dev.deploy.master.Growth {
    @Override
    public List<Resources> largestNodes() {
      List<Resources> out = new ArrayList<>();
      for (NodeProvider p : providers) {
        try {
          p.largestNode().ifPresent(out::add);
        } catch (RuntimeException e) {
          log.warn("the node provider {} failed to say its largest node", p, e);
        }
      }
      return out;
    }

    @Override
    public void queueChanged() {
      if (closed || !demandQueued.compareAndSet(false, true)) {
        return;
      }
      try {
        demands.execute(
            () -> {
              demandQueued.set(false);
              List<Resources> waiting = master.waitingResources();
              for (NodeProvider p : providers) {
                try {
                  p.demand(waiting);
                } catch (RuntimeException e) {
                  log.warn("the node provider {} failed to take the demand", p, e);
                }
              }
            });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        demandQueued.set(false); // shutting down
      }
    }
  }

  private static ServerSocket listen(InetSocketAddress address) throws IOException {
    ServerSocket s = ServerSocketChannel.open().socket(); // a channel's, for the acceptor
    try {
      s.setReuseAddress(true);
      s.bind(address, 64);
      return s;
    } catch (IOException e) {
      s.close();
      throw new IOException(
          "cannot listen on "
              + address.getHostString()
              + ":"
              + address.getPort()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private static InetSocketAddress local(ServerSocket s) {
    return (InetSocketAddress) s.getLocalSocketAddress();
  }

  private static boolean isWildcard(InetSocketAddress a) {
    return a.getAddress() != null && a.getAddress().isAnyLocalAddress();
  }

  /**
   * Returns the address others name this master by: {@code --advertise}, else the bound address.
   * Its host is the one the master's own processes' pids carry. Never a wildcard; unresolved.
   */
  public InetSocketAddress advertised() {
    return advertised;
  }

  /**
   * Returns the address deploy dials: the bridge's advertised address when it has its own listener,
   * else {@link #advertised()}. Never a wildcard; unresolved.
   */
  public InetSocketAddress advertisedBridge() {
    return advertisedBridge.orElse(advertised);
  }

  /** Returns the addresses deploy may connect to, as bound (maybe wildcards). */
  public List<InetSocketAddress> addresses() {
    List<InetSocketAddress> out = new ArrayList<>();
    for (ServerSocket s : listeners) {
      out.add((InetSocketAddress) s.getLocalSocketAddress());
    }
    return out;
  }

  ClusterKey key() {
    return key;
  }

  JarCache cache() {
    return cache;
  }

  Fabric fabric() {
    return fabric;
  }

  Master master() {
    return master;
  }

  /** Learns what a deployed program's first process needs; {@link Probe#run} but in tests. */
  interface Prober {
    /**
     * Returns the resources the program's {@code init} asks for.
     *
     * @throws Probe.ProbeException saying why the program did not tell them
     */
    Resources probe(dev.deploy.process.JvmCommand command, Map<String, String> environment)
        throws Probe.ProbeException;
  }

  private volatile Prober prober = Probe::run;

  /** Has deployments from now on learn their first process's needs from {@code p}; for tests. */
  void setProber(Prober p) {
    prober = p;
  }

  Prober prober() {
    return prober;
  }

  /** The live view of every deployment; off unless {@link #serveLiveView} was called. */
  private volatile dev.deploy.ui.LiveView live = dev.deploy.ui.LiveView.off();

  /** Shows every deployment from now on in {@code view} and serves it. */
  public void serveLiveView(dev.deploy.ui.LiveView view, java.io.PrintStream log)
      throws IOException {
    live = view;
    view.serve(master, fabric, key, log);
  }

  dev.deploy.ui.LiveView live() {
    return live;
  }

  /** Threads that send events to deploy clients. */
  java.util.concurrent.ExecutorService senders() {
    return senders;
  }

  ScheduledExecutorService timers() {
    return timers;
  }

  DeploymentBook book() {
    return book;
  }

  /** Keeps finished deployments' events within {@code retention} from now on. */
  public void setRetention(Retention retention) {
    book.setRetention(retention);
  }

  /** Returns the running deployment {@code id}, or null. */
  Deployment running(long id) {
    return deployments.get(id);
  }

  /** Sends SIGTERM to every process of deployment {@code id} on every machine. */
  void terminate(long id) {
    fabric.terminateProgram(id);
    for (RemoteFabric r : workers) {
      r.terminateProgram(id);
    }
  }

  void register(Deployment d) {
    deployments.put(d.id(), d);
  }

  /** Stops or restarts reading the output of deployment {@code id}'s processes everywhere. */
  void pauseOutput(long id, boolean paused) {
    fabric.pauseOutput(id, paused);
    for (RemoteFabric r : workers) {
      r.pauseOutput(id, paused);
    }
  }

  /** Kills every process of deployment {@code id} on every machine. */
  void kill(long id) {
    master.cancelProgram(id);
    fabric.removeProgram(id);
    for (RemoteFabric r : workers) {
      r.removeProgram(id);
    }
  }

  /** The deployment ended: kills what is left of it and forgets it. */
  void unregister(Deployment d) {
    kill(d.id());
    deployments.remove(d.id());
  }

  /** The jars of every deployment, starting or running: never evicted meanwhile. */
  private java.util.Set<String> jarsInUse() {
    java.util.Set<String> keep = new java.util.HashSet<>();
    for (Deployment d : connected) {
      d.jars().forEach(j -> keep.add(j.sha256()));
    }
    return keep;
  }

  /** The deployment's connection ended: it no longer holds its jars. */
  void disconnected(Deployment d) {
    connected.remove(d);
  }

  @Override
  public WorkerLink.AddProgram spec(long program) {
    Deployment d = deployments.get(program);
    return d == null ? null : d.spec();
  }

  @Override
  public EventSink sink(long program) {
    Deployment d = deployments.get(program);
    return d == null ? null : d.sink();
  }

  @Override
  public boolean outputPaused(long program) {
    Deployment d = deployments.get(program);
    return d != null && d.outputPaused();
  }

  @Override
  public Optional<Path> jar(String sha256) {
    return cache.get(sha256);
  }

  @Override
  public void close() {
    joinLock.lock();
    try {
      closed = true;
    } finally {
      joinLock.unlock();
    }
    live.close();
    closeListeners();
    for (Deployment d : new ArrayList<>(deployments.values())) {
      d.close();
    }
    if (master != null) {
      master.close();
    }
    workers.forEach(RemoteFabric::close);
    demands.shutdownNow();
    for (NodeProvider p : providers) {
      try {
        p.close();
      } catch (RuntimeException e) {
        log.warn("the node provider {} failed to close", p, e);
      }
    }
    if (fabric != null) {
      fabric.close();
    }
    timers.shutdownNow();
    senders.shutdownNow();
  }

  private void closeListeners() {
    acceptors.forEach(HandshakeAcceptor::close);
    for (ServerSocket s : listeners) {
      try {
        s.close();
      } catch (IOException ignored) {
        // Closing to stop accepting.
      }
    }
  }
}
