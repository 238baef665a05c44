package dev.deploy.io;

import dev.deploy.wire.ProtocolException;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Frames between two processes on one machine through shared memory ({@link ShmFile}: a ring each
 * way), beside the TCP {@link Connection} they authenticated on. The connection stays for what the
 * kernel does best: heartbeats and silence, the end of a process (a SIGKILLed remote's socket
 * closes, so its channels are {@code LOST} as fast as over TCP), and wake-ups: a producer that
 * publishes while nobody of the consumer's process looks rings a {@link #DOORBELL} (a 5-byte frame)
 * on it, and so does a consumer that frees room a waiting producer asked for. Every channel frame
 * goes through the rings, in order, so the protocol above sees one ordered stream each way, as on
 * TCP.
 *
 * <p>Threading. Writes: under {@link #outLock}, by the loop ({@link #flush}, {@link #sendFrame}) or
 * by a sending thread ({@link #flushFromCaller}). Reads: under {@link #inLock}, by the loop when a
 * doorbell rings (and once a second, so a lost wake-up costs at most a second), or by a receiving
 * thread that spins ({@link #poll}); frames are handed over in order, one thread at a time. The
 * connection, closing and {@code onClosed} are the loop's.
 *
 * <p>Unmapping. The rings are touched only under {@link #inLock} (the ring read) or {@link
 * #outLock} (the ring written), and only while {@link #closed} is false as seen under that lock;
 * {@link #release} sets it under both locks and then unmaps, so no thread touches a ring after. A
 * closed transport releases its file at once (on the loop, after {@code onClosed}), so a closed
 * pair holds no {@code /dev/shm} memory and leaves no unmapping to the garbage collector (see
 * {@link ShmFile}).
 */
public final class ShmTransport implements Transport, Connection.Listener {
  /** On the connection: look at the rings. No payload. Outside the channel's frame types. */
  public static final int DOORBELL = 64;

  private final IoLoop loop;
  private final Connection connection;
  private final ShmFile file;

  /** The ring this side writes; guarded by outLock. */
  private final ShmRing out;

  /** The ring this side reads; guarded by inLock. */
  private final ShmRing in;

  /**
   * Guards the ring written: the listener's own lock when it lends one (see the constructor), so a
   * sending thread that holds it writes through without a second lock.
   */
  private final ReentrantLock outLock;

  private final ReentrantLock inLock = new ReentrantLock();

  /** Frames {@link #sendFrame} could not put into a full ring yet; guarded by outLock. */
  private final ArrayDeque<byte[]> pendingFrames = new ArrayDeque<>();

  /** Whether a DOORBELL is to go out on the connection (taken by its fill). */
  private final AtomicBoolean doorbellDue = new AtomicBoolean();

  /** Set when the rings broke the protocol off the loop; the loop closes with it. */
  private volatile IOException failure;

  private volatile boolean closed;
  private volatile Transport.Listener listener;

  /** Takes over {@code connection} (authenticated, open) with the rings of {@code file}. */
  public ShmTransport(IoLoop loop, Connection connection, ShmFile file, boolean dialer) {
    this(loop, connection, file, dialer, new ReentrantLock());
  }

  /**
   * Takes over {@code connection} with the rings of {@code file}, writing under {@code writeLock}:
   * the lock the listener's {@code fill} takes anyway. A sender that holds it then writes its value
   * into the ring under one lock instead of two (measured: each lock's acquire and release is a
   * fence on a stream of small values' path, docs/benchmarks.md). The listener must not wait for
   * {@link #inLock} while holding it (reads take the two the other way round); {@code fill} runs
   * with it held.
   */
  public ShmTransport(
      IoLoop loop, Connection connection, ShmFile file, boolean dialer, ReentrantLock writeLock) {
    this.loop = loop;
    this.connection = connection;
    this.file = file;
    this.out = file.out(dialer);
    this.in = file.in(dialer);
    this.outLock = writeLock;
  }

  /** Returns the TCP connection beside the rings (for tests and diagnostics). */
  public Connection connection() {
    return connection;
  }

  @Override
  public Connection.State state() {
    return closed ? Connection.State.CLOSED : connection.state();
  }

  /** Loop thread. */
  @Override
  public void carry(Transport.Listener l) {
    this.listener = l;
    connection.listener(this);
    loop.execute(this::wake); // frames may have come before we listened
  }

  @Override
  public void name(String name) {
    connection.name(name);
  }

  @Override
  public SocketAddress remoteAddress() {
    return connection.remoteAddress();
  }

  // ------------------------------------------------------------------------------- writing

  @Override
  public void flush() {
    if (closed) {
      return;
    }
    outLock.lock();
    try {
      writeOut();
    } finally {
      outLock.unlock();
    }
  }

  /**
   * A write into memory costs no system call: a sender always writes through (see ChannelTable).
   */
  @Override
  public boolean flushFromCaller() {
    if (closed || !outLock.tryLock()) {
      return false;
    }
    try {
      writeOut();
      return true;
    } finally {
      outLock.unlock();
    }
  }

  @Override
  public boolean writesThrough() {
    return true;
  }

  @Override
  public void sendFrame(int type, byte[] payload) {
    if (closed) {
      return;
    }
    outLock.lock();
    try {
      pendingFrames.add(Framing.frame(type, payload));
      writeOut();
    } finally {
      outLock.unlock();
    }
  }

  /**
   * Call only when holding outLock: puts held-back frames, then whatever the listener has, into the
   * ring until it has nothing more or the ring no room; rings the remote when it sleeps.
   */
  private void writeOut() {
    assert outLock.isHeldByCurrentThread();
    if (closed || outputShut) {
      return; // released, or about to be; or ending
    }
    Transport.Listener l = listener;
    boolean wake = false;
    while (true) {
      ByteBuffer room = out.claimView();
      int start = room.position();
      if (!pendingFrames.isEmpty()) {
        while (!pendingFrames.isEmpty() && room.remaining() >= pendingFrames.peek().length) {
          room.put(pendingFrames.poll());
        }
      }
      if (pendingFrames.isEmpty() && l != null) {
        l.fill(this, room);
      }
      int written = room.position() - start;
      if (written > 0) {
        wake |= out.commit(written);
        if (pendingFrames.isEmpty() && room.remaining() >= Framing.size(Framing.MAX_FRAME)) {
          break; // a frame of any size would have fitted too: the listener has nothing more
        }
        continue;
      }
      boolean more = !pendingFrames.isEmpty() || room.remaining() < Framing.size(Framing.MAX_FRAME);
      if (!more) {
        break; // a frame of any size would have fitted: the listener has nothing
      }
      if (out.endsAtEnd() && out.wrap()) {
        wake |= out.commit(0);
        continue;
      }
      if (out.awaitRoom()) {
        continue;
      }
      break; // the consumer rings when it frees room
    }
    if (wake) {
      ring();
    }
  }

  /**
   * A doorbell rung within this long of the one before goes out through the loop rather than from
   * the caller's thread: back-to-back sends to a sleeping consumer then pay no system call each,
   * and the consumer, woken a little later, finds more frames per wake-up. An isolated send still
   * rings at once from its own thread (as on TCP, where sends closer than 10 us are left to the
   * loop). Measured: a stream of {@code Long}s spent a third of its sender's time in the doorbell's
   * {@code write} before (docs/benchmarks.md).
   */
  static final long RING_THROUGH_GAP_NANOS = 20_000;

  /** When the caller's thread last rang; written under outLock or inLock, racy reads are fine. */
  private volatile long lastRing;

  /** Whether a ring is queued on the loop (so a stream queues one command, not one per wake). */
  private final AtomicBoolean ringQueued = new AtomicBoolean();

  /** Any thread: has the remote look at the rings (a DOORBELL on the connection). */
  private void ring() {
    doorbellDue.set(true);
    if (loop.inLoop()) {
      connection.flush();
      return;
    }
    long now = System.nanoTime();
    if (now - lastRing >= RING_THROUGH_GAP_NANOS && connection.flushFromCaller()) {
      lastRing = now;
      return;
    }
    if (ringQueued.compareAndSet(false, true)) {
      loop.execute(
          () -> {
            ringQueued.set(false);
            connection.flush();
          });
    }
  }

  @Override
  public boolean drained() {
    outLock.lock();
    try {
      return pendingFrames.isEmpty() && connection.drained();
    } finally {
      outLock.unlock();
    }
  }

  // ------------------------------------------------------------------------------- reading

  @Override
  public boolean poll() {
    if (closed || !inLock.tryLock()) {
      return false;
    }
    try {
      return readIn() > 0;
    } finally {
      inLock.unlock();
    }
  }

  @Override
  public boolean spinning() {
    inLock.lock();
    try {
      if (closed) {
        return false;
      }
      in.awake();
      return true;
    } finally {
      inLock.unlock();
    }
  }

  @Override
  public void parking() {
    inLock.lock();
    try {
      while (!closed && in.arm()) {
        readIn();
      }
    } finally {
      inLock.unlock();
    }
  }

  /**
   * Call only when holding inLock: hands every frame in the ring to the listener; returns how many.
   * A broken ring closes the transport (on the loop).
   */
  private int readIn() {
    assert inLock.isHeldByCurrentThread();
    Transport.Listener l = listener;
    if (l == null || failure != null || closed) {
      return 0;
    }
    int n;
    try {
      n = in.read((type, payload) -> l.onFrame(this, type, payload));
    } catch (IOException | RuntimeException e) {
      IOException cause = e instanceof IOException io ? io : new ProtocolException(e.toString());
      failure = cause;
      loop.execute(connection::close);
      return 0;
    }
    if ((n & ShmRing.WAKE_PRODUCER) != 0) {
      ring(); // the remote waits for the room we just made
    }
    int frames = n & ~ShmRing.WAKE_PRODUCER;
    if (frames > 0) {
      l.onReadRound(this);
    }
    return frames;
  }

  /** Loop: a doorbell rang (or a tick): read what came, write what waits for room, then sleep. */
  private void wake() {
    if (closed) {
      return;
    }
    inLock.lock();
    try {
      readIn();
      while (!closed && in.arm()) {
        readIn();
      }
    } finally {
      inLock.unlock();
    }
    flush();
  }

  /**
   * Any thread: closes the rings for good and unmaps the file (idempotent). Takes the locks in the
   * order a read that answers takes them (input, then output).
   */
  public void release() {
    inLock.lock();
    try {
      closed = true;
      outLock.lock();
      try {
        pendingFrames.clear();
        file.release();
      } finally {
        outLock.unlock();
      }
    } finally {
      inLock.unlock();
    }
  }

  // ------------------------------------------------------------------ the connection's listener

  @Override
  public void onAuthenticated(Connection c) {
    // Taken over once authenticated.
  }

  @Override
  public void onFrame(Connection c, int type, ByteBuffer payload) throws IOException {
    if (type != DOORBELL || payload.hasRemaining()) {
      throw new ProtocolException(
          "frame type " + type + " on a connection whose frames go through shared memory");
    }
    wake();
  }

  @Override
  public void onTick(Connection c, long now) {
    wake(); // a safety net: a wake-up lost to a bug costs a second, not a hang
    Transport.Listener l = listener;
    if (l != null && !closed) {
      l.onTick(this, now);
    }
  }

  @Override
  public void onReadRound(Connection c) {}

  @Override
  public void fill(Connection c, ByteBuffer buffer) {
    if (buffer.remaining() >= Framing.HEADER && doorbellDue.getAndSet(false)) {
      Framing.putHeader(buffer, DOORBELL, 0);
    }
  }

  /** Loop: the connection ended; the frames the remote put in the ring before are handed over. */
  @Override
  public void onClosed(Connection c, IOException cause) {
    inLock.lock();
    try {
      readIn(); // e.g. the GOODBYE of a remote that exited right after writing it
      closed = true;
    } finally {
      inLock.unlock();
    }
    file.unlink();
    IOException why = failure != null ? failure : cause;
    Transport.Listener l = listener;
    if (l != null) {
      l.onClosed(this, why);
    }
    // Off this call: the closer may hold locks of its own (a channel closing its idle transport).
    loop.execute(this::release);
  }

  @Override
  public void close() {
    connection.close();
  }

  /**
   * Nothing more goes into the ring (so the listener's books, which count what it wrote, never
   * count a frame the remote will not read); the connection ends its writing once the frames
   * before, and their doorbell, went out, and closes on the remote's end. Closes at once when a
   * frame still waits for room in the ring.
   */
  @Override
  public void closeAfterRemote(long boundNanos) {
    boolean waiting;
    outLock.lock();
    try {
      outputShut = true;
      waiting = !pendingFrames.isEmpty();
    } finally {
      outLock.unlock();
    }
    if (waiting) {
      connection.close();
    } else {
      connection.closeAfterRemote(boundNanos);
    }
  }

  /**
   * Set by {@link #closeAfterRemote}: nothing more is written into the ring; guarded by outLock.
   */
  private boolean outputShut;

  @Override
  public String toString() {
    return "shared memory beside " + connection;
  }
}
