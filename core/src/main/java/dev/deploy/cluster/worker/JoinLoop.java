package dev.deploy.cluster.worker;

import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.fabric.Fabric;
import dev.deploy.logging.Loggers;
import dev.deploy.master.Advertised;
import dev.deploy.security.ClusterKey;
import dev.deploy.wire.ProtocolException;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A joining worker's loop: dials its master (the host looked up again at every attempt), proves the
 * key, sends {@link WorkerLink.Join} and, once accepted, serves the link as a {@link MasterSession}
 * until it ends, which kills every process it started; then dials again every second. With {@code
 * exitAfter}, it gives up once the master stayed unreachable that long, completing {@link #gaveUp}
 * with the sentence that says so.
 *
 * <p>The fabric is made at the first link: its processes' ports bind to {@code bind}, else to the
 * advertised host, else to this side's address of the link (the interface that routes to the
 * master), which is then also what it advertises.
 *
 * <p>{@link #run} on one thread of its own; {@link #close} and the getters from any thread.
 */
final class JoinLoop implements Runnable, AutoCloseable {
  private static final Logger log = Loggers.get(JoinLoop.class);

  /** Between attempts to reach the master. */
  static final long REDIAL_MILLIS = 1_000;

  private final WorkerDaemon.JoinOptions options;
  private final ScheduledExecutorService timers;
  private final LongSupplier clock;
  private final CompletableFuture<String> gaveUp = new CompletableFuture<>();
  private final CountDownLatch stop = new CountDownLatch(1);
  private final ReentrantLock lock = new ReentrantLock();

  /** Made at the first link, then kept; guarded by lock for writes. */
  private volatile Fabric fabric;

  /** The session while joined; guarded by lock. */
  private MasterSession session;

  private volatile boolean joined;

  /** Set when the master retired this node: the loop stopped for good, not for a failure. */
  private volatile boolean retired;

  /** Returns whether the loop stopped because the master retired this node. */
  boolean retired() {
    return retired;
  }

  private volatile boolean closed;

  /** Dials the master as a joining worker: {@link LinkConnection#join}, or a fake in tests. */
  interface Dialer {
    /** See {@link LinkConnection#join}. */
    LinkConnection<WorkerLink> join(InetSocketAddress master, ClusterKey key, long deadlineMillis)
        throws IOException;
  }

  /** Dials the master. */
  private final Dialer dialer;

  /** Waits between attempts: {@link #REDIAL_MILLIS}, cut short by {@link #close}. */
  private final Runnable pause;

  JoinLoop(WorkerDaemon.JoinOptions options, ScheduledExecutorService timers, LongSupplier clock) {
    this(options, timers, clock, LinkConnection::join, null);
  }

  /**
   * As the other constructor, dialling with {@code dialer} and waiting between attempts with {@code
   * pause} (null: {@link #REDIAL_MILLIS}, cut short by {@link #close}); for tests.
   */
  JoinLoop(
      WorkerDaemon.JoinOptions options,
      ScheduledExecutorService timers,
      LongSupplier clock,
      Dialer dialer,
      Runnable pause) {
    this.options = options;
    this.timers = timers;
    this.clock = clock;
    this.dialer = dialer;
    this.pause = pause != null ? pause : this::awaitRedial;
  }

  /** Completes with why the loop gave up (the master unreachable too long, no fabric possible). */
  CompletableFuture<String> gaveUp() {
    return gaveUp;
  }

  /** Returns whether the master accepted this worker and the link lasts. */
  boolean joined() {
    return joined;
  }

  /** Returns the fabric, once the first link made it; else null. */
  Fabric fabric() {
    return fabric;
  }

  private String master() {
    return Advertised.show(
        InetSocketAddress.createUnresolved(options.master().host(), options.master().port()));
  }

  @Override
  public void run() {
    long lastReached = clock.getAsLong();
    String lastFailure = null;
    while (!closed) {
      LinkConnection<WorkerLink> c;
      try {
        InetSocketAddress now = options.master().toSocketAddress(); // looked up again each time
        if (now.isUnresolved()) {
          throw new java.net.UnknownHostException(
              "the host " + options.master().host() + " is not known");
        }
        c = dialer.join(now, options.key(), dialMillis(lastReached));
      } catch (IOException e) {
        lastFailure =
            logOnce(lastFailure, "cannot reach the master at " + master() + ": " + why(e));
        if (overdue(lastReached, lastFailure)) {
          return;
        }
        pause();
        continue;
      }
      String refusal;
      try {
        refusal = join(c);
      } catch (IOException e) {
        c.close();
        if (gaveUp.isDone()) {
          return;
        }
        lastFailure =
            logOnce(
                lastFailure, "the master at " + master() + " did not take this join: " + why(e));
        if (overdue(lastReached, lastFailure)) {
          return;
        }
        pause();
        continue;
      }
      lastReached = clock.getAsLong();
      if (refusal != null) {
        c.close();
        lastFailure =
            logOnce(lastFailure, "the master at " + master() + " refused this fabric: " + refusal);
        pause();
        continue;
      }
      lastFailure = null;
      if (serve(c)) {
        retired = true;
        giveUp("the master at " + master() + " retired this node (nothing ran here): stopping");
        return;
      }
      lastReached = clock.getAsLong();
      if (!closed) {
        log.warn(
            "lost the master at {}: this fabric's processes were killed; joining again every"
                + " second{}",
            master(),
            options.exitAfter().map(d -> ", for up to " + d.toMillis() / 1000.0 + " s").orElse(""));
      }
      pause();
    }
  }

  /**
   * Sends the Join on {@code c}, after making the fabric if this is the first link, and reads the
   * answer; returns null when accepted, else the master's reason.
   */
  private String join(LinkConnection<WorkerLink> c) throws IOException {
    Fabric f = fabricFor(c);
    if (f == null) {
      throw new IOException("this fabric is stopping");
    }
    c.send(WorkerLink.Join.of(options.name(), options.capacity(), f.address().getHostString()));
    WorkerLink answer = c.read();
    if (answer == null) {
      throw new IOException("it closed the link before it answered");
    }
    if (!(answer instanceof WorkerLink.JoinAnswer a)) {
      throw new ProtocolException(
          "it answered a " + answer.getClass().getSimpleName() + " instead of the join's answer");
    }
    return a.accepted() ? null : a.reason() == null ? "it gave no reason" : a.reason();
  }

  /** Returns the fabric, making it at the first link; null when closed meanwhile. */
  private Fabric fabricFor(LinkConnection<WorkerLink> c) throws IOException {
    Fabric f = fabric;
    if (f != null) {
      return f;
    }
    InetAddress bind;
    String advertise;
    if (options.bind().isPresent()) {
      bind = options.bind().get().getAddress();
    } else if (options.advertise().isPresent()) {
      bind = InetAddress.getByName(options.advertise().get());
    } else {
      bind = c.localAddress();
    }
    advertise = options.advertise().orElse(bind.getHostAddress());
    try {
      f = new Fabric(options.key(), bind, advertise, options.warm());
    } catch (IOException e) {
      String why =
          "cannot bind this fabric's ports on "
              + bind.getHostAddress()
              + ": "
              + e.getMessage()
              + (options.bind().isPresent() ? "" : "; give a <bind-addr> on this machine");
      giveUp(why);
      throw new IOException(why, e);
    }
    if (options.cgroups()) {
      f.limitWithCgroups()
          .ifPresent(why -> log.warn("processes run without cgroups (JVM flags only): {}", why));
    }
    lock.lock();
    try {
      if (closed) {
        f.close();
        return null;
      }
      fabric = f;
    } finally {
      lock.unlock();
    }
    return f;
  }

  /**
   * Serves the accepted link until it ends; its end kills every process it started. Returns whether
   * the master retired this node.
   */
  private boolean serve(LinkConnection<WorkerLink> c) {
    MasterSession s = new MasterSession(c, fabric, options.cache());
    lock.lock();
    try {
      if (closed) {
        c.close();
        return false;
      }
      session = s;
      fabric.setMaster(s);
    } finally {
      lock.unlock();
    }
    joined = true;
    log.info(
        "joined the master at {} as {} with {}; processes here are dialled at {}",
        master(),
        options.name(),
        options.capacity(),
        fabric.address().getHostString());
    c.startPings(timers);
    try {
      s.run();
      return s.retired();
    } finally {
      joined = false;
      lock.lock();
      try {
        if (session == s) {
          session = null;
        }
      } finally {
        lock.unlock();
      }
    }
  }

  /** How long a dial may take: never past the moment this loop would give up, at least 1 s. */
  private long dialMillis(long lastReached) {
    if (options.exitAfter().isEmpty()) {
      return LinkConnection.HANDSHAKE_MILLIS;
    }
    long left =
        options.exitAfter().get().toMillis()
            - TimeUnit.NANOSECONDS.toMillis(clock.getAsLong() - lastReached);
    return Math.max(1_000, Math.min(LinkConnection.HANDSHAKE_MILLIS, left));
  }

  /** Gives up when the master was unreachable for {@code exitAfter}; returns whether it did. */
  private boolean overdue(long lastReached, String lastFailure) {
    if (options.exitAfter().isEmpty() || closed) {
      return closed;
    }
    long since = clock.getAsLong() - lastReached;
    if (since < options.exitAfter().get().toNanos()) {
      return false;
    }
    giveUp(
        "the master at "
            + master()
            + " stayed unreachable for "
            + options.exitAfter().get().toMillis() / 1000.0
            + " s ("
            + lastFailure
            + "); no process of it is left here");
    return true;
  }

  private void giveUp(String why) {
    if (gaveUp.complete(why)) {
      log.warn("{}", why);
      closed = true;
      stop.countDown();
    }
  }

  private static String logOnce(String last, String failure) {
    if (!failure.equals(last)) {
      log.warn("{}; trying again every second", failure);
    }
    return failure;
  }

  private static String why(IOException e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private void pause() {
    pause.run();
  }

  private void awaitRedial() {
    try {
      stop.await(REDIAL_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    }
  }

  /** Returns the jars in use by the session's programs: never evicted. */
  Set<String> jarsInUse() {
    lock.lock();
    try {
      return session == null ? Set.of() : session.jarsInUse();
    } finally {
      lock.unlock();
    }
  }

  /** Stops the loop: ends the session (its processes are killed) and closes the fabric. */
  @Override
  public void close() {
    MasterSession s;
    Fabric f;
    lock.lock();
    try {
      closed = true;
      s = session;
      f = fabric;
    } finally {
      lock.unlock();
    }
    stop.countDown();
    if (s != null) {
      s.end();
    }
    if (f != null) {
      f.close();
    }
  }
}
