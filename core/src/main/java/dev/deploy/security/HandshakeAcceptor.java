package dev.deploy.security;

import dev.deploy.logging.Loggers;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A listener's front door: accepts on a {@link ServerSocketChannel} and runs the acceptor's {@link
 * Handshake} of every new socket, non-blocking, on one thread with a few hundred bytes per socket.
 * Only a socket whose handshake passed gets a thread: it is switched to blocking mode and handed to
 * the {@link Handler}. So an unauthenticated peer costs no thread, and
 *
 * <ul>
 *   <li>a handshake must be done within {@link Limits#deadline} of its accept (in all, not per
 *       read: a peer that trickles a byte at a time holds nothing longer);
 *   <li>the caps of a {@link HandshakeQuota}: at most {@link Limits#maxPerSource} slow handshakes
 *       of one address (a new one drops that address's oldest once it is older than {@link
 *       Limits#grace}; a burst of young ones, many processes of one machine, is let be);
 *   <li>at most {@link Limits#maxInFlight} in all: a new one drops the oldest of the address with
 *       the most;
 *   <li>refusals are logged once per address per minute ({@link RefusalLog}); a connection that
 *       closes before it sent a byte (a health check) only at DEBUG.
 * </ul>
 *
 * Exactly {@link Handshake#needed} bytes are read at a time, so nothing the peer sent after its
 * proof is read here: the handler's streams see it all. No {@code Throwable} ends the acceptor: a
 * failure with one socket closes that socket, and is logged once a minute at most.
 *
 * <p>Threads: {@link #runOnce} on the acceptor's thread only ({@link #start} makes it, tests call
 * it by hand); {@link #close} from any thread; the handler on a thread per authenticated socket.
 */
public final class HandshakeAcceptor implements AutoCloseable {
  private static final Logger log = Loggers.get(HandshakeAcceptor.class);

  /** Makes the acceptor's handshake for a new socket; on the acceptor's thread, must not block. */
  public interface Handshakes {
    /**
     * Returns the handshake to run on {@code socket} (its addresses are known, its streams unused).
     *
     * @throws IOException when the socket cannot be served; it is closed
     */
    Handshake forSocket(Socket socket) throws IOException;
  }

  /** Serves an authenticated connection, on a thread of its own. */
  public interface Handler {
    /**
     * Takes {@code socket} (blocking, nothing read past the proof) whose {@code handshake} is done;
     * owns it from now on and closes it when finished. Whatever it throws closes the socket.
     */
    void serve(Socket socket, Handshake handshake) throws Exception;
  }

  /**
   * How much unauthenticated peers may take of a listener.
   *
   * @param deadline how long a handshake may take in all, from its accept
   * @param maxInFlight the most handshakes in flight at once
   * @param maxPerSource the most slow handshakes in flight from one address
   * @param grace how long a handshake is young, not yet slow
   */
  public record Limits(Duration deadline, int maxInFlight, int maxPerSource, Duration grace) {
    /** 10 s; the caps of {@link HandshakeQuota}: 256 in flight, 8 slow per address, 1 s. */
    public static final Limits DEFAULT =
        new Limits(
            Duration.ofSeconds(10),
            HandshakeQuota.MAX_IN_FLIGHT,
            HandshakeQuota.MAX_PER_SOURCE,
            Duration.ofNanos(HandshakeQuota.GRACE_NANOS));

    /** The default grace. */
    public Limits(Duration deadline, int maxInFlight, int maxPerSource) {
      this(deadline, maxInFlight, maxPerSource, Duration.ofNanos(HandshakeQuota.GRACE_NANOS));
    }

    /** Checks the limits. */
    public Limits {
      if (deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException(
            "a handshake deadline must be positive, not " + deadline);
      }
      if (maxPerSource < 1 || maxInFlight < maxPerSource) {
        throw new IllegalArgumentException(
            "need 1 <= maxPerSource <= maxInFlight, not " + maxPerSource + " and " + maxInFlight);
      }
      if (grace.isNegative()) {
        throw new IllegalArgumentException("a grace must not be negative, not " + grace);
      }
    }
  }

  /** How long accepting rests after accept() failed (out of file descriptors). */
  static final long ACCEPT_REST_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /** The most sockets one round accepts; the rest wait in the backlog for the next round. */
  static final int ACCEPTS_PER_ROUND = 64;

  private final ServerSocketChannel server;
  private final String listener;
  private final Handshakes handshakes;
  private final Handler handler;
  private final Limits limits;
  private final LongSupplier clock;
  private final ThreadFactory threads;
  private final Selector selector;
  private final SelectionKey acceptKey;
  private final RefusalLog refusals;

  /** Failures of this acceptor itself (not of peers), told once a minute per kind. */
  private final RefusalLog failures;

  /** Handshakes in flight, oldest first (and so by deadline). Acceptor thread only. */
  private final HandshakeQuota<Pending> inFlight;

  /** Passed handshakes whose keys were cancelled: handed off once the selector forgot them. */
  private final List<Pending> passed = new ArrayList<>();

  /** When accepting resumes after accept() failed; 0 while accepting. Acceptor thread only. */
  private long restingUntil;

  /** When {@link #refusals} next tells what it counted. Acceptor thread only. */
  private long nextFlush;

  private volatile boolean closed;
  private volatile Thread thread;

  /**
   * An acceptor on {@code server} (bound; made non-blocking here) named {@code listener} in logs
   * ("the worker's link port"), with {@code limits} judged on {@code clock} (nanoseconds); each
   * authenticated socket's handler runs on a thread from {@code threads}. Nothing runs until {@link
   * #start} or {@link #runOnce}.
   *
   * @throws IOException when the selector cannot be opened
   */
  public HandshakeAcceptor(
      ServerSocketChannel server,
      String listener,
      Handshakes handshakes,
      Handler handler,
      ThreadFactory threads,
      Limits limits,
      LongSupplier clock)
      throws IOException {
    this(server, listener, handshakes, handler, threads, limits, clock, log::warn);
  }

  /** As the public constructor, telling refusals to {@code warn}; for tests. */
  HandshakeAcceptor(
      ServerSocketChannel server,
      String listener,
      Handshakes handshakes,
      Handler handler,
      ThreadFactory threads,
      Limits limits,
      LongSupplier clock,
      java.util.function.Consumer<String> warn)
      throws IOException {
    this.server = server;
    this.listener = listener;
    this.handshakes = handshakes;
    this.handler = handler;
    this.threads = threads;
    this.limits = limits;
    this.inFlight =
        new HandshakeQuota<>(limits.maxInFlight(), limits.maxPerSource(), limits.grace().toNanos());
    this.clock = clock;
    this.refusals = new RefusalLog(clock, warn);
    this.failures = new RefusalLog(clock, warn);
    this.selector = Selector.open();
    try {
      server.configureBlocking(false);
      this.acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException | RuntimeException e) {
      selector.close();
      throw e;
    }
    this.nextFlush = clock.getAsLong() + TimeUnit.SECONDS.toNanos(1);
  }

  /**
   * Starts an acceptor with the {@link Limits#DEFAULT} limits on the system clock, on a daemon
   * thread named {@code threadName}.
   *
   * @throws IOException when the selector cannot be opened
   */
  public static HandshakeAcceptor start(
      ServerSocketChannel server,
      String listener,
      String threadName,
      Handshakes handshakes,
      Handler handler,
      ThreadFactory threads)
      throws IOException {
    HandshakeAcceptor a =
        new HandshakeAcceptor(
            server, listener, handshakes, handler, threads, Limits.DEFAULT, System::nanoTime);
    a.start(threadName);
    return a;
  }

  /** Starts the acceptor's daemon thread, which runs rounds until {@link #close}. */
  public void start(String threadName) {
    Thread t = new Thread(this::run, threadName);
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  private void run() {
    while (!closed) {
      try {
        runOnce(1000);
      } catch (ClosedSelectorException e) {
        break;
      } catch (Throwable e) { // out of memory, a bug: this round is lost, the acceptor is not
        failed("round", "a round of accepting failed", e);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // no hot loop on a lasting fault
      }
    }
    closeAll();
  }

  /**
   * Acceptor thread: one round. Waits up to {@code maxWaitMillis} (less when a deadline is due) for
   * sockets to accept, read or write; moves their handshakes on; hands off those that passed; drops
   * those past their deadline. Returns how many sockets were ready.
   */
  public int runOnce(long maxWaitMillis) throws IOException {
    long now = clock.getAsLong();
    long wait = TimeUnit.MILLISECONDS.toNanos(Math.max(0, maxWaitMillis));
    if (inFlight.size() > 0) {
      wait = Math.min(wait, inFlight.inFlight().iterator().next().deadline - now);
    }
    if (restingUntil != 0) {
      wait = Math.min(wait, restingUntil - now);
    }
    wait = Math.min(wait, nextFlush - now);
    long waitMillis = TimeUnit.NANOSECONDS.toMillis(wait + 999_999);
    int ready =
        waitMillis <= 0 || !selector.selectedKeys().isEmpty()
            ? selector.selectNow()
            : selector.select(waitMillis);
    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
    int handled = 0;
    while (it.hasNext()) {
      SelectionKey key = it.next();
      it.remove();
      handled++;
      if (!key.isValid()) {
        continue;
      }
      if (key == acceptKey) {
        acceptAll();
      } else {
        onReady((Pending) key.attachment());
      }
    }
    handOffPassed();
    now = clock.getAsLong();
    expire(now);
    if (restingUntil != 0 && now - restingUntil >= 0 && acceptKey.isValid()) {
      restingUntil = 0;
      acceptKey.interestOps(SelectionKey.OP_ACCEPT);
    }
    if (now - nextFlush >= 0) {
      nextFlush = now + TimeUnit.SECONDS.toNanos(1);
      refusals.flush();
      failures.flush();
    }
    return Math.max(ready, handled);
  }

  /** Returns how many handshakes are in flight; acceptor thread (or a test driving it) only. */
  public int inFlight() {
    return inFlight.size();
  }

  private void acceptAll() {
    for (int i = 0; i < ACCEPTS_PER_ROUND; i++) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (ClosedChannelException e) {
        acceptKey.cancel(); // the listener closed
        return;
      } catch (IOException e) { // out of file descriptors, most likely: rest a moment
        failed("accept", listener + " could not accept a connection: " + e.getMessage(), null);
        acceptKey.interestOps(0);
        restingUntil = clock.getAsLong() + ACCEPT_REST_NANOS;
        return;
      }
      if (channel == null) {
        return;
      }
      admit(channel);
    }
  }

  /** Makes room for a new socket if the caps are reached, then starts its handshake. */
  private void admit(SocketChannel channel) {
    Pending p = null;
    try {
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      InetSocketAddress remote = (InetSocketAddress) channel.getRemoteAddress();
      InetAddress source = remote.getAddress();
      Handshake handshake = handshakes.forSocket(channel.socket());
      p =
          new Pending(
              channel,
              source,
              source.getHostAddress() + ":" + remote.getPort(),
              handshake,
              clock.getAsLong() + limits.deadline().toNanos());
      p.key = channel.register(selector, SelectionKey.OP_READ, p);
      HandshakeQuota.Drop<Pending> drop =
          inFlight.admit(
              p,
              source,
              ((InetSocketAddress) channel.getLocalAddress()).getAddress(),
              clock.getAsLong());
      if (drop != null) {
        drop(drop.victim(), drop.why());
      }
      p.send(handshake.hello());
    } catch (IOException e) {
      // The peer is gone before a byte came from it: a health check that reset its connection,
      // or a port scan. No handshake began; nothing to warn about.
      if (p != null) {
        remove(p);
      }
      closeQuietly(channel);
      log.debug("{}: a connection closed before it sent anything: {}", listener, e.getMessage());
    } catch (Throwable e) { // a failing handshake factory, out of memory
      if (p != null) {
        remove(p);
      }
      closeQuietly(channel);
      failed("admit", listener + " could not start a handshake", e);
    }
  }

  /** Moves one socket's handshake on; any failure ends that socket only. */
  private void onReady(Pending p) {
    try {
      if (p.key.isWritable()) {
        p.flush();
      }
      if (p.key.isReadable()) {
        p.read();
      }
      if (p.handshake.done() && p.out.position() == 0) {
        remove(p);
        passed.add(p); // its key is cancelled; blocking mode waits for the selector to forget it
      }
    } catch (AuthenticationException e) {
      drop(p, e.getMessage());
    } catch (IOException e) {
      if (p.received == 0) { // a health check, or a port scan
        log.debug("{}: {} closed before it sent anything", listener, p.peer);
        remove(p);
        closeQuietly(p.channel);
      } else {
        drop(
            p,
            e instanceof EOFException
                ? "it closed the connection during the handshake"
                : "the connection failed during the handshake: " + e.getMessage());
      }
    } catch (Throwable e) {
      remove(p);
      closeQuietly(p.channel);
      failed("handshake", listener + " dropped a handshake with " + p.peer + " after a failure", e);
    }
  }

  /** Hands each passed socket to the handler on a thread of its own. */
  private void handOffPassed() throws IOException {
    if (passed.isEmpty()) {
      return;
    }
    selector.selectNow(); // forgets the cancelled keys, so their sockets may block again
    for (Pending p : passed) {
      try {
        p.channel.configureBlocking(true);
        threads.newThread(() -> serve(p)).start();
      } catch (Throwable e) { // out of threads or memory: this connection goes, not the acceptor
        closeQuietly(p.channel);
        failed("thread", listener + " could not start a thread for " + p.peer, e);
      }
    }
    passed.clear();
  }

  private void serve(Pending p) {
    try {
      handler.serve(p.channel.socket(), p.handshake);
    } catch (Throwable e) {
      closeQuietly(p.channel);
      log.warn("{}: serving {} failed", listener, p.peer, e);
    }
  }

  private void expire(long now) {
    while (inFlight.size() > 0) {
      Pending oldest = inFlight.inFlight().iterator().next();
      if (now - oldest.deadline < 0) {
        return;
      }
      drop(
          oldest,
          "it did not authenticate within " + limits.deadline().toSeconds() + " s of connecting");
    }
  }

  /** Ends a handshake as refused, saying why (once a minute per address). */
  private void drop(Pending p, String why) {
    remove(p);
    closeQuietly(p.channel);
    refusals.refused(
        p.source.getHostAddress(), listener + " refused a connection from " + p.peer + ": " + why);
  }

  private void remove(Pending p) {
    inFlight.done(p);
    if (p.key != null) {
      p.key.cancel();
    }
  }

  /** Logs a failure of the acceptor's own at most once a minute per {@code kind}. */
  private void failed(String kind, String message, Throwable e) {
    failures.refused(kind, e == null ? message : message + ": " + e);
  }

  /**
   * Stops accepting and closes every socket whose handshake is in flight; the server stays open.
   */
  @Override
  public void close() {
    closed = true;
    if (thread == null) {
      closeAll();
    } else {
      selector.wakeup();
    }
  }

  private void closeAll() {
    for (Pending p : inFlight.inFlight()) {
      closeQuietly(p.channel);
    }
    for (Pending p : passed) {
      closeQuietly(p.channel);
    }
    inFlight.clear();
    passed.clear();
    try {
      selector.close();
    } catch (IOException ignored) {
      // Closing.
    }
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Closing a socket we are refusing.
    }
  }

  /** One socket's handshake in flight: its buffers and deadline. Acceptor thread only. */
  private static final class Pending {
    final SocketChannel channel;
    final InetAddress source;
    final String peer;
    final Handshake handshake;
    final long deadline;

    /** The bytes {@link Handshake#needed} asks for, filling; its limit is what is needed. */
    final ByteBuffer in = ByteBuffer.allocate(Math.max(Handshake.HEADER, Handshake.MAX_TARGET));

    /** What to send and the socket did not take yet; in write mode. */
    final ByteBuffer out = ByteBuffer.allocate(Handshake.MAX_HELLO + Handshake.PROOF);

    /** How many bytes the peer sent; 0 means it never spoke. */
    long received;

    SelectionKey key;

    Pending(
        SocketChannel channel,
        InetAddress source,
        String peer,
        Handshake handshake,
        long deadline) {
      this.channel = channel;
      this.source = source;
      this.peer = peer;
      this.handshake = handshake;
      this.deadline = deadline;
      in.limit(handshake.needed());
    }

    /** Reads what the handshake needs, exactly, and answers; stops when the socket has no more. */
    void read() throws IOException {
      while (!handshake.done()) {
        int n = channel.read(in);
        if (n < 0) {
          throw new EOFException("the peer closed the connection");
        }
        received += n;
        if (in.hasRemaining()) {
          return;
        }
        byte[] bytes = new byte[in.position()];
        in.flip();
        in.get(bytes);
        in.clear();
        byte[] reply = handshake.receive(bytes);
        in.limit(handshake.needed());
        if (reply.length > 0) {
          send(reply);
        }
      }
    }

    void send(byte[] bytes) throws IOException {
      out.put(bytes);
      flush();
    }

    /** Writes what it can; wants to write again only while something is left. */
    void flush() throws IOException {
      out.flip();
      channel.write(out);
      out.compact();
      key.interestOps(
          out.position() > 0 ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }
  }
}
