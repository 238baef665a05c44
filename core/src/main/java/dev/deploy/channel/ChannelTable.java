package dev.deploy.channel;

import dev.deploy.ChannelException.Reason;
import dev.deploy.Pid;
import dev.deploy.codec.Codec;
import dev.deploy.io.Connection;
import dev.deploy.io.IoLoop;
import dev.deploy.io.ShmFile;
import dev.deploy.io.ShmTransport;
import dev.deploy.io.Transport;
import dev.deploy.logging.Loggers;
import dev.deploy.logging.StartTrace;
import dev.deploy.security.AuthenticationException;
import dev.deploy.security.Credential;
import dev.deploy.security.FrameProtection;
import dev.deploy.security.Handshake;
import dev.deploy.security.HandshakeQuota;
import dev.deploy.security.HandshakeTimeoutException;
import dev.deploy.util.DaemonThreads;
import dev.deploy.wire.MessageIn;
import dev.deploy.wire.MessageOut;
import dev.deploy.wire.ProtocolException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * This process's channels: one {@link Peer} per remote pid, the listening port that accepts other
 * processes' connections, and the dialling of ours. One connection per pair of processes; when both
 * dial at once, the connection dialled by the lower pid wins (the acceptor decides with {@link
 * Frames#ACCEPT}/{@link Frames#REJECT} before any data flows on it). A remote we cannot reach is
 * asked about from the fabric, which knows how every pid it ran ended.
 *
 * <p>Thread safe: user threads open and close channels; connections live on the loop thread.
 */
public final class ChannelTable {
  private static final Logger log = Loggers.get(ChannelTable.class);

  /** Dial attempts before a remote that refuses is asked about. */
  private static final int DIAL_ATTEMPTS = 3;

  private static final long REDIAL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final Pid self;
  private final Credential credential;

  /** What {@code DEPLOY_FRAME_PROTECTION} asks of every channel connection; null for auto. */
  private final FrameProtection.Mode protection;

  private final IoLoop loop;
  private final Codec codec;
  private final ServerSocketChannel listener;

  /** How a pid ended, from its fabric; completes when it has ended. */
  private final Function<Pid, CompletableFuture<Reason>> fates;

  private final ConcurrentMap<Pid, Peer> peers = new ConcurrentHashMap<>();

  /**
   * Remotes this process held {@code LOST} whose peers {@link #prune} forgot, the oldest forgotten
   * past {@link #FORGOTTEN_LIMIT}: the exit notice names them with the peers it still has.
   */
  private final Set<Pid> lostAndForgotten =
      java.util.Collections.newSetFromMap(
          new dev.deploy.util.BoundedHistory<Pid, Boolean>(FORGOTTEN_LIMIT));

  /** Guards {@link #lostAndForgotten} (the loop adds, the exit hook reads). */
  private final java.util.concurrent.locks.ReentrantLock forgottenLock =
      new java.util.concurrent.locks.ReentrantLock();

  private static final int FORGOTTEN_LIMIT = 100_000;

  /** Values and bytes sent and received, for /metrics. */
  final ChannelCounters counters = new ChannelCounters();

  /** Runs asynchronous operations' attempts and their user callbacks, never on the loop. */
  private final ExecutorService async;

  /** Addresses whose misbehaviour was already logged (logged once each). */
  private final ConcurrentMap<String, Boolean> logged = new ConcurrentHashMap<>();

  /** The most addresses {@link #logged} remembers: a flood from many addresses costs no memory. */
  private static final int MAX_LOGGED = 1024;

  /** Accepted connections not yet authenticated, and their caps; loop thread only. */
  private final HandshakeQuota<Connection> handshakes = new HandshakeQuota<>();

  /** Creates the table; {@link #start} begins accepting. */
  public ChannelTable(
      Pid self,
      Credential credential,
      IoLoop loop,
      Codec codec,
      ServerSocketChannel listener,
      Function<Pid, CompletableFuture<Reason>> fates) {
    this.self = self;
    this.credential = credential;
    this.protection = FrameProtection.configured();
    this.loop = loop;
    this.codec = codec;
    this.listener = listener;
    this.fates = fates;
    this.async = Executors.newCachedThreadPool(DaemonThreads.numbered("deploy-async"));
  }

  /** How often peers whose remote is gone are forgotten. */
  private static final long PRUNE_NANOS = TimeUnit.SECONDS.toNanos(30);

  /** Starts accepting connections on the pid's port. */
  public void start() {
    loop.execute(() -> loop.schedule(PRUNE_NANOS, this::prune));
    loop.execute(
        () -> {
          try {
            listener.configureBlocking(false);
            loop.register(listener, SelectionKey.OP_ACCEPT, k -> acceptAll());
          } catch (IOException e) {
            log.warn("cannot accept connections on {}: {}", self, e.toString());
          }
        });
  }

  /** Returns the handshake's name of {@code pid}: its address and its key, so never reused. */
  static byte[] target(Pid pid) {
    byte[] host = pid.host();
    return java.nio.ByteBuffer.allocate(host.length + 2 + 8)
        .put(host)
        .putShort((short) pid.port())
        .putLong(pid.key())
        .array();
  }

  /** Returns this process's pid. */
  public Pid self() {
    return self;
  }

  Codec codec() {
    return codec;
  }

  /** Loop thread: runs {@code task} on the loop after {@code delayNanos}. */
  void schedule(long delayNanos, Runnable task) {
    loop.schedule(delayNanos, task);
  }

  /** Returns whether the caller is the I/O loop's thread. */
  boolean inLoop() {
    return loop.inLoop();
  }

  /** Any thread: runs {@code command} on the I/O loop. */
  void execute(Runnable command) {
    loop.execute(command);
  }

  /** Returns the values and bytes this table's channels sent and received. */
  public ChannelCounters counters() {
    return counters;
  }

  /** Returns the I/O loop's clock, in nanoseconds. */
  long now() {
    return loop.now();
  }

  Executor async() {
    return async;
  }

  /** Opens the sending end to {@code remote}. */
  public SendEnd openSender(Pid remote) {
    Peer p = peerFor(remote, "Sender");
    p.lock.lock();
    try {
      if (p.sender != null) {
        throw new IllegalStateException("Sender to " + remote + " already exists");
      }
      SendEnd end = new SendEnd(this, p);
      p.sender = end;
      connect(p);
      return end;
    } finally {
      p.lock.unlock();
    }
  }

  /** Opens the receiving end from {@code remote}. */
  public ReceiveEnd openReceiver(Pid remote) {
    Peer p = peerFor(remote, "Receiver");
    p.lock.lock();
    try {
      if (p.receiver != null) {
        throw new IllegalStateException("Receiver to " + remote + " already exists");
      }
      ReceiveEnd end = new ReceiveEnd(this, p);
      p.openReceiver(end);
      scheduleFlush(p); // dials, or tells the remote of this Receiver at once
      return end;
    } finally {
      p.lock.unlock();
    }
  }

  private Peer peerFor(Pid remote, String what) {
    if (remote == null) {
      throw new NullPointerException(what + ": remote pid is null");
    }
    if (remote.equals(self)) {
      throw new IllegalStateException(
          "cannot create a channel to itself (" + what + " to " + remote + ")");
    }
    return peers.computeIfAbsent(remote, pid -> new Peer(pid, this));
  }

  /**
   * Sends closer together than this are left to the loop, which batches them into one write; a send
   * after a pause is written by the sending thread itself.
   */
  private static final long WRITE_THROUGH_GAP_NANOS = 10_000;

  /**
   * User thread, after queueing a value: when the connection is idle and the last send was a while
   * ago, writes it now on this thread (the connection's output lock keeps it whole), which saves
   * the hand-off to the I/O thread and back that a lone message would pay; else, and whenever the
   * connection is busy, the loop writes it as usual. The first design had user threads never touch
   * sockets; this is the one exception, for latency, and the loop still owns reading, closing and
   * everything the socket does not take at once.
   */
  void flushOrSchedule(Peer p) {
    long now = System.nanoTime();
    long last = p.lastSend;
    p.lastSend = now;
    Transport c = p.transport;
    if (c != null
        && (c.writesThrough() || now - last >= WRITE_THROUGH_GAP_NANOS)
        && c.flushFromCaller()) {
      return;
    }
    scheduleFlush(p);
  }

  /** Any thread: have the loop write what {@code p} has queued. */
  void scheduleFlush(Peer p) {
    if (!p.flushScheduled.get() && p.flushScheduled.compareAndSet(false, true)) {
      loop.execute(
          () -> {
            p.flushScheduled.set(false);
            Transport t = p.transport;
            if (t != null) {
              t.flush();
            } else {
              dial(p, 0);
            }
          });
    }
  }

  /** Any thread: make sure {@code p} has or gets a connection. */
  private void connect(Peer p) {
    loop.execute(() -> dial(p, 0));
  }

  /** Loop: dials {@code p} unless connected, dialling or gone. */
  private void dial(Peer p, int attempt) {
    dial(p, attempt, NO_DEADLINE);
  }

  /** A dial's {@code giveUpAt} before any of its handshakes timed out. */
  private static final long NO_DEADLINE = Long.MIN_VALUE;

  /**
   * Loop: dials {@code p} unless connected, dialling or gone; {@code giveUpAt} (loop clock, or
   * {@link #NO_DEADLINE}) is when a remote whose handshakes keep timing out is given up as lost.
   */
  private void dial(Peer p, int attempt, long giveUpAt) {
    if (p.transport != null || p.dialing != null || p.fate() != null) {
      heldDials.remove(p);
      return;
    }
    if (attempt == 0 && giveUpAt == NO_DEADLINE && holdDial(p)) {
      StartTrace.mark("channel: dial held");
      return;
    }
    if (StartTrace.on()) {
      StartTrace.mark("channel: dial " + p.pid);
    }
    p.dialing =
        Connection.dial(loop, route.apply(p.pid), dialer(p), new Dial(p, attempt, giveUpAt));
  }

  /** The handshake of a connection this process dials to {@code p}: a first dial or a re-dial. */
  private Handshake dialer(Peer p) {
    return Handshake.dialer(
        Handshake.Role.PROCESS,
        credential.key(),
        credential.deployment(),
        Handshake.Role.PROCESS,
        target(p.pid),
        FrameProtection.wish(
            protection, self.address().getAddress(), p.pid.address().getAddress()));
  }

  /**
   * Where a pid's channel port is dialled: its own address. Test seam: a test puts a proxy in
   * between that can freeze a connection.
   */
  volatile Function<Pid, InetSocketAddress> route = Pid::address;

  /** Test seam: this table's dials offer no shared memory, so its pairs use TCP. */
  volatile boolean tcpOnly;

  // ===================== resume of a stalled connection =====================

  /**
   * Half heartbeat intervals a TCP connection may read nothing before it counts as stalled and is
   * dialled again: 3.5 intervals. The remote heartbeats on an idle connection when it wrote nothing
   * for an interval, judged on its timer's ticks, so on a healthy connection reads come at most
   * about two intervals apart (a write just after a tick puts the heartbeat off to the next but
   * one); longer means lost segments waiting in TCP's retransmission back-off, or a remote that is
   * gone. At 3 intervals, tests on a manual clock saw exactly 3 between reads now and then.
   */
  static final int STALL_HALF_HEARTBEATS = 7;

  /**
   * Heartbeat intervals between re-dials while the connection stays stalled: several handshakes
   * race TCP's back-off, each on its own connection, so one whose packets were lost does not hold
   * the others up.
   */
  static final int REDIAL_HEARTBEATS = 2;

  /** The most re-dials of one pair under way at once. */
  static final int MAX_RESUMES = 4;

  /** Loop: watches {@code c}, the pair's new TCP connection, for a stall, every heartbeat. */
  void watchStall(Peer p, Connection c) {
    long every = loop.silence().heartbeatNanos();
    long from = loop.now();
    loop.schedule(every, () -> checkStall(p, c, every, from));
  }

  /**
   * Loop timer: while {@code c} carries {@code p}, re-dials when it read nothing for {@link
   * #STALL_HALF_HEARTBEATS} half heartbeat intervals, and again every {@link #REDIAL_HEARTBEATS}
   * while it stays so (at the next look when no re-dial is under way: the last was refused or
   * rejected). A remote that is gone refuses or never answers: the old connection then reaches the
   * silence limit and the pair ends LOST, as before.
   */
  private void checkStall(Peer p, Connection c, long every, long last) {
    if (p.transport != c || c.state() != Connection.State.OPEN) {
      return; // the pair moved on: the new transport has its own watch
    }
    long now = loop.now();
    // First: a failed dial below ends no watch.
    loop.schedule(every, () -> checkStall(p, c, every, now));
    boolean late = now - last > 2 * every; // this loop (or its clock) jumped: bytes may wait unread
    if (!late
        && now - c.lastRead() >= STALL_HALF_HEARTBEATS * every / 2
        && (p.resuming.isEmpty() || now - p.lastResumeDial >= REDIAL_HEARTBEATS * every)
        && p.resuming.size() < MAX_RESUMES
        && p.resumable()) {
      p.lastResumeDial = now;
      p.resuming.add(Connection.dial(loop, route.apply(p.pid), dialer(p), new Resume(p)));
    }
  }

  /**
   * The listener of a re-dial of a stalled pair until the remote answers: RESUMED switches the pair
   * to it, REJECT or any failure leaves the pair on its old connection (whose silence limit still
   * decides whether the remote is gone).
   */
  private final class Resume implements Connection.Listener {
    private final Peer peer;

    Resume(Peer peer) {
      this.peer = peer;
    }

    @Override
    public void onAuthenticated(Connection c) {
      c.sendFrame(Frames.RESUME, new MessageOut().pid(self).toByteArray());
    }

    @Override
    public void onFrame(Connection c, int type, ByteBuffer payload) throws IOException {
      peer.resuming.remove(c);
      if (type == Frames.RESUMED) {
        Peer.Books theirs = Peer.Books.read(payload, peer.pid);
        if (!(peer.transport instanceof Connection) || peer.fate() != null) {
          c.close(); // the pair ended meanwhile; the remote sees this connection end
          return;
        }
        peer.resumed(c, theirs);
      } else if (type == Frames.REJECT) {
        c.close();
      } else {
        throw new ProtocolException(
            "expected RESUMED or REJECT from " + peer.pid + ", got " + type);
      }
    }

    @Override
    public void onReadRound(Connection c) {}

    @Override
    public void fill(Connection c, ByteBuffer out) {}

    @Override
    public void onClosed(Connection c, IOException cause) {
      peer.resuming.remove(c); // the old connection carries on, or reaches its silence limit
    }
  }

  /**
   * Loop: answers a RESUME from {@code remote} on {@code c}: switches the pair to it when it has a
   * TCP connection that may be stalled, is not already switching, and this side's own re-dial does
   * not win the race (the lower pid's dial wins, as for a first dial); else REJECT.
   */
  private void onResume(Connection c, Pid remote) {
    Peer p = peers.get(remote);
    boolean accept =
        p != null
            && p.resumable()
            && !p.awaitingBooks()
            && !(!p.resuming.isEmpty() && compare(self, remote) < 0);
    if (!accept) {
      c.sendFrame(Frames.REJECT, new byte[0]);
      c.close();
      return;
    }
    p.resumeAccepted(c);
  }

  /**
   * Accepted connections whose IDENT has not come yet (any of them may be from a remote this
   * process is about to dial); loop thread only.
   */
  private int unidentified;

  /**
   * First dials held back while {@link #unidentified} connections may be the remote's own, with
   * when each was first held (loop clock); loop thread only.
   */
  private final Map<Peer, Long> heldDials = new HashMap<>();

  /**
   * The longest a first dial waits for accepted connections to say whose they are: about a
   * handshake on a busy machine. Beyond it, both sides dialling is only the cost it was before.
   */
  static final long HOLD_DIAL_NANOS = TimeUnit.MILLISECONDS.toNanos(15);

  /**
   * Loop: whether {@code p}'s first dial waits. A spawned task's first {@code send} to its parent
   * used to dial while the parent's own dial (its Receiver, opened as {@code spawn} returned) was
   * still in its handshake here: two handshakes on two busy cores, and the tie-break then dropped
   * one of them, often the one nearly done (the first value 5 ms later than one connection's
   * worth). So while an accepted connection has not said whose it is, the dial waits for it (it is
   * dialled again when the last one has, see {@link #identified}), up to {@link #HOLD_DIAL_NANOS}.
   */
  private boolean holdDial(Peer p) {
    if (unidentified == 0) {
      heldDials.remove(p);
      return false;
    }
    long now = loop.now();
    Long since = heldDials.get(p);
    if (since == null) {
      heldDials.put(p, now);
      loop.schedule(HOLD_DIAL_NANOS, () -> dial(p, 0));
      return true;
    }
    if (now - since < HOLD_DIAL_NANOS) {
      return true;
    }
    heldDials.remove(p);
    return false;
  }

  /**
   * Loop: an accepted connection said whose it is, or ended: held dials go on when none is left.
   */
  private void identified() {
    unidentified--;
    if (unidentified == 0 && !heldDials.isEmpty()) {
      for (Peer p : new ArrayList<>(heldDials.keySet())) {
        heldDials.remove(p);
        dial(p, 0);
      }
    }
  }

  /** The listener of a connection this process dialled, until the remote accepts it. */
  private final class Dial implements Connection.Listener {
    private final Peer peer;
    private final int attempt;

    /** When handshakes that time out stop being retried (loop clock), or {@link #NO_DEADLINE}. */
    private final long giveUpAt;

    /** The shared memory this side offered, until the answer; loop thread only. */
    private ShmFile offered;

    Dial(Peer peer, int attempt, long giveUpAt) {
      this.peer = peer;
      this.attempt = attempt;
      this.giveUpAt = giveUpAt;
    }

    @Override
    public void onAuthenticated(Connection c) {
      StartTrace.mark("channel: dial authenticated");
      offered = tcpOnly ? null : offerShm(c);
      c.sendFrame(Frames.IDENT, new MessageOut().pid(self).toByteArray());
    }

    @Override
    public void onFrame(Connection c, int type, ByteBuffer payload) throws IOException {
      if (peer.dialing != c) {
        c.close();
        return;
      }
      if (type == Frames.ACCEPT) {
        StartTrace.mark("channel: dial accepted");
        peer.dialing = null;
        ShmFile shm = offered;
        offered = null;
        boolean shared = payload.remaining() == 1 && payload.get() == 1;
        if (payload.hasRemaining() || (shared && shm == null)) {
          throw new ProtocolException("an ACCEPT from " + peer.pid + " answers no offer");
        }
        if (shm != null) {
          shm.unlink(); // both have it mapped, or the remote declined it
          if (!shared) {
            shm.release(); // declined: unmapped now, not at some later collection
          }
        }
        peer.attach(shared ? new ShmTransport(loop, c, shm, true, peer.lock) : c);
      } else if (type == Frames.REJECT) {
        StartTrace.mark("channel: dial rejected");
        peer.dialing = null;
        c.close();
        // The remote is dialling us and its connection wins; if it never comes, dial again.
        loop.schedule(REDIAL_NANOS * 4, () -> dial(peer, attempt, giveUpAt));
      } else {
        throw new ProtocolException("expected ACCEPT or REJECT from " + peer.pid + ", got " + type);
      }
    }

    @Override
    public void onReadRound(Connection c) {}

    @Override
    public void fill(Connection c, ByteBuffer out) {}

    @Override
    public void onClosed(Connection c, IOException cause) {
      if (offered != null) {
        offered.unlink();
        offered.release();
        offered = null;
      }
      if (peer.dialing != c) {
        return; // abandoned for the remote's connection, or rejected
      }
      peer.dialing = null;
      if (cause instanceof HandshakeTimeoutException) {
        handshakeTimedOut();
        return;
      }
      if (cause instanceof AuthenticationException || cause instanceof ProtocolException) {
        logDropped(peer, cause);
        peer.settle(Reason.LOST);
        return;
      }
      if (attempt + 1 < DIAL_ATTEMPTS) {
        loop.schedule(REDIAL_NANOS, () -> dial(peer, attempt + 1, giveUpAt));
        return;
      }
      // Unreachable: ask the fabric how it ended (answers when it has). A remote that is alive
      // but cannot be reached is LOST once it has been silent as long as a connection may be.
      fates.apply(peer.pid).whenComplete((r, e) -> peer.settle(r != null ? r : Reason.LOST));
      loop.schedule(loop.silence().nanos(), () -> settleUnreachable(peer));
    }

    /**
     * The handshake did not finish in time: nothing was proved wrong (a wrong key fails at once),
     * the network is only slow or lossy, where a connect and its proofs retransmitted after 1, 2
     * and 4 s do take that long. Dials again at once; the first time, asks the fabric, whose answer
     * settles a remote that ended, and gives a remote that stays out of reach the silence limit
     * from now before it is lost.
     */
    private void handshakeTimedOut() {
      long now = loop.now();
      if (giveUpAt != NO_DEADLINE && now - giveUpAt >= 0) {
        peer.settle(Reason.LOST); // unreachable for a handshake and the silence limit since
        return;
      }
      long until = giveUpAt;
      if (until == NO_DEADLINE) {
        until = now + loop.silence().nanos();
        fates.apply(peer.pid).whenComplete((r, e) -> peer.settle(r != null ? r : Reason.LOST));
      }
      long deadline = until;
      loop.execute(() -> dial(peer, 0, deadline));
    }
  }

  /** Loop timer: {@code p} is still unreachable and its fate unknown: it is lost. */
  private void settleUnreachable(Peer p) {
    if (p.transport == null && p.dialing == null && p.fate() == null) {
      p.settle(Reason.LOST);
    }
  }

  private void acceptAll() {
    while (true) {
      SocketChannel s;
      try {
        s = listener.accept();
      } catch (IOException e) {
        log.warn("accept failed on {}: {}", self, e.toString());
        return;
      }
      if (s == null) {
        return;
      }
      try {
        java.net.InetAddress remote = ((InetSocketAddress) s.getRemoteAddress()).getAddress();
        Handshake handshake =
            Handshake.acceptor(
                Handshake.Role.PROCESS,
                credential.channels(target(self)),
                FrameProtection.wish(protection, self.address().getAddress(), remote));
        StartTrace.mark("channel: accept");
        Accepted accepted = new Accepted(hostOf(s));
        Connection c;
        try {
          c = Connection.accept(loop, s, handshake, accepted);
        } catch (IOException | RuntimeException e) {
          accepted.resolved();
          throw e;
        }
        if (c.state() != Connection.State.CLOSED) {
          HandshakeQuota.Drop<Connection> dropped =
              handshakes.admit(
                  c, remote, ((InetSocketAddress) s.getLocalAddress()).getAddress(), loop.now());
          if (dropped != null) {
            logOnce(
                "handshakes:" + hostOf(remote),
                "dropped the oldest unauthenticated connection from "
                    + hostOf(remote)
                    + ": "
                    + dropped.why());
            dropped.victim().close();
          }
        }
      } catch (IOException e) {
        try {
          s.close();
        } catch (IOException ignored) {
          // Dropping a connection that failed on arrival.
        }
      }
    }
  }

  /** Whether a table that has made {@code offers} shared-memory offers makes the next one ahead. */
  static boolean sparesAfter(int offers) {
    return offers >= 2;
  }

  /** Shared-memory offers this table made; loop thread only. */
  private int offers;

  /** How long after an offer the next one's file is made ({@link ShmFile#prepareSpare}). */
  private static final long SPARE_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  /** Runs {@code task} on the async threads, unless they are shut down (the table closed). */
  private void runAsync(Runnable task) {
    try {
      async.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closed: nothing more to prepare.
    }
  }

  /**
   * Loop: when shared memory is on, makes a file for the pair and offers it on {@code c} (the
   * remote uses it only from the same machine); returns it, or null.
   */
  private ShmFile offerShm(Connection c) {
    if (!ShmFile.enabled()) {
      return null;
    }
    ShmFile shm;
    try {
      shm = ShmFile.takeSpareOrCreate();
    } catch (IOException | RuntimeException e) {
      logOnce("shm", "shared memory is unavailable, channels use TCP: " + e);
      return null;
    }
    // From the second offer on, the next pair's file is made ahead, off the loop, once this pair's
    // start has had the cores. Not after the first: most processes (a task sending its result)
    // dial once, and a spare would only cost them 2 MiB written and a file to remove at exit.
    if (sparesAfter(++offers)) {
      loop.schedule(SPARE_DELAY_NANOS, () -> runAsync(ShmFile::prepareSpare));
    }
    c.sendFrame(
        Frames.SHM_OFFER,
        new MessageOut().string(ShmFile.bootId()).string(shm.name()).toByteArray());
    return shm;
  }

  /**
   * Loop: maps the file an SHM_OFFER names when shared memory is on and the remote is on this
   * machine; returns it, or null for TCP.
   */
  private ShmFile takeShm(ByteBuffer payload) throws ProtocolException {
    byte[] bytes = new byte[payload.remaining()];
    payload.get(bytes);
    MessageIn in = new MessageIn(bytes);
    String boot = in.string("SHM_OFFER boot id");
    String name = in.string("SHM_OFFER name");
    in.end("SHM_OFFER");
    if (!ShmFile.enabled() || !boot.equals(ShmFile.bootId())) {
      return null;
    }
    try {
      return ShmFile.open(name);
    } catch (java.nio.file.NoSuchFileException e) {
      // The dialler withdrew its offer: its connection ended or lost a simultaneous dial to ours
      // (it unlinks then), so this one is being dropped anyway. Routine, not worth a warning.
      return null;
    } catch (IOException | RuntimeException e) {
      logOnce("shm-open", "cannot map the shared memory a peer offered, channels use TCP: " + e);
      return null;
    }
  }

  /** The listener of an accepted connection until its IDENT says whose it is. */
  private final class Accepted implements Connection.Listener {
    /** The remote host, read at accept time (the socket may be closed when we log). */
    private final String from;

    /** The shared memory the dialler offered and this side mapped, or null; loop thread only. */
    private ShmFile shm;

    /** Whether an SHM_OFFER came (at most one, before IDENT). */
    private boolean offered;

    /** Whether this connection still counts in {@link #unidentified}. */
    private boolean unresolved = true;

    Accepted(String from) {
      this.from = from;
      unidentified++;
    }

    /** This connection said whose it is, or ended (idempotent). */
    void resolved() {
      if (unresolved) {
        unresolved = false;
        identified();
      }
    }

    @Override
    public void onAuthenticated(Connection c) {
      StartTrace.mark("channel: accepted authenticated");
      handshakes.done(c);
    }

    @Override
    public void onFrame(Connection c, int type, ByteBuffer payload) throws IOException {
      if (type == Frames.SHM_OFFER && !offered) {
        offered = true;
        StartTrace.mark("channel: offer");
        shm = takeShm(payload);
        StartTrace.mark("channel: offer mapped");
        return;
      }
      if (type == Frames.RESUME && !offered) {
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        MessageIn in = new MessageIn(bytes);
        Pid remote = in.pid("RESUME pid");
        in.end("RESUME");
        if (remote.equals(self)) {
          throw new ProtocolException("a connection claims to come from this process itself");
        }
        onResume(c, remote);
        return;
      }
      if (type != Frames.IDENT) {
        throw new ProtocolException("the first frame is type " + type + ", not IDENT");
      }
      byte[] bytes = new byte[payload.remaining()];
      payload.get(bytes);
      MessageIn in = new MessageIn(bytes);
      Pid remote = in.pid("IDENT pid");
      in.end("IDENT");
      if (remote.equals(self)) {
        throw new ProtocolException("a connection claims to come from this process itself");
      }
      Peer p = peers.computeIfAbsent(remote, pid -> new Peer(pid, ChannelTable.this));
      heldDials.remove(p); // this connection is the remote's: no dial of ours is needed
      boolean reject = p.transport != null || (p.dialing != null && compare(self, remote) < 0);
      if (StartTrace.on()) {
        StartTrace.mark("channel: ident " + remote + (reject ? " rejected" : " accepted"));
      }
      if (reject) {
        c.sendFrame(Frames.REJECT, new byte[0]);
        c.close();
        resolved();
        return;
      }
      ShmFile taken = shm;
      shm = null; // the transport's from here
      if (p.dialing != null) {
        Connection mine = p.dialing;
        p.dialing = null;
        mine.close();
      }
      if (taken != null) {
        c.sendFrame(Frames.ACCEPT, new byte[] {1});
        p.attach(new ShmTransport(loop, c, taken, false, p.lock));
      } else {
        c.sendFrame(Frames.ACCEPT, new byte[0]);
        p.attach(c);
      }
      resolved();
    }

    @Override
    public void onReadRound(Connection c) {}

    @Override
    public void fill(Connection c, ByteBuffer out) {}

    @Override
    public void onClosed(Connection c, IOException cause) {
      handshakes.done(c);
      resolved();
      if (shm != null) {
        shm.release(); // mapped, but the connection ended before a transport took it
        shm = null;
      }
      if (cause instanceof AuthenticationException || cause instanceof ProtocolException) {
        logOnce(
            from,
            "dropped a connection from "
                + from
                + ": "
                + cause.getMessage()
                + " (further ones from there are not logged)");
      }
    }
  }

  /** Logs {@code message} the first time {@code key} is seen, of {@link #MAX_LOGGED} keys. */
  private void logOnce(String key, String message) {
    if (logged.size() < MAX_LOGGED && logged.putIfAbsent(key, Boolean.TRUE) == null) {
      log.warn(message);
    }
  }

  private static String hostOf(java.net.InetAddress a) {
    return a.getHostAddress();
  }

  private static String hostOf(SocketChannel s) {
    try {
      java.net.SocketAddress a = s.getRemoteAddress();
      return a instanceof java.net.InetSocketAddress i
          ? i.getAddress().getHostAddress()
          : String.valueOf(a);
    } catch (IOException e) {
      return "an unknown address";
    }
  }

  /**
   * Loop timer: forgets peers whose remote is gone (its fate is known and final, and this process
   * has no channel with it), so a process that talked to many short-lived ones does not keep them
   * all. A new channel to such a pid asks its fate again. Peers that are only idle are kept: their
   * books (credit, counts) must match the remote's.
   */
  private void prune() {
    for (java.util.Iterator<Peer> i = peers.values().iterator(); i.hasNext(); ) {
      Peer p = i.next();
      Reason fate = p.fate();
      if (fate != null && !p.busy() && p.transport == null && p.dialing == null) {
        i.remove();
        if (fate == Reason.LOST) {
          forgottenLock.lock();
          try {
            lostAndForgotten.add(p.pid); // still named at exit (see drain)
          } finally {
            forgottenLock.unlock();
          }
        }
      }
    }
    loop.schedule(PRUNE_NANOS, this::prune);
  }

  /** Returns how many remotes this process has books for. */
  int peerCount() {
    return peers.size();
  }

  /** Orders pids: the lower one's dial wins a race. */
  static int compare(Pid a, Pid b) {
    int c = Long.compareUnsigned(a.key(), b.key());
    if (c != 0) {
      return c;
    }
    c = Integer.compare(a.port(), b.port());
    return c != 0 ? c : Arrays.compare(a.host(), b.host());
  }

  /**
   * Logs a misbehaving connection, or one this side had to close (out of memory, a failure on the
   * I/O thread), once per remote.
   */
  void logDropped(Peer p, IOException cause) {
    boolean ours = cause.getCause() != null && !(cause.getCause() instanceof IOException);
    if (cause instanceof AuthenticationException || cause instanceof ProtocolException || ours) {
      logOnce(p.pid.toString(), "dropped the connection with " + p.pid + ": " + cause.getMessage());
    }
  }

  /**
   * At exit: closes every Sender, waits until everything sent is acknowledged or its remote is
   * gone, then says GOODBYE on every connection so remotes see EXITED, not LOST. A remote that did
   * not acknowledge everything (it was found gone, or never reached), and any remote this process
   * holds LOST (a send to it may have failed before anything was queued), gets no GOODBYE: it may
   * miss values, so it must see LOST. Returns those remotes, for the exit notice: the fabric
   * answers their fate queries with a death too, since they may never have had a connection.
   */
  public List<Pid> drain() {
    List<Peer> all = new ArrayList<>(peers.values());
    for (Peer p : all) {
      if (p.sender != null) {
        p.sender.close();
      }
    }
    Set<Pid> unfinished = new LinkedHashSet<>();
    try {
      for (Peer p : all) {
        p.awaitAcked(Long.MAX_VALUE);
      }
      // Every peer of the table: a peer made after the copy above may hold values too.
      for (Peer p : peers.values()) {
        if (p.owes() || p.fate() == Reason.LOST) {
          unfinished.add(p.pid);
        }
      }
      forgottenLock.lock();
      try {
        unfinished.addAll(lostAndForgotten);
      } finally {
        forgottenLock.unlock();
      }
      CompletableFuture<Void> said = new CompletableFuture<>();
      loop.execute(
          () -> {
            for (Peer p : peers.values()) {
              if (!unfinished.contains(p.pid)) {
                p.sayGoodbye();
              }
            }
            awaitGoodbyes(said, unfinished, loop.now() + TimeUnit.SECONDS.toNanos(1));
          });
      said.get(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Exiting anyway: a remote that did not get our GOODBYE sees LOST.
    }
    return List.copyOf(unfinished);
  }

  private void awaitGoodbyes(CompletableFuture<Void> said, Set<Pid> unfinished, long deadline) {
    boolean done = true;
    for (Peer p : peers.values()) {
      Transport c = p.transport;
      if (c != null
          && !unfinished.contains(p.pid)
          && c.state() == Connection.State.OPEN
          && (!p.goodbyeSent || !c.drained())) {
        done = false;
        c.flush();
      }
    }
    if (done || loop.now() - deadline >= 0) {
      said.complete(null);
    } else {
      loop.schedule(
          TimeUnit.MILLISECONDS.toNanos(1), () -> awaitGoodbyes(said, unfinished, deadline));
    }
  }
}
