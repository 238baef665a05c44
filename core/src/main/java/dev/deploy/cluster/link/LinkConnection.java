package dev.deploy.cluster.link;

import dev.deploy.io.SilenceLimit;
import dev.deploy.runtime.ProcessRuntime;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.FrameProtection;
import dev.deploy.security.Handshake;
import dev.deploy.util.DaemonThreads;
import dev.deploy.wire.Frame;
import dev.deploy.wire.FrameReader;
import dev.deploy.wire.FrameWriter;
import dev.deploy.wire.Link;
import dev.deploy.wire.ProtocolException;
import dev.deploy.wire.WorkerLink;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * One authenticated connection between two daemons (master and worker, or deploy and bridge),
 * carrying the messages {@code M} of one protocol ({@link WorkerLink} or {@link
 * dev.deploy.wire.ClientLink}, whose decoder refuses the other's) over blocking streams: the
 * cluster-key handshake, then a {@link Link.Hello} each way, then frames. A side that hears nothing
 * (not a byte) for its {@link SilenceLimit} takes the other as gone; {@link #startPings} keeps an
 * idle connection from looking so.
 *
 * <p>{@link #send} may be called from any thread (frames stay whole); {@link #read} from one.
 */
public final class LinkConnection<M extends Link> implements AutoCloseable {
  /**
   * The handshake and the Hellos must be done within this, unless the caller gives a deadline: a
   * limit on a squatter, not failure detection, so it does not follow the {@link SilenceLimit}.
   */
  public static final int HANDSHAKE_MILLIS = 10_000;

  /** Bytes of the buffer in front of the socket: a frame's slices go out at once past it. */
  private static final int OUT_BUFFER = 16 << 10;

  /** Writes pings; a thread per connection whose ping is stuck, idle threads end after a minute. */
  private static final ExecutorService PINGERS =
      Executors.newCachedThreadPool(DaemonThreads.numbered("deploy-link-ping"));

  private final Socket socket;
  private final FrameReader reader;
  private final FrameWriter writer;
  private final String peer;
  private final Link.Decoder<M> decoder;
  private volatile ScheduledFuture<?> pings;

  /** A peer silent this long is gone, and a write that did not move for it is stuck. */
  private final SilenceLimit silence;

  /** The clock of the writer's progress, in nanoseconds. */
  private final LongSupplier clock;

  /** Whether a write that did not move for the silence limit closes the connection. */
  private volatile boolean cutStuckWrites = true;

  /** Set while a ping of this connection is being written: one in flight at most. */
  private final AtomicBoolean pinging = new AtomicBoolean();

  /** Why this side closed the connection on a failure; null until it does. First reason wins. */
  private volatile String closedBecause;

  /** A connection to the daemon the caller did not expect; the message says which it is. */
  public static final class WrongPeerException extends IOException {
    private static final long serialVersionUID = 1L;

    WrongPeerException(String message) {
      super(message);
    }
  }

  /** A connection over {@code socket} that writes with {@code writer}; for tests. */
  static <M extends Link> LinkConnection<M> over(
      Socket socket, FrameReader reader, FrameWriter writer, Link.Decoder<M> decoder) {
    return over(socket, reader, writer, decoder, SilenceLimit.current(), System::nanoTime);
  }

  /**
   * A connection over {@code socket} that writes with {@code writer} (on {@code clock}) and takes
   * {@code silence} as its limit; for tests.
   */
  static <M extends Link> LinkConnection<M> over(
      Socket socket,
      FrameReader reader,
      FrameWriter writer,
      Link.Decoder<M> decoder,
      SilenceLimit silence,
      LongSupplier clock) {
    return new LinkConnection<>(socket, reader, writer, "test", decoder, silence, clock);
  }

  private LinkConnection(
      Socket socket,
      FrameReader reader,
      FrameWriter writer,
      String peer,
      Link.Decoder<M> decoder,
      SilenceLimit silence,
      LongSupplier clock) {
    this.socket = socket;
    this.reader = reader;
    this.writer = writer;
    this.peer = peer;
    this.decoder = decoder;
    this.silence = silence;
    this.clock = clock;
  }

  /** Returns how long the peer may be silent, and a write may not move, before it is gone. */
  public SilenceLimit silence() {
    return silence;
  }

  /**
   * Dials {@code address}, authenticates, exchanges Hellos, and then speaks the protocol of {@code
   * decoder} ({@code WorkerLink::decode} or {@code ClientLink::decode}).
   *
   * @throws IOException when the address cannot be reached, the key is refused, or the peer speaks
   *     another protocol; the message says which in one sentence
   */
  public static <M extends Link> LinkConnection<M> dial(
      InetSocketAddress address,
      ClusterKey key,
      Link.Role role,
      Link.Role expected,
      Link.Decoder<M> decoder)
      throws IOException {
    return dial(address, key, role, expected, decoder, HANDSHAKE_MILLIS);
  }

  /**
   * As {@link #dial(InetSocketAddress, ClusterKey, int, int, Link.Decoder)}, where the handshake
   * and the Hellos must be done within {@code deadlineMillis} in all: a listener that trickles its
   * bytes (a squatter on a worker's port) cannot hold the dialling thread longer.
   */
  static <M extends Link> LinkConnection<M> dial(
      InetSocketAddress address,
      ClusterKey key,
      Link.Role role,
      Link.Role expected,
      Link.Decoder<M> decoder,
      long deadlineMillis)
      throws IOException {
    return dial(address, key, role, expected, handshakeRole(expected), decoder, deadlineMillis);
  }

  /**
   * Dials the master at {@code address} as a worker that joins it, all within {@code
   * deadlineMillis} (the connect too): the master's port is its bridge's in the handshake (which
   * deploy clients dial too; the worker's role tells them apart), and the master in the Hellos. The
   * caller sends {@link WorkerLink.Join} next.
   */
  public static LinkConnection<WorkerLink> join(
      InetSocketAddress address, ClusterKey key, long deadlineMillis) throws IOException {
    return dial(
        address,
        key,
        Link.Role.WORKER,
        Link.Role.MASTER,
        Handshake.Role.BRIDGE,
        WorkerLink::decode,
        deadlineMillis);
  }

  private static <M extends Link> LinkConnection<M> dial(
      InetSocketAddress address,
      ClusterKey key,
      Link.Role role,
      Link.Role expected,
      Handshake.Role handshakeExpected,
      Link.Decoder<M> decoder,
      long deadlineMillis)
      throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(address, (int) Math.min(HANDSHAKE_MILLIS, deadlineMillis));
      String peer = address.getHostString() + ":" + address.getPort();
      InetSocketAddress reached = (InetSocketAddress) socket.getRemoteSocketAddress();
      Handshake handshake =
          Handshake.dialer(
              handshakeRole(role),
              key,
              0,
              handshakeExpected,
              Handshake.target(reached),
              wish(socket));
      return openWithin(socket, handshake, peer, role, expected, decoder, deadlineMillis);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** Closes sockets whose opening outlived its deadline. */
  private static final ScheduledExecutorService DEADLINES =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.numbered("deploy-link-deadline"));

  /** {@link #open} within {@code deadlineMillis} in all, or the socket is closed under it. */
  private static <M extends Link> LinkConnection<M> openWithin(
      Socket socket,
      Handshake handshake,
      String peer,
      Link.Role role,
      Link.Role expected,
      Link.Decoder<M> decoder,
      long deadlineMillis)
      throws IOException {
    AtomicBoolean expired = new AtomicBoolean();
    ScheduledFuture<?> deadline =
        DEADLINES.schedule(
            () -> {
              expired.set(true);
              try {
                socket.close();
              } catch (IOException ignored) {
                // Closing.
              }
            },
            deadlineMillis,
            TimeUnit.MILLISECONDS);
    try {
      return open(socket, handshake, peer, role, expected, decoder);
    } catch (IOException e) {
      if (expired.get()) {
        throw new java.net.SocketTimeoutException(
            peer + " did not finish its handshake within " + deadlineMillis / 1000.0 + " s");
      }
      throw e;
    } finally {
      deadline.cancel(false);
    }
  }

  /**
   * Authenticates an accepted socket and exchanges Hellos as {@code role}, expecting the peer to be
   * {@code expected} and to have meant this listener: the address it was accepted on or one of
   * {@code advertised}; closes it on failure. Blocks for the handshake: listeners run it on a
   * {@link dev.deploy.security.HandshakeAcceptor} instead and call {@link #accept(Socket,
   * Handshake, int, int, Link.Decoder)}.
   */
  static <M extends Link> LinkConnection<M> accept(
      Socket socket,
      ClusterKey key,
      Link.Role role,
      Link.Role expected,
      java.util.Collection<InetSocketAddress> advertised,
      Link.Decoder<M> decoder)
      throws IOException {
    try {
      return openWithin(
          socket,
          acceptor(socket, key, role, expected, advertised),
          String.valueOf(socket.getRemoteSocketAddress()),
          role,
          expected,
          decoder,
          HANDSHAKE_MILLIS);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Returns the acceptor's handshake for {@code socket} as {@code role}: it takes a peer that is
   * {@code expected}, proves the cluster {@code key} and meant the address the socket was accepted
   * on or one of {@code advertised}.
   */
  public static Handshake acceptor(
      Socket socket,
      ClusterKey key,
      Link.Role role,
      Link.Role expected,
      java.util.Collection<InetSocketAddress> advertised) {
    return Handshake.acceptor(
        handshakeRole(role),
        Handshake.Acceptance.daemon(
            handshakeRole(expected),
            key,
            (InetSocketAddress) socket.getLocalSocketAddress(),
            advertised),
        wish(socket));
  }

  /**
   * Takes a socket whose {@code handshake} (made by {@link #acceptor}) passed, and exchanges Hellos
   * as {@code role}, expecting the peer to be {@code expected}, then speaks the protocol of {@code
   * decoder}; closes it on failure.
   */
  public static <M extends Link> LinkConnection<M> accept(
      Socket socket,
      Handshake handshake,
      Link.Role role,
      Link.Role expected,
      Link.Decoder<M> decoder)
      throws IOException {
    try {
      return openWithin(
          socket,
          handshake,
          String.valueOf(socket.getRemoteSocketAddress()),
          role,
          expected,
          decoder,
          HANDSHAKE_MILLIS);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * As {@link #accept(Socket, ClusterKey, int, int, java.util.Collection, Link.Decoder)},
   * advertising nothing.
   */
  static <M extends Link> LinkConnection<M> accept(
      Socket socket, ClusterKey key, Link.Role role, Link.Role expected, Link.Decoder<M> decoder)
      throws IOException {
    return accept(socket, key, role, expected, java.util.List.of(), decoder);
  }

  /**
   * As {@link #acceptor(Socket, ClusterKey, int, int, java.util.Collection)}, taking a peer in any
   * of the {@code expected} roles; the handshake's {@link Handshake#peerRole} says which it was.
   */
  public static Handshake acceptor(
      Socket socket,
      ClusterKey key,
      Link.Role role,
      java.util.Set<Link.Role> expected,
      java.util.Collection<InetSocketAddress> advertised) {
    java.util.Set<Handshake.Role> roles = new java.util.HashSet<>();
    expected.forEach(e -> roles.add(handshakeRole(e)));
    return Handshake.acceptor(
        handshakeRole(role),
        Handshake.Acceptance.daemon(
            roles, key, (InetSocketAddress) socket.getLocalSocketAddress(), advertised),
        wish(socket));
  }

  /** Returns this side's address of the connection: the interface that routes to the peer. */
  public java.net.InetAddress localAddress() {
    return socket.getLocalAddress();
  }

  /** Returns the protection this side asks for on {@code socket}. */
  private static FrameProtection.Mode wish(Socket socket) {
    return FrameProtection.wish(
        FrameProtection.configured(), socket.getLocalAddress(), socket.getInetAddress());
  }

  /** Returns the handshake's role for a {@link Link.Hello} role. */
  static Handshake.Role handshakeRole(Link.Role role) {
    return switch (role) {
      case MASTER -> Handshake.Role.MASTER;
      case WORKER -> Handshake.Role.WORKER;
      case DEPLOY -> Handshake.Role.CLIENT;
      case BRIDGE -> Handshake.Role.BRIDGE;
    };
  }

  private static <M extends Link> LinkConnection<M> open(
      Socket socket,
      Handshake handshake,
      String peer,
      Link.Role role,
      Link.Role expected,
      Link.Decoder<M> decoder)
      throws IOException {
    SilenceLimit silence = SilenceLimit.current();
    socket.setTcpNoDelay(true);
    // Any byte resets it: a large frame that arrives slowly is a live peer, not a silent one.
    socket.setSoTimeout((int) silence.millis());
    BufferedInputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
    BufferedOutputStream out = new BufferedOutputStream(socket.getOutputStream(), OUT_BUFFER);
    // A handshake run by a HandshakeAcceptor is done: it read nothing past the peer's proof.
    FrameProtection protection;
    try {
      protection = handshake.done() ? handshake.protection() : handshake.run(in, out);
    } catch (Handshake.WrongRoleException e) {
      throw new WrongPeerException(peer + " " + e.getMessage().replaceFirst("^it ", ""));
    }
    LinkConnection<M> c =
        new LinkConnection<>(
            socket,
            new FrameReader(in, protection),
            new FrameWriter(out, protection),
            peer,
            decoder,
            silence,
            System::nanoTime);
    c.write(new Link.Hello(Link.Hello.PROTOCOL, ProcessRuntime.version(), role));
    Frame first = c.reader.read();
    if (first == null) {
      throw new IOException(peer + " closed the connection after the handshake");
    }
    if (!(decoder.decode(first) instanceof Link.Hello hello)) {
      throw new ProtocolException(peer + " did not start with a Hello");
    }
    if (hello.protocol() != Link.Hello.PROTOCOL) {
      throw new ProtocolException(
          peer
              + " runs deploy "
              + hello.version()
              + " (protocol "
              + hello.protocol()
              + "), this is deploy "
              + ProcessRuntime.version()
              + " (protocol "
              + Link.Hello.PROTOCOL
              + "); run the same version everywhere");
    }
    if (hello.role() != expected) {
      throw new WrongPeerException(
          peer + " is " + hello.role().description() + ", not " + expected.description());
    }
    return c;
  }

  /**
   * Sends a ping every {@link SilenceLimit#heartbeatMillis} until closed, unless a write is under
   * way (its bytes say as much); cuts the connection when a write has not moved (the socket took
   * none of its bytes) for the silence limit, so a peer that stopped reading cannot hold a writer,
   * and what waits behind it, forever, while a large frame on a slow link is left to finish.
   */
  public void startPings(ScheduledExecutorService timers) {
    startPings(timers, true);
  }

  /**
   * As {@link #startPings(ScheduledExecutorService)}; with {@code cutStuckWrites} false a write may
   * wait as long as the peer keeps the connection alive: the bridge's writes to a deploy client
   * that does not read its output (a pager) are back-pressure, not a fault.
   */
  public void startPings(ScheduledExecutorService timers, boolean cutStuckWrites) {
    this.cutStuckWrites = cutStuckWrites;
    long every = silence.heartbeatMillis();
    pings = timers.scheduleWithFixedDelay(this::ping, every, every, TimeUnit.MILLISECONDS);
  }

  /** Timer: cuts a stuck write, else pings; package-private for tests. */
  void ping() {
    if (cutIfStuck()) {
      return;
    }
    // The write goes on another thread: with the writer free but the socket full (a peer that
    // stopped reading after the last frame fitted), it blocks, and the timer is shared (the bridge
    // pings every deploy client on one). One ping in flight per connection at most.
    if (pinging.compareAndSet(false, true)) {
      PINGERS.execute(
          () -> {
            try {
              writeIfFree(new Link.Ping()); // a write under way says as much
            } finally {
              pinging.set(false);
            }
          });
    }
  }

  /** Closes the connection when a write (a ping's too) did not move for the limit; says whether. */
  private boolean cutIfStuck() {
    long since = writer.writingSince();
    if (cutStuckWrites && since != 0 && clock.getAsLong() - since >= silence.nanos()) {
      closeBecause("a write to it did not move for " + silence);
      return true;
    }
    return false;
  }

  /**
   * Sends a message.
   *
   * @throws FrameWriter.EndedException after {@link #sendLast}
   */
  public void send(M message) throws IOException {
    write(message);
  }

  private void write(Link message) throws IOException {
    writer.write(message.type(), message.encode());
  }

  /** Sends a message only if nobody is writing now; returns whether it did. */
  public boolean sendIfFree(M message) {
    return writeIfFree(message);
  }

  /**
   * Sends a message if the message another thread is writing ends within {@code millis}; returns
   * whether it did. On a failed write it closes, as {@link #trySend}.
   */
  public boolean sendWithin(M message, long millis) {
    try {
      return writer.tryWrite(
          message.type(), message.encode(), TimeUnit.MILLISECONDS.toNanos(millis));
    } catch (IOException e) {
      writeFailed(e);
      return false;
    }
  }

  private boolean writeIfFree(Link message) {
    try {
      return writer.tryWrite(message.type(), message.encode());
    } catch (IOException e) {
      writeFailed(e);
      return false;
    }
  }

  /** Sends a message; on failure closes the connection (the reader then sees it end). */
  public boolean trySend(M message) {
    try {
      send(message);
      return true;
    } catch (FrameWriter.EndedException e) {
      // After the last message: dropped. Closing now would reset what the peer has yet to read.
      return false;
    } catch (IOException e) {
      writeFailed(e);
      return false;
    }
  }

  /** A write failed: closes, saying why, unless this side had closed already (for its reason). */
  private void writeFailed(IOException e) {
    if (!socket.isClosed()) {
      closeBecause("a write to it failed: " + e.getMessage());
    }
  }

  /** Returns why this side closed the connection on a failure, or null. */
  public String closedBecause() {
    return closedBecause;
  }

  /** Closes the connection, recording why unless an earlier reason was recorded. */
  public void closeBecause(String why) {
    if (closedBecause == null) {
      closedBecause = why;
    }
    close();
  }

  /**
   * Returns the next message other than a ping, or null at the end of the stream.
   *
   * @throws java.net.SocketTimeoutException when the peer was silent for the {@link #silence} limit
   * @throws ProtocolException when a frame is malformed
   */
  public M read() throws IOException {
    while (true) {
      Frame frame = reader.read();
      if (frame == null) {
        return null;
      }
      M message = decoder.decode(frame);
      if (!(message instanceof Link.Ping)) {
        return message;
      }
    }
  }

  /** Returns how many bytes the peer sent that wait unread in the socket; for tests. */
  int unreadBytes() throws IOException {
    return socket.getInputStream().available();
  }

  /** Returns who is at the other end, for messages. */
  public String peer() {
    return peer;
  }

  /**
   * Sends {@code message} as the last one and half-closes the connection, so the peer reads all
   * that was sent up to the end of the stream; nothing is sent after it (pings are stopped, later
   * sends are dropped). The reading thread then sees the peer's own end (or its silence) and
   * closes. Closing at once instead would reset the connection whenever a ping of the peer waited
   * unread here, and a reset discards, on the peer's side, what it has not read yet: the last
   * output and the exit code. Returns whether the message was sent; a failure closes the
   * connection.
   */
  public boolean sendLast(M message) {
    ScheduledFuture<?> p = pings;
    if (p != null) {
      p.cancel(false);
    }
    try {
      return writer.writeLast(message.type(), message.encode(), socket::shutdownOutput);
    } catch (IOException e) {
      writeFailed(e);
      return false;
    }
  }

  /** Returns whether {@link #sendLast} sent its message: the peer was told the end. */
  public boolean sentLast() {
    return writer.isEnded();
  }

  /**
   * For the reading thread, after {@link #sendLast}: reads (and drops) what the peer still sends
   * until it closes or is silent for the {@link #silence} limit, then closes.
   */
  public void readToEndAndClose() {
    try {
      while (reader.read() != null) {
        // A ping, or whatever the peer said before it saw the end.
      }
    } catch (IOException e) {
      // Silent, reset or malformed: it is closed below either way.
    } finally {
      close();
    }
  }

  @Override
  public void close() {
    ScheduledFuture<?> p = pings;
    if (p != null) {
      p.cancel(false);
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closing.
    }
  }
}
