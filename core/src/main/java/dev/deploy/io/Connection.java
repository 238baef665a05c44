package dev.deploy.io;

import dev.deploy.security.AuthenticationException;
import dev.deploy.security.FrameProtection;
import dev.deploy.security.Handshake;
import dev.deploy.security.HandshakeTimeoutException;
import dev.deploy.wire.ProtocolException;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * One TCP connection between two processes, driven by the {@link IoLoop}: connect, the {@link
 * Handshake} (nothing is parsed as a frame before it passes, and until then the connection holds a
 * few hundred bytes of buffer), then length-prefixed frames {@code u32 length, u8 type, payload}
 * with a hard maximum. Where the handshake agreed on a {@link FrameProtection} that tags, frames
 * travel in records {@code u32 length, frames, tag} of at most {@link #MAX_RECORD} bytes, each
 * checked before any of its frames is parsed. Idle connections carry heartbeats; one that received
 * nothing (not a byte: a frame still arriving counts) for its loop's {@link SilenceLimit} is closed
 * as lost.
 *
 * <p>Loop thread only. The {@link Listener} gets every frame and fills every write.
 */
public final class Connection implements IoLoop.Handler, Transport {
  /** The largest frame: a 64 KiB chunk of a value plus its header. */
  public static final int MAX_FRAME = Framing.MAX_FRAME;

  /**
   * The most bytes of frames one record holds: whatever the peer's input buffer, a whole record and
   * its header and tag fit into it.
   */
  static final int MAX_RECORD = 2 * MAX_FRAME - 4 - FrameProtection.TAG;

  /** A connection must authenticate within this, or within the silence limit when shorter. */
  static final long HANDSHAKE_NANOS = TimeUnit.SECONDS.toNanos(10);

  /** How often the listener's {@link Listener#onTick} comes and idle buffers shrink. */
  static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** The silence limit when none is configured; a loop's {@link IoLoop#silence} is the one used. */
  public static final long SILENCE_NANOS = SilenceLimit.DEFAULT.nanos();

  /** Frame type of a heartbeat; handled here, never given to the listener. */
  static final int HEARTBEAT = 0;

  /** The connection's life. */
  public enum State {
    CONNECTING,
    HANDSHAKE,
    OPEN,
    CLOSED
  }

  /** What the connection tells its owner. All calls are on the loop thread. */
  public interface Listener {
    /** The handshake passed; frames may be sent. */
    void onAuthenticated(Connection c);

    /** A frame arrived; {@code payload} is valid only during the call. */
    void onFrame(Connection c, int type, ByteBuffer payload) throws IOException;

    /** Once a second while open, at {@code now} on the loop's clock. */
    default void onTick(Connection c, long now) {}

    /** A read round delivered frames; a good moment to answer with acknowledgements. */
    void onReadRound(Connection c);

    /** Put as many whole frames as fit into {@code out}; called when the connection can write. */
    void fill(Connection c, ByteBuffer out);

    /**
     * The connection closed: {@code cause} is null when this side closed it, else why (an {@link
     * AuthenticationException} or {@link ProtocolException} for a misbehaving peer).
     */
    void onClosed(Connection c, IOException cause);
  }

  private final IoLoop loop;
  private final SocketChannel socket;
  private final Handshake handshake;
  private final boolean dialer;

  /** What protects frames once open; none until the handshake agreed on it. */
  private FrameProtection protection = FrameProtection.none();

  private Listener listener;
  private SelectionKey selectionKey;
  private volatile State state;

  /**
   * Bytes read and not yet parsed; in write mode between reads. Until the handshake passed, just
   * large enough for a hello and a proof, so an unauthenticated peer costs a few hundred bytes.
   */
  private ByteBuffer in = ByteBuffer.allocate(HANDSHAKE_BUFFER);

  /** Bytes to write; in write mode (filled from position 0 up to position). */
  private ByteBuffer out = ByteBuffer.allocate(HANDSHAKE_BUFFER);

  /** Bytes of each buffer during the handshake: a hello and a proof. */
  static final int HANDSHAKE_BUFFER = Handshake.MAX_HELLO + Handshake.PROOF;

  /**
   * Buffer sizes. A connection starts small, which is all messages need; one that carries a stream
   * of large values (a read fills {@link #in}, the listener has more than {@link #out} holds) gets
   * {@link #BULK}-sized buffers, so a 1 MiB value goes in one write and comes in one or two reads
   * instead of going back to the selector for every 64 KiB, and a sender's value is copied out in
   * one go. A connection that carried no bulk for a tick goes back to small buffers, so direct
   * memory stays proportional to the connections that stream, not to all of them.
   */
  static final int SMALL_IN = 2 * MAX_FRAME;

  static final int SMALL_OUT = 4 * MAX_FRAME;
  static final int BULK = 16 * MAX_FRAME;

  /** Whether the connection streamed (in, out) since the last tick. */
  private boolean bulkIn;

  private boolean bulkOut; // guarded by outLock

  /**
   * The most bulk buffers may hold in one process: an eighth of the heap's limit (direct memory's
   * default limit is the heap's), at most 32 MiB, so 16 connections stream at once with bulk
   * buffers; past it, connections stream with small ones. Growing is an optimisation, never a
   * reason to run out of direct memory.
   */
  static final long BULK_BUDGET = Math.min(32L << 20, Runtime.getRuntime().maxMemory() / 8);

  /** Bytes of bulk buffers beyond the small ones, over all connections of this process. */
  private static final java.util.concurrent.atomic.AtomicLong BULK_HELD =
      new java.util.concurrent.atomic.AtomicLong();

  /** This connection's share of {@link #BULK_HELD}, given back when it closes. */
  private final java.util.concurrent.atomic.AtomicLong bulkHeld =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Small frames {@link #sendFrame} could not put into a full {@link #out}; they go out first when
   * it has room. Guarded by outLock.
   */
  private final java.util.ArrayDeque<byte[]> pendingFrames = new java.util.ArrayDeque<>();

  /**
   * Guards {@link #out} and writes to the socket: the loop thread writes, and so may a sending
   * thread that finds the connection idle ({@link #flushFromCaller}), which saves a round of thread
   * hand-offs per message.
   */
  private final java.util.concurrent.locks.ReentrantLock outLock =
      new java.util.concurrent.locks.ReentrantLock();

  private long lastRead;

  /** When connecting began; the handshake must be done within {@link #handshakeNanos}. */
  private long handshakeStarted;

  /** The handshake's bound: {@link #HANDSHAKE_NANOS}, or the silence limit when that is shorter. */
  private final long handshakeNanos;

  private final String handshakeText;

  private volatile long lastWrite;
  private IoLoop.Timer timer;

  /** When the listener last had its tick. */
  private long lastTick;

  /** The loop's silence limit and the heartbeat interval it implies, in nanoseconds. */
  private final long silenceNanos;

  private final long heartbeatNanos;

  /** The silence limit for messages, like "10 s". */
  private final String silenceText;

  /** Optional name for logs, set by the owner once it knows who the peer is. */
  private String name;

  private Connection(
      IoLoop loop, SocketChannel socket, Handshake handshake, boolean dialer, Listener listener) {
    this.loop = loop;
    this.socket = socket;
    this.handshake = handshake;
    this.dialer = dialer;
    this.listener = listener;
    SilenceLimit silence = loop.silence();
    this.silenceNanos = silence.nanos();
    this.heartbeatNanos = silence.heartbeatNanos();
    this.silenceText = silence.toString();
    // A silence limit below the handshake's own bound shortens it too: a remote out of reach is
    // then given up after two silence limits (a handshake, then re-dials for one more), not 20 s.
    this.handshakeNanos = Math.min(HANDSHAKE_NANOS, silenceNanos);
    this.handshakeText = handshakeNanos == HANDSHAKE_NANOS ? "10 s" : silenceText;
  }

  /**
   * Loop thread: dials {@code address} and runs {@code handshake} (a dialler's) on it. Failures
   * arrive as {@code onClosed}.
   */
  public static Connection dial(
      IoLoop loop, InetSocketAddress address, Handshake handshake, Listener listener) {
    SocketChannel socket;
    try {
      socket = SocketChannel.open();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot open a socket", e);
    }
    Connection c = new Connection(loop, socket, handshake, true, listener);
    c.name = address.toString();
    c.state = State.CONNECTING;
    try {
      socket.configureBlocking(false);
      socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
      if (socket.connect(address)) {
        c.selectionKey = loop.register(socket, SelectionKey.OP_READ, c);
        c.startHandshake();
      } else {
        c.selectionKey = loop.register(socket, SelectionKey.OP_CONNECT, c);
        c.armTimer();
      }
    } catch (IOException e) {
      loop.execute(() -> c.fail(e));
    }
    return c;
  }

  /** Loop thread: takes an accepted socket and runs {@code handshake} (an acceptor's) on it. */
  public static Connection accept(
      IoLoop loop, SocketChannel socket, Handshake handshake, Listener listener)
      throws IOException {
    socket.configureBlocking(false);
    socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
    Connection c = new Connection(loop, socket, handshake, false, listener);
    c.name = String.valueOf(socket.getRemoteAddress());
    c.selectionKey = loop.register(socket, SelectionKey.OP_READ, c);
    c.startHandshake();
    return c;
  }

  private void startHandshake() {
    state = State.HANDSHAKE;
    handshakeStarted = loop.now();
    outLock.lock();
    try {
      out.put(handshake.hello());
    } finally {
      outLock.unlock();
    }
    armTimer();
    writeOut();
  }

  private void armTimer() {
    lastRead = loop.now();
    if (handshakeStarted == 0) {
      handshakeStarted = lastRead; // connecting counts towards the limit too
    }
    lastWrite = lastRead;
    lastTick = lastRead;
    timer = loop.schedule(heartbeatNanos, this::onTimer);
  }

  /**
   * Loop timer, every heartbeat interval until closed: the handshake limit, the silence limit,
   * heartbeats and (once a second) the listener's tick, all judged at one {@code now}.
   */
  private void onTimer() {
    if (state == State.CLOSED) {
      return;
    }
    try {
      tick();
    } catch (OutOfMemoryError e) {
      fail(outOfMemory(e));
    }
  }

  private void tick() {
    long now = loop.now();
    // Re-armed first, from this tick's now, and cancelled by closeWith: a listener that throws
    // cannot end the silence checks, and a clock that moves during the tick (a stall, or a test
    // advancing its manual clock) cannot push the next check past what the clock reads.
    timer = loop.scheduleAt(now + heartbeatNanos, this::onTimer);
    if (state != State.OPEN) {
      if (now - handshakeStarted >= handshakeNanos) { // total, so a trickle cannot hold it
        fail(new HandshakeTimeoutException("it did not authenticate within " + handshakeText));
      }
      return;
    }
    if (now - lastRead >= silenceNanos) {
      fail(new IOException("the peer was silent for " + silenceText));
      return;
    }
    if (now - lastWrite >= heartbeatNanos && !outputShut && outLock.tryLock()) {
      try {
        if (out.position() == 0) {
          int record = beginRecord();
          Framing.putHeader(out, HEARTBEAT, 0);
          endRecord(record);
          writeOut();
        }
      } finally {
        outLock.unlock();
      }
    }
    if (now - lastTick < TICK_NANOS) {
      return;
    }
    lastTick = now;
    shrinkIdleBuffers();
    if (state == State.OPEN) {
      listener.onTick(this, now);
    }
  }

  /** Sets the listener (the owner may hand an authenticated connection to another). */
  public void listener(Listener l) {
    this.listener = l;
  }

  /** Loop thread: hands this open connection's frames to {@code l}, a protocol over transports. */
  @Override
  public void carry(Transport.Listener l) {
    listener(new Carried(l));
  }

  /** A {@link Transport.Listener} seen as this connection's listener. */
  private static final class Carried implements Listener {
    private final Transport.Listener l;

    Carried(Transport.Listener l) {
      this.l = l;
    }

    @Override
    public void onAuthenticated(Connection c) {
      // Carried connections are authenticated already.
    }

    @Override
    public void onFrame(Connection c, int type, ByteBuffer payload) throws IOException {
      l.onFrame(c, type, payload);
    }

    @Override
    public void onTick(Connection c, long now) {
      l.onTick(c, now);
    }

    @Override
    public void onReadRound(Connection c) {
      l.onReadRound(c);
    }

    @Override
    public void fill(Connection c, ByteBuffer out) {
      l.fill(c, out);
    }

    @Override
    public void onClosed(Connection c, IOException cause) {
      l.onClosed(c, cause);
    }
  }

  /** Sets a name for logs. */
  @Override
  public void name(String n) {
    this.name = n;
  }

  /** Returns the name for logs: the peer's address or pid. */
  public String name() {
    return name;
  }

  /** Returns whether this side dialled. */
  public boolean dialer() {
    return dialer;
  }

  /** Returns the state. */
  @Override
  public State state() {
    return state;
  }

  /** Returns the peer's address, or null. */
  @Override
  public SocketAddress remoteAddress() {
    try {
      return socket == null ? null : socket.getRemoteAddress();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void onReady(SelectionKey key) {
    try {
      if (key.isConnectable()) {
        socket.finishConnect();
        key.interestOps(SelectionKey.OP_READ);
        startHandshake();
        return;
      }
      if (key.isReadable()) {
        // A read that filled the buffer likely left more in the socket: read on (a few rounds, so
        // other connections get their turn) rather than go back to the selector for it.
        for (int round = 0; round < READ_ROUNDS && read() && state != State.CLOSED; round++) {}
      }
      if (state != State.CLOSED && key.isValid() && key.isWritable()) {
        flush();
      }
    } catch (IOException e) {
      fail(e);
    } catch (OutOfMemoryError e) {
      fail(outOfMemory(e)); // a buffer or a value of this connection: it goes, the loop stays
    }
  }

  /**
   * Loop thread: {@code onReady} threw {@code failure} (a bug, or the listener's); the connection
   * cannot be trusted to be whole and closes, so its channels see it lost.
   */
  @Override
  public void onFailure(SelectionKey key, Throwable failure) {
    fail(new IOException("it failed on the I/O thread: " + failure, failure));
  }

  /** Returns why a connection closes when memory for it ran out. */
  private static IOException outOfMemory(OutOfMemoryError e) {
    return new IOException("out of memory for this connection (" + e.getMessage() + ")", e);
  }

  /** Reads once and hands out the whole frames; returns whether the read filled the buffer. */
  private boolean read() throws IOException {
    int room = in.remaining();
    int n = socket.read(in);
    if (n < 0) {
      throw new EOFException("the peer closed the connection");
    }
    if (n == 0) {
      return false;
    }
    lastRead = loop.now();
    in.flip();
    try {
      if (state == State.HANDSHAKE) {
        handshake();
      }
      boolean frames = false;
      if (protection.tagged()) {
        while (state == State.OPEN && in.remaining() >= 4) {
          int length = in.getInt(in.position());
          if (length < 1 || length > MAX_RECORD) {
            throw new ProtocolException(
                "record length "
                    + Integer.toUnsignedString(length)
                    + " is outside 1.."
                    + MAX_RECORD);
          }
          if (in.remaining() < 4 + length + FrameProtection.TAG) {
            break;
          }
          int start = in.position() + 4;
          int end = start + length;
          protection.open(in, start, end);
          int limit = in.limit();
          in.limit(end).position(start);
          frames |= parseFrames();
          if (state == State.OPEN && in.hasRemaining()) {
            throw new ProtocolException("a frame crosses the end of its record");
          }
          in.limit(limit).position(end + FrameProtection.TAG);
        }
      } else {
        frames = parseFrames();
      }
      if (frames && state == State.OPEN) {
        listener.onReadRound(this);
      }
    } finally {
      in.compact();
    }
    if (n >= SMALL_IN / 2) {
      bulkIn = true; // a read a small buffer could barely hold: streaming
    }
    if (n == room) {
      if (in.capacity() < BULK) {
        in = bulk(in);
      }
      return true;
    }
    return false;
  }

  /**
   * Hands the whole frames in {@link #in} (read mode) to the listener, leaving a partial one;
   * returns whether any frame other than a heartbeat came.
   */
  private boolean parseFrames() throws IOException {
    boolean frames = false;
    while (state == State.OPEN && in.remaining() >= Framing.LENGTH) {
      int length = in.getInt(in.position());
      if (length < Framing.TYPE || length > MAX_FRAME) {
        throw new ProtocolException(
            "frame length " + Integer.toUnsignedString(length) + " is outside 1.." + MAX_FRAME);
      }
      if (in.remaining() < Framing.LENGTH + length) {
        break;
      }
      in.position(in.position() + Framing.LENGTH);
      int type = in.get() & 0xFF;
      int end = in.position() + length - 1;
      if (type != HEARTBEAT) {
        ByteBuffer payload = in.slice(in.position(), length - 1).asReadOnlyBuffer();
        listener.onFrame(this, type, payload);
        frames = true;
      }
      in.position(end);
    }
    return frames;
  }

  /**
   * Call only when holding outLock: starts a record in {@link #out} when frames are tagged, and
   * limits {@link #out} to what one record may hold; returns where it starts, or -1 when frames are
   * not tagged, or -2 when {@link #out} has no room for a record (nothing may be put then).
   */
  private int beginRecord() {
    if (!protection.tagged()) {
      return -1;
    }
    int start = out.position();
    if (out.capacity() - start < Framing.LENGTH + Framing.HEADER + FrameProtection.TAG) {
      out.limit(start); // full: nothing fits
      return -2;
    }
    out.position(start + 4);
    out.limit(Math.min(out.capacity() - FrameProtection.TAG, start + 4 + MAX_RECORD));
    return start;
  }

  /** Call only when holding outLock: seals the record {@link #beginRecord} started, if any. */
  private void endRecord(int start) {
    out.limit(out.capacity());
    if (start < 0) {
      return;
    }
    int end = out.position();
    if (end == start + 4) {
      out.position(start); // nothing was put: no empty record
      return;
    }
    out.putInt(start, end - start - 4);
    protection.seal(out, start + 4, end);
    out.position(end + FrameProtection.TAG);
  }

  /**
   * Returns a bulk buffer holding what {@code b} (write mode) holds, or {@code b} itself when the
   * process's {@link #BULK_BUDGET} or its direct memory has no room for one.
   */
  private ByteBuffer bulk(ByteBuffer b) {
    long extra = BULK - b.capacity();
    if (state != State.OPEN) {
      return b;
    }
    if (BULK_HELD.addAndGet(extra) > BULK_BUDGET) {
      BULK_HELD.addAndGet(-extra);
      return b;
    }
    ByteBuffer bigger;
    try {
      bigger = ByteBuffer.allocateDirect(BULK);
    } catch (OutOfMemoryError e) {
      BULK_HELD.addAndGet(-extra);
      return b;
    }
    bulkHeld.addAndGet(extra);
    b.flip();
    bigger.put(b);
    return bigger;
  }

  /** Returns a new small buffer of {@code capacity} in place of the empty bulk buffer {@code b}. */
  private ByteBuffer small(ByteBuffer b, int capacity) {
    long extra = b.capacity() - capacity;
    bulkHeld.addAndGet(-extra);
    BULK_HELD.addAndGet(-extra);
    return ByteBuffer.allocateDirect(capacity);
  }

  /**
   * Call only when holding outLock: the frames {@link #sendFrame} held back, then what the listener
   * has; a listener with more than a small buffer holds gets the bulk buffer, filled on.
   */
  private void fillOut() {
    if (!putPendingFrames()) {
      return; // they go first; the listener waits for the next round
    }
    fillRecords();
    if (out.position() > SMALL_OUT - MAX_FRAME) { // more than a small buffer holds
      bulkOut = true;
      if (out.capacity() < BULK) {
        out = bulk(out);
        fillRecords();
      }
    }
  }

  /**
   * Call only when holding outLock: lets the listener fill {@link #out}, in as many records as it
   * fills when frames are tagged.
   */
  private void fillRecords() {
    if (!protection.tagged()) {
      listener.fill(this, out);
      return;
    }
    while (true) {
      int record = beginRecord();
      if (record == -2) {
        endRecord(record);
        return;
      }
      int limit = out.limit();
      listener.fill(this, out);
      boolean empty = out.position() == record + 4;
      boolean stoppedForRoom = limit - out.position() < 4 + MAX_FRAME; // the next may not fit
      endRecord(record);
      if (empty || !stoppedForRoom) {
        return; // the listener had no more
      }
    }
  }

  /** Call only when holding outLock: puts held-back frames into out; returns whether all went. */
  private boolean putPendingFrames() {
    if (pendingFrames.isEmpty()) {
      return true;
    }
    int record = beginRecord();
    while (!pendingFrames.isEmpty() && out.remaining() >= pendingFrames.peek().length) {
      out.put(pendingFrames.poll());
    }
    endRecord(record);
    return pendingFrames.isEmpty();
  }

  /** Loop, on the tick: a connection that did not stream since the last goes back small. */
  private void shrinkIdleBuffers() {
    if (!bulkIn && in.capacity() > SMALL_IN && in.position() == 0) {
      in = small(in, SMALL_IN);
    }
    bulkIn = false;
    if (outLock.tryLock()) {
      try {
        if (!bulkOut && out.capacity() > SMALL_OUT && out.position() == 0) {
          out = small(out, SMALL_OUT);
        }
        bulkOut = false;
      } finally {
        outLock.unlock();
      }
    }
  }

  /** How many reads one readiness event may do on a busy connection. */
  static final int READ_ROUNDS = 4;

  private void handshake() throws IOException {
    while (!handshake.done() && in.remaining() >= handshake.needed()) {
      byte[] bytes = new byte[handshake.needed()];
      in.get(bytes);
      byte[] reply = handshake.receive(bytes);
      if (reply.length > 0) {
        outLock.lock();
        try {
          out.put(reply);
        } finally {
          outLock.unlock();
        }
        writeOut();
      }
    }
    if (!handshake.done()) {
      return;
    }
    protection = handshake.protection();
    // Authenticated: now the buffers that frames need. What the peer sent after its proof stays.
    ByteBuffer grown = ByteBuffer.allocateDirect(SMALL_IN); // direct: no hidden copy
    grown.put(in);
    grown.flip();
    in = grown;
    outLock.lock();
    try {
      ByteBuffer o = ByteBuffer.allocateDirect(SMALL_OUT);
      out.flip();
      o.put(out);
      out = o;
    } finally {
      outLock.unlock();
    }
    state = State.OPEN;
    listener.onAuthenticated(this);
  }

  /** Returns what protects this connection's frames; {@link FrameProtection#none} until open. */
  public FrameProtection protection() {
    return protection;
  }

  /** Loop thread: writes what the listener has to send. */
  @Override
  public void flush() {
    if (state != State.OPEN) {
      return;
    }
    outLock.lock();
    try {
      if (outputShut) {
        return;
      }
      fillOut();
      writeOut();
    } finally {
      outLock.unlock();
    }
  }

  /**
   * Any thread: writes what the listener has now, if the connection is open and nothing is pending,
   * without waiting for the lock. Returns whether it did; when it did not, the caller asks the loop
   * to. What the socket does not take is left to the loop; a failure is the loop's to handle.
   */
  @Override
  public boolean flushFromCaller() {
    if (state != State.OPEN || !outLock.tryLock()) {
      return false;
    }
    try {
      if (state != State.OPEN || out.position() != 0 || outputShut) {
        return false;
      }
      fillOut();
      if (out.position() == 0) {
        return true;
      }
      out.flip();
      // The time is taken before the write: a peer that has read these bytes must never see a
      // later lastWrite (a tick then would think the connection busy and skip its heartbeat).
      long writing = loop.now();
      socket.write(out);
      lastWrite = writing;
      out.compact();
      if (out.position() == 0) {
        fillOut(); // more than one buffer (a large value): the loop goes on
      }
      if (out.position() > 0) {
        loop.execute(this::writeOut); // the loop finishes it and watches for writability
      }
      return true;
    } catch (IOException e) {
      loop.execute(() -> fail(e));
      return true;
    } finally {
      outLock.unlock();
    }
  }

  private void writeOut() {
    outLock.lock();
    try {
      writeOutLocked();
    } finally {
      outLock.unlock();
    }
  }

  /** Call only when holding outLock. */
  private void writeOutLocked() {
    if (state == State.CLOSED || out.position() == 0 || outputShut) {
      return;
    }
    try {
      // Write, refill, write again while the socket takes everything and the listener has
      // more: a large value goes out at the socket's speed, not one buffer per wake-up.
      while (true) {
        out.flip();
        long writing = loop.now(); // before the write, as in flushFromCaller
        socket.write(out);
        lastWrite = writing;
        out.compact();
        if (state != State.OPEN || out.position() > 0) {
          break;
        }
        fillOut();
        if (out.position() == 0) {
          break;
        }
      }
      int ops = SelectionKey.OP_READ | (out.position() > 0 ? SelectionKey.OP_WRITE : 0);
      if (selectionKey.interestOps() != ops) {
        selectionKey.interestOps(ops);
      }
    } catch (IOException e) {
      fail(e);
    }
  }

  /**
   * Loop thread: writes one small frame now, ahead of anything the listener has (after what is
   * already in the buffer; if that is full, as soon as it has room). For the frames that decide who
   * owns a connection, before a listener with data takes it, and the answers that must never be
   * lost.
   */
  @Override
  public void sendFrame(int type, byte[] payload) {
    outLock.lock();
    try {
      if (state != State.OPEN || outputShut) {
        return;
      }
      pendingFrames.add(Framing.frame(type, payload));
      putPendingFrames();
      writeOutLocked();
    } finally {
      outLock.unlock();
    }
  }

  /** Loop thread: the bytes of buffer this connection holds now (for tests and diagnostics). */
  public int bufferBytes() {
    outLock.lock();
    try {
      return in.capacity() + out.capacity();
    } finally {
      outLock.unlock();
    }
  }

  /**
   * Loop thread: when the last byte came (a heartbeat, a frame or a part of one), on the loop's
   * clock; the channels watch it to re-dial a connection that stalled.
   */
  public long lastRead() {
    return lastRead;
  }

  /** Returns whether everything handed to the socket was written. */
  @Override
  public boolean drained() {
    outLock.lock();
    try {
      return out.position() == 0;
    } finally {
      outLock.unlock();
    }
  }

  /**
   * Whether this side ended its writing ({@link #closeAfterRemote}); written under outLock on the
   * loop. Nothing is written after (no heartbeats either); reads go on until the remote's end.
   */
  private boolean outputShut;

  /**
   * Loop thread: a close that sends a FIN, not a reset. A socket closed with bytes of the remote's
   * unread (a heartbeat that came meanwhile) makes the kernel answer with a reset, and the remote's
   * next write then fails before it read the last frame we sent (measured: "Broken pipe" for an
   * asker's heartbeat written after our IDLE_OK; its channels then ended LOST). So: shut our output
   * once everything written went out, read on until the remote closes (the end of stream closes
   * this side, {@code onClosed} with that end), and close anyway after {@code boundNanos}. Closes
   * at once when output is still pending.
   */
  @Override
  public void closeAfterRemote(long boundNanos) {
    outLock.lock();
    try {
      if (state != State.OPEN || outputShut) {
        return;
      }
      if (out.position() == 0 && pendingFrames.isEmpty()) {
        socket.shutdownOutput();
        outputShut = true;
      }
    } catch (IOException e) {
      // Not shut: closed below.
    } finally {
      outLock.unlock();
    }
    if (!outputShut) {
      close();
      return;
    }
    loop.schedule(boundNanos, this::close);
  }

  /** Loop thread: closes the connection; the listener hears {@code onClosed(null)}. */
  @Override
  public void close() {
    closeWith(null);
  }

  private void fail(IOException cause) {
    closeWith(cause);
  }

  private void closeWith(IOException cause) {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    BULK_HELD.addAndGet(-bulkHeld.getAndSet(0));
    if (timer != null) {
      timer.cancel();
    }
    try {
      if (selectionKey != null) {
        selectionKey.cancel();
      }
      if (socket != null) {
        socket.close();
      }
    } catch (IOException ignored) {
      // Closing.
    }
    listener.onClosed(this, cause);
  }

  @Override
  public String toString() {
    return "connection " + (dialer ? "to " : "from ") + name + " (" + state + ")";
  }
}
