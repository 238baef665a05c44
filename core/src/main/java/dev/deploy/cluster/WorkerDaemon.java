package dev.deploy.cluster;

import dev.deploy.fabric.Fabric;
import dev.deploy.logging.Loggers;
import dev.deploy.master.Advertised;
import dev.deploy.master.NodesFile;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.Handshake;
import dev.deploy.security.HandshakeAcceptor;
import dev.deploy.wire.Link;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.util.Optional;
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
 */
public final class WorkerDaemon implements AutoCloseable {
  private static final Logger log = Loggers.get(WorkerDaemon.class);

  private final ClusterKey key;
  private final ServerSocket server;

  /** The address masters dial and this machine's processes' pids carry; never a wildcard. */
  private final InetSocketAddress advertised;

  /**
   * Runs the handshakes of the link port without a thread each; hands masters to {@link #serve}.
   */
  private final HandshakeAcceptor acceptor;

  private final Fabric fabric;
  private final JarCache cache;
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(Daemons.threads("deploy-worker-timer"));
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
      Optional<NodesFile.HostPort> advertise,
      JarCache cache,
      long cacheLimit,
      boolean cgroups,
      int warm)
      throws IOException {
    String host = advertise.map(NodesFile.HostPort::host).orElse(null);
    int port = advertise.map(NodesFile.HostPort::port).orElse(0);
    String what = "fabric " + Advertised.show(bind);
    Advertised.of(what, bind, host, port); // refuses a wildcard before anything is bound
    this.key = key;
    this.cache = cache;
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
                    socket,
                    key,
                    Link.Hello.WORKER,
                    Link.Hello.MASTER,
                    java.util.List.of(advertised)),
            this::serve,
            Daemons.threads("deploy-worker-link"));
  }

  /** Returns the address the daemon is bound to; maybe a wildcard. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  /**
   * Returns the address masters dial to reach this worker, which its processes' pids carry as their
   * host: {@code --advertise}, else the bound address. Never a wildcard; unresolved (a host name
   * stays a name).
   */
  public InetSocketAddress advertised() {
    return advertised;
  }

  /** A link's thread: the master at {@code socket} proved the key; Hellos, then its session. */
  private void serve(Socket socket, Handshake handshake) {
    String peer = String.valueOf(socket.getRemoteSocketAddress());
    LinkConnection link;
    try {
      link = LinkConnection.accept(socket, handshake, Link.Hello.WORKER, Link.Hello.MASTER);
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
