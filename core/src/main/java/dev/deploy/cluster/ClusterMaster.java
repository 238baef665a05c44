package dev.deploy.cluster;

import dev.deploy.Resources;
import dev.deploy.bridge.EventSink;
import dev.deploy.fabric.Fabric;
import dev.deploy.logging.Loggers;
import dev.deploy.master.Advertised;
import dev.deploy.master.Master;
import dev.deploy.master.Node;
import dev.deploy.master.NodesFile;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.HandshakeAcceptor;
import dev.deploy.wire.Link;
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
 * books of every worker's room (dialling each worker and dropping it from the books while it is
 * unreachable), places every spawn, runs this machine's share on its own {@link Fabric}, and serves
 * {@code deploy} clients: each connection is one {@link Deployment} with its own program, output
 * and exit code. Several deployments share the cluster at once.
 */
public final class ClusterMaster implements AutoCloseable, RemoteFabric.Programs {
  /** A worker machine: where its fabric listens and what it may run in all. */
  public record Worker(InetSocketAddress address, Resources capacity) {}

  private final ClusterKey key;
  private final Fabric fabric;
  private final Master master;
  private final JarCache cache;
  private final List<RemoteFabric> workers = new ArrayList<>();
  private final List<ServerSocket> listeners = new ArrayList<>();

  /** The address others dial to reach this master; never a wildcard. */
  private final InetSocketAddress advertised;

  /** The address deploy dials for the bridge when it has its own; never a wildcard. */
  private final Optional<InetSocketAddress> advertisedBridge;

  /** Run the handshakes of each listener without a thread each; hand clients to a Deployment. */
  private final List<HandshakeAcceptor> acceptors = new ArrayList<>();

  private final Map<Long, Deployment> deployments = new ConcurrentHashMap<>();

  /** Every deployment whose client is connected, from its first byte: their jars are in use. */
  private final java.util.Set<Deployment> connected = ConcurrentHashMap.newKeySet();

  private final java.util.concurrent.ExecutorService senders =
      Executors.newCachedThreadPool(Daemons.threads("deploy-relay"));
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(Daemons.threads("deploy-master-timer"));
  private volatile boolean closed;

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
      Optional<NodesFile.HostPort> advertise,
      Optional<Resources> own,
      Optional<InetSocketAddress> bridge,
      List<Worker> workerList,
      JarCache cache,
      long cacheLimit,
      boolean cgroups,
      int warm)
      throws IOException {
    String host = advertise.map(NodesFile.HostPort::host).orElse(null);
    int port = advertise.map(NodesFile.HostPort::port).orElse(0);
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
    own.ifPresent(r -> nodes.add(new Node("master", r, fabric)));
    for (Worker w : workerList) {
      String name = w.address().getHostString() + ":" + w.address().getPort();
      RemoteFabric remote = new RemoteFabric(name, w.address(), key, this, timers);
      workers.add(remote);
      nodes.add(new Node(name, w.capacity(), remote));
    }
    this.master = new Master(nodes);
    fabric.setMaster(master);
    for (RemoteFabric r : workers) {
      r.start(master);
    }
    timers.scheduleWithFixedDelay(
        () -> Daemons.trim(cache, cacheLimit, this::jarsInUse),
        0,
        10,
        java.util.concurrent.TimeUnit.MINUTES);
    java.util.concurrent.ThreadFactory deployments = Daemons.threads("deploy-deployment");
    for (ServerSocket s : listeners) {
      acceptors.add(
          HandshakeAcceptor.start(
              s.getChannel(),
              "the bridge",
              "deploy-bridge-accept",
              socket ->
                  LinkConnection.acceptor(
                      socket,
                      key,
                      Link.Hello.BRIDGE,
                      Link.Hello.DEPLOY,
                      java.util.stream.Stream.concat(
                              java.util.stream.Stream.of(advertised), advertisedBridge.stream())
                          .toList()),
              (socket, handshake) -> {
                Deployment d = new Deployment(this, socket, handshake);
                connected.add(d);
                d.run();
              },
              deployments));
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
  public Link.AddProgram spec(long program) {
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
    closed = true;
    live.close();
    closeListeners();
    for (Deployment d : new ArrayList<>(deployments.values())) {
      d.close();
    }
    master.close();
    workers.forEach(RemoteFabric::close);
    fabric.close();
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
