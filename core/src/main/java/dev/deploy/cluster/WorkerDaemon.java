package dev.deploy.cluster;

import dev.deploy.fabric.Fabric;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code fabric <bind-addr>}: a worker machine's daemon. Listens on {@code <bind-addr>} for its
 * master, which dials it; runs the master's orders on this machine's {@link Fabric}. One master at
 * a time: a new authenticated master link replaces the old one (whose processes are killed), so a
 * restarted master takes over at once. Connections that do not prove the cluster key are closed and
 * logged (once a minute per address), and nothing they sent past the handshake is read; their
 * handshakes run on one thread ({@link HandshakeAcceptor}).
 */
public final class WorkerDaemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkerDaemon.class);

  private final ClusterKey key;
  private final ServerSocket server;

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
   * Binds {@code bind} and starts serving; with {@code cgroups}, each process gets a cgroup of its
   * own where the machine allows; {@code warm} JVMs wait per program and resources (0: none); the
   * jar cache is trimmed to {@code cacheLimit} bytes every 10 minutes, sparing jars in use.
   *
   * @throws IOException when the address cannot be bound
   */
  public WorkerDaemon(
      ClusterKey key,
      InetSocketAddress bind,
      JarCache cache,
      long cacheLimit,
      boolean cgroups,
      int warm)
      throws IOException {
    this.key = key;
    this.cache = cache;
    this.server = ServerSocketChannel.open().socket(); // a channel's, for the acceptor
    server.setReuseAddress(true);
    server.bind(bind, 64);
    this.fabric = new Fabric(key, bind.getAddress(), warm);
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
                    socket, key, Link.Hello.WORKER, Link.Hello.MASTER, java.util.List.of()),
            this::serve,
            Daemons.threads("deploy-worker-link"));
  }

  /** Returns the address masters dial. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
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
