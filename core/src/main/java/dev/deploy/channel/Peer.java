package dev.deploy.channel;

import dev.deploy.ChannelException;
import dev.deploy.ChannelException.Reason;
import dev.deploy.Pid;
import dev.deploy.io.Connection;
import dev.deploy.io.Transport;
import dev.deploy.wire.ProtocolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Everything this process has with one remote process: the values it sent us (waiting for our
 * {@code Receiver}, bounded by the credit we grant), the values we send it (bounded by the credit
 * it grants), acknowledgements, the remote's fate, and the {@link Transport} that carries both
 * directions (a TCP connection, or shared memory beside one). The channel protocol is written here
 * once, over whichever transport: it never knows which one it has.
 *
 * <p>Threading. User threads and the I/O loop share the state under {@link #lock} (methods that say
 * "call only when holding lock" assert it). Frames arrive on one thread at a time: the loop, or a
 * receiving thread polling a shared-memory transport ({@link Transport#poll}); the state that only
 * the arriving side touches (the value being assembled, bytes received) is marked "arrival only".
 * Frames leave through {@link #fill}, under the lock, on the loop or a sending thread that writes
 * through. The idle close, timers and dialling are loop-thread only. User threads wait on {@link
 * #changed}, which is signalled on every arrival, credit, acknowledgement and change of fate;
 * select and asynchronous operations register {@link #waiters} instead.
 */
final class Peer implements Transport.Listener {
  /**
   * Bytes of values a receiver holds for a sender before it must wait for credit, at first and
   * whenever the reader falls behind.
   */
  static final int WINDOW = 256 << 10;

  /**
   * The most a receiver's window grows to while its reader keeps up with a stream of large values:
   * a credit round trip then hides behind the data in flight instead of stalling the sender (at 256
   * KiB a stream of 1 MiB values spent a third of its time waiting for credit).
   */
  static final int MAX_WINDOW = 4 << 20;

  /** The largest value, so a broken peer cannot make us assemble an endless one. */
  static final int MAX_VALUE = Integer.MAX_VALUE - 64;

  /**
   * Marks the end of a remote Sender's incarnation in the queues (a Sender closed). Outbound, only
   * {@code receivers} counts: how many of the remote's Receiver openings this side had heard of
   * when its Sender closed. Inbound, {@code incarnation} numbers the remote's Sender (1, 2, ...:
   * the ENDs before it plus one) whose end it marks.
   */
  record End(long incarnation, long receivers) {}

  /**
   * A {@code byte[]} value carried as is: no codec on either side, and the receiver's assembled
   * array is the value itself. In the queues a value is either this or the codec's bytes.
   */
  record Raw(byte[] bytes) {}

  /** The smallest {@code byte[]} a blocking send lends instead of copying. */
  static final int LEND_MIN = Frames.CHUNK;

  /**
   * A large {@code byte[]} value of a blocking send on an open connection, carried as is without
   * the sender's copy: the caller's own array, lent until the loop has copied all of it into the
   * connection's buffer; {@link #send} returns then (or copies it after {@link #LEND_NANOS}), so
   * the caller may reuse its array as with any send. Saves a copy (and an allocation) of every
   * large value on the sending side.
   */
  static final class Loan {
    /** The array being lent; replaced by a copy if the sender must leave before it is returned. */
    byte[] bytes; // guarded by lock

    /** True once nothing will read the caller's array any more. */
    boolean returned; // guarded by lock

    /**
     * True once a TCP connection started writing it: the value is kept until acknowledged (a
     * resumed connection may have to send it again), so the sender copies it at once rather than
     * wait for the write to end.
     */
    boolean kept; // guarded by lock

    Loan(byte[] bytes) {
      this.bytes = bytes;
    }
  }

  /** Returns the bytes a queued value takes on the wire and in the window. */
  static int size(Object value) {
    if (value instanceof Raw r) {
      return r.bytes().length;
    }
    if (value instanceof Loan l) {
      return l.bytes.length;
    }
    return ((byte[]) value).length;
  }

  final Pid pid;
  private final ChannelTable table;
  final ReentrantLock lock = new ReentrantLock();

  /** Signalled whenever any state below changes. */
  final Condition changed = lock.newCondition();

  // --- inbound: guarded by lock ---
  /**
   * Values (byte[] or Raw) and {@link End}s received and not yet taken by a Receiver. Its head is
   * never an End that the open Receiver (or, with none open, any later one) would skip: see {@link
   * #skipEnds}.
   */
  private final ArrayDeque<Object> inbound = new ArrayDeque<>();

  /**
   * Bytes taken from inbound since the last CREDIT went out, less what a shrinking window withholds
   * (then negative until repaid).
   */
  private long freed;

  /** Bytes of values in inbound. */
  private long inboundBytes;

  /** The window this side grants the remote now: {@link #WINDOW} to {@link #MAX_WINDOW}. */
  private long window = WINDOW;

  /** Values and ENDs received, for ACK. */
  private long received;

  /** The open Receiver, or null. */
  ReceiveEnd receiver;

  /** True once the open Receiver took its END: it only throws EXITED from then on. */
  private boolean receiverEnded;

  // --- incarnations (the lifetime rule, docs/channels.md): guarded by lock ---
  /** The remote Sender incarnation of the next value or END to arrive: ENDs arrived plus one. */
  private long arriving = 1;

  /** The remote Sender incarnation of the values at the head of inbound. */
  private long head = 1;

  /** The highest incarnation any of our Receivers took (or, closing, dropped) a value of. */
  private long claimed;

  /** The incarnation the open Receiver last took a value of; 0 before its first value. */
  private long receiverTook;

  /** Receivers opened to the remote so far; the open one's number is this. */
  private long receivers;

  /** The count of {@link #receivers} the remote was last told ({@link Frames#RECEIVER}). */
  private long receiversAnnounced;

  /** The remote's count of its Receivers opened to us, from its last RECEIVER frame. */
  private long remoteReceivers;

  // --- outbound: guarded by lock ---
  /** Values (byte[] or Raw) and END markers accepted by send and not yet taken by the loop. */
  private final ArrayDeque<Object> outbound = new ArrayDeque<>();

  /** Bytes we may still send before the remote grants more; may go negative by one value. */
  private long credit = WINDOW;

  /** Values and ENDs accepted by send. */
  private long sent;

  /** Values and ENDs the remote acknowledged. */
  private long acked;

  /** The open Sender, or null. */
  SendEnd sender;

  // --- resume of a stalled TCP connection (docs/channels.md): guarded by lock ---
  /**
   * Values (byte[], Raw or Loan) and END markers a TCP connection took from outbound and the remote
   * has not acknowledged, oldest first: a resumed connection sends them again. Bounded by the
   * remote's window, plus one value.
   */
  private final ArrayDeque<Object> unacked = new ArrayDeque<>();

  /** The number (counting as {@link #sent} does, from 0) of the first of {@link #unacked}. */
  private long unackedFrom;

  /** Bytes of credit the remote's CREDIT frames granted in all; its books may say more. */
  private long grantsSeen;

  /**
   * True on the side that accepted a resumed connection, from its switch to it until the dialler's
   * books arrive on it: nothing is written meanwhile (the dialler's books say where to start).
   */
  private boolean awaitingBooks;

  // --- fate: guarded by lock ---
  /** Null while the remote may be alive; then how it went away. Never changes once set. */
  private Reason fate;

  /** Callbacks of select and async operations, run (off the lock) on any change. */
  private final List<Runnable> waiters = new ArrayList<>();

  // --- written by the loop thread only ---
  /** The transport carrying this pair's frames once accepted, or null. */
  volatile Transport transport;

  /**
   * Connections that carried the pair before a resume this side accepted: kept open (their frames
   * ignored, nothing written on them) until the dialler's books show it switched too, so it never
   * sees the connection it still uses end under it. Loop thread only.
   */
  private final List<Transport> retired = new ArrayList<>();

  /** Re-dials of a stalled connection under way (see ChannelTable.checkStall). Loop thread only. */
  final List<Connection> resuming = new ArrayList<>();

  /** When this side last started a re-dial, on the loop's clock. Loop thread only. */
  long lastResumeDial;

  /** The connection this side is dialling, or null. */
  Connection dialing;

  // --- the value being written: guarded by lock (fill runs on the loop, or on a sending thread
  // that writes through; a sender whose lent array is not back in time swaps in its copy) ---
  /** The value being written in chunks, and how much of it is written. */
  private byte[] writing;

  /** Whether {@link #writing} is a Raw value. */
  private boolean writingRaw;

  /** The loan {@link #writing} belongs to, or null; returned when its last chunk is copied. */
  private Loan lent;

  private int writingOffset;

  // --- arrival only (see the class comment) ---
  /** The value being assembled from chunks, or null; {@code assembled} bytes of it are in. */
  private byte[] assembling;

  /** Whether {@link #assembling} is a Raw value. */
  private boolean assemblingRaw;

  private int assembled;

  /**
   * Bytes of credit this side ever granted the remote in CREDIT frames (guarded by lock: fill may
   * run on a sending thread), and bytes of values it ever sent us (loop thread only). {@code WINDOW
   * + granted - receivedBytes} is at least the credit the remote's sender sees, so a value that
   * starts when it is not positive broke the protocol. {@code receivedBytes}: arrival only.
   */
  private long granted;

  private long receivedBytes;

  /**
   * {@link #granted} as last read under lock (arrival only). It only grows, so a stale copy only
   * understates the remote's credit: a value that seems to break it is checked again under lock.
   * Saves the lock per arriving value.
   */
  private long grantedSeen;

  /**
   * Values that arrived in this read round and are not handed over yet (arrival only): one lock and
   * one signal per round (or per {@link #ARRIVAL_BATCH} values) instead of per value. Handed over
   * before any other frame is handled, at the end of the round and when the transport closes, so
   * the order of values and ENDs and fates is the order of the frames.
   */
  private final ArrayList<Object> arrivedBatch = new ArrayList<>();

  /** At most this many values wait in {@link #arrivedBatch}. */
  static final int ARRIVAL_BATCH = 256;

  /** ACKs sent. */
  private long ackSent;

  /** Whether GOODBYE is to be sent once everything before it is written; then sent. */
  private volatile boolean goodbyeDue;

  volatile boolean goodbyeSent;

  /** True once the remote said GOODBYE. */
  private boolean goodbyeReceived;

  /** A connection nobody used for this long is closed by agreement (IDLE, IDLE_OK). */
  static final long IDLE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

  /**
   * When a frame other than a heartbeat last went either way, on the loop's clock. DATA frames do
   * not read the clock: they count in {@link #dataIn} and {@link #dataOut}, which the loop's tick
   * compares with what it saw last (a clock read and a volatile store per value showed in the
   * profiles of a stream of small values; the idle close, seconds away, loses at most a tick).
   */
  private volatile long lastActivity;

  /** DATA frames read, arrival only (plain stores; the tick reads it racily, opaque). */
  private long dataIn;

  /** DATA frames written, guarded by lock (the tick reads it racily, opaque). */
  private long dataOut;

  /** {@link #dataIn} plus {@link #dataOut} at the last tick; loop thread only. */
  private long dataSeen;

  private static final java.lang.invoke.VarHandle DATA_IN;
  private static final java.lang.invoke.VarHandle DATA_OUT;

  static {
    try {
      java.lang.invoke.MethodHandles.Lookup l = java.lang.invoke.MethodHandles.lookup();
      DATA_IN = l.findVarHandle(Peer.class, "dataIn", long.class);
      DATA_OUT = l.findVarHandle(Peer.class, "dataOut", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * True from the moment this side asked to close the idle connection (IDLE) or agreed to (IDLE_OK)
   * until the remote says no or the connection is closed: no data is written meanwhile. Set under
   * lock together with the check that the pair is idle, so a send that comes after the check stays
   * queued for the next connection instead of going out on the closing one.
   */
  private volatile boolean idleAsked;

  /** True once both sides agreed to close: the end of the connection is not a death. */
  private boolean idleClosed;

  /** When a user thread last queued a value, in nanoTime; see ChannelTable.flushOrSchedule. */
  volatile long lastSend;

  /** Coalesces flush requests from user threads into one loop command. */
  final AtomicBoolean flushScheduled = new AtomicBoolean();

  Peer(Pid pid, ChannelTable table) {
    this.pid = pid;
    this.table = table;
    this.counts = table.counters.cell();
  }

  /** This pair's share of the table's counters; written under lock. */
  private final ChannelCounters.Cell counts;

  // ===================== user threads =====================

  /**
   * Accepts {@code bytes} for sending; blocks while the credit left plus the value's own size is
   * not positive. Small values thus wait when the window is spent; a value larger than the window
   * may start while the one before it is still being consumed, so big values pipeline, and the
   * receiver holds at most the window plus two values.
   */
  void send(Object bytes, SendEnd end) throws ChannelException, InterruptedException {
    boolean written;
    lock.lock();
    try {
      while (fate == null && credit + size(bytes) <= 0 && sender == end) {
        changed.await();
      }
      checkSender(end);
      if (fate != null) {
        throw new ChannelException(pid, fate);
      }
      enqueue(bytes);
      written = writeThrough();
    } finally {
      lock.unlock();
    }
    if (!written) {
      table.flushOrSchedule(this);
    }
    if (bytes instanceof Loan loan) {
      awaitReturn(loan);
    }
  }

  /** How long a send waits for its lent array to be copied out before it copies it itself. */
  static final long LEND_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10);

  /**
   * Returns whether a large array sent now would be copied out at once: the connection is open and
   * not pausing its data. Else a send copies the array as any value, rather than wait for a dial.
   */
  boolean lendable() {
    Transport c = transport;
    return c != null && c.state() == Connection.State.OPEN && !idleAsked;
  }

  /**
   * Waits until the loop has copied all of a lent array, for {@link #LEND_NANOS} at most. The value
   * is accepted already, so when the time is up, the remote is gone (the loop may still be reading
   * the array) or the thread is interrupted, the array is copied here and the loop goes on from the
   * copy; the interrupt is left set for the caller's next blocking call. Either way the caller has
   * its array back when this returns.
   */
  private void awaitReturn(Loan loan) {
    boolean interrupted = false;
    long deadline = System.nanoTime() + LEND_NANOS;
    lock.lock();
    try {
      while (!loan.returned && !loan.kept && fate == null && !interrupted) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          changed.awaitNanos(left);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (loan.returned) {
        return;
      }
    } finally {
      lock.unlock();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    // Copied off the lock: the loop only reads the array, and only this thread writes it.
    byte[] copy;
    try {
      copy = loan.bytes.clone();
    } catch (OutOfMemoryError e) {
      // No room for a copy: the array stays lent until the loop is done with it.
      lock.lock();
      try {
        while (!loan.returned && fate == null) {
          changed.awaitUninterruptibly();
        }
      } finally {
        lock.unlock();
      }
      return;
    }
    lock.lock();
    try {
      if (!loan.returned) {
        if (writing == loan.bytes) {
          writing = copy; // the loop goes on from writingOffset in the copy
        }
        loan.bytes = copy;
        loan.returned = true;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Accepts {@code bytes} only if it can without waiting; returns whether it did. */
  boolean trySend(Object bytes, SendEnd end) throws ChannelException {
    boolean written;
    lock.lock();
    try {
      checkSender(end);
      if (fate != null) {
        throw new ChannelException(pid, fate);
      }
      if (credit + size(bytes) <= 0) {
        return false;
      }
      enqueue(bytes);
      written = writeThrough();
    } finally {
      lock.unlock();
    }
    if (!written) {
      table.flushOrSchedule(this);
    }
    return true;
  }

  /**
   * Call only when holding lock, after queueing a value: when that value is small and alone in the
   * outbox, over a transport that writes through (shared memory), writes it now, still under the
   * lock, so it goes into the ring with the one lock its send took (the transport's {@link #fill}
   * takes it again, held) instead of a second one. Returns whether nothing is left queued; else the
   * caller flushes as before. Safe under the lock: the transport only tries its own lock, and the
   * loop, which takes the two the other way round, waits for neither. Large values keep the old
   * path, so no long copy runs under the lock.
   */
  private boolean writeThrough() {
    assert lock.isHeldByCurrentThread();
    Transport c = transport;
    return c != null
        && writing == null
        && outbound.size() == 1
        && !(outbound.peek() instanceof End)
        && size(outbound.peek()) < Frames.CHUNK
        && c.writesThrough()
        && c.flushFromCaller()
        && outbound.isEmpty()
        && writing == null;
  }

  /** Returns whether a send would not wait now (it may throw: a failed channel is ready). */
  boolean sendReady() {
    lock.lock();
    try {
      return fate != null || credit > 0;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Call only when holding lock. A send that waited for credit while its Sender was closed must not
   * put its value into the next Sender's stream.
   */
  private void checkSender(SendEnd end) {
    assert lock.isHeldByCurrentThread();
    if (sender != end) {
      throw new IllegalStateException("Sender to " + pid + " is closed");
    }
  }

  /** Call only when holding lock. */
  private void enqueue(Object bytes) {
    assert lock.isHeldByCurrentThread();
    credit -= size(bytes);
    outbound.add(bytes);
    sent++;
    counts.sent(size(bytes));
  }

  /** Ends the current sender's epoch: the remote's Receiver sees EXITED after what came before. */
  void closeSender() {
    List<Runnable> w;
    lock.lock();
    try {
      sender = null;
      if (fate == null) {
        outbound.add(new End(0, remoteReceivers));
        sent++;
      }
      w = signal(); // a send waiting for credit must see its Sender closed
    } finally {
      lock.unlock();
    }
    runWaiters(w);
    table.scheduleFlush(this);
  }

  /**
   * Takes the next value for the open Receiver, waiting until {@code deadlineNanos} ({@code
   * Long.MAX_VALUE}: forever). Returns null on timeout.
   *
   * @throws ChannelException EXITED after the sender's END or the remote's exit, LOST after its
   *     death; values that arrived before are returned first. EXITED saying so when {@code end},
   *     the Receiver this take is for, was closed meanwhile (a take never takes a later Receiver's
   *     value)
   */
  Object take(long deadlineNanos, ReceiveEnd end) throws ChannelException, InterruptedException {
    boolean spun = false;
    boolean parked = false;
    takes.lazySet(takes.get() + 1); // racy between receiving threads: only "someone came back"
    lock.lock();
    try {
      while (true) {
        Object value = poll(end);
        if (value != null) {
          if (parked && !spun) {
            Transport t = transport;
            if (t != null && t.writesThrough()) {
              spinning.woke(); // woken by an arrival after a wait that did not spin
            }
          }
          return value;
        }
        if (deadlineNanos == 0) {
          return null;
        }
        Transport t = transport;
        if (!spun && spinning.spinNow(t != null && t.writesThrough())) {
          spun = true;
          long seen = arrivals;
          long spinFor = spinning.spinNanos();
          lock.unlock();
          try {
            spin(seen, deadlineNanos, spinFor);
          } finally {
            lock.lock();
          }
          spinning.spun(arrivals != seen);
          continue;
        }
        if (heldAwake.get() != null) {
          // About to park: the remote must wake us for the next frame again.
          lock.unlock();
          try {
            releaseAwake();
          } finally {
            lock.lock();
          }
          value = poll(end);
          if (value != null) {
            return value;
          }
        }
        parked = true;
        if (deadlineNanos == Long.MAX_VALUE) {
          changed.await();
        } else {
          long left = deadlineNanos - System.nanoTime();
          if (left <= 0) {
            return null;
          }
          changed.awaitNanos(left);
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Whether a receive spins before it parks; guarded by lock. */
  private final SpinPolicy spinning = new SpinPolicy();

  /**
   * Counts arrivals (values, ENDs) and the fate, so a spinning receive sees what it waits for
   * without the lock; written under lock.
   */
  private volatile long arrivals;

  /**
   * Waits without parking until {@link #arrivals} moves from {@code seen}, for {@code spinFor}
   * ({@link SpinPolicy#spinNanos}) and never past {@code deadline} (when and why: {@link
   * SpinPolicy}). Yields as it spins, so an I/O thread that needs the core gets it. Over shared
   * memory it polls the transport itself, so a frame reaches it without the loop, and each poll
   * that leaves a large value half assembled (its chunks on their way) starts the spin's time
   * again; call only without the lock (the frames it hands over take it).
   */
  private void spin(long seen, long deadline, long spinFor) {
    assert !lock.isHeldByCurrentThread();
    Transport t = transport;
    boolean polls = t != null && t.spinning(); // the remote need not wake us meanwhile
    boolean found = false;
    long until = Math.min(deadline, System.nanoTime() + spinFor);
    try {
      while (arrivals == seen && System.nanoTime() - until < 0) {
        if (polls && t.poll()) {
          if (assembling != null) { // read by this thread's poll just now (arrival-only state)
            until = Math.min(deadline, System.nanoTime() + SpinPolicy.SPIN_NANOS);
          }
          continue;
        }
        Thread.onSpinWait();
        Thread.yield();
      }
      found = arrivals != seen;
    } finally {
      if (polls) {
        if (found) {
          holdAwake(t);
        } else {
          t.parking(); // looks once more, then has the remote wake us
        }
      }
    }
  }

  /**
   * The transport whose remote a receiving thread left told that we look (its spin found frames and
   * it went to take them, meaning to come back and poll), or null. While a stream lasts the remote
   * then writes without ringing us, and our loop stays out of the receiving thread's way (each
   * doorbell used to wake it into the ring's and the peer's locks). Let go by the next receive that
   * parks, or by {@link #watchAwake} when no receive came for {@link #AWAKE_HOLD_NANOS}.
   */
  private final java.util.concurrent.atomic.AtomicReference<Transport> heldAwake =
      new java.util.concurrent.atomic.AtomicReference<>();

  /** Receives begun, for {@link #watchAwake}: whether a receiving thread came back. */
  private final java.util.concurrent.atomic.AtomicLong takes =
      new java.util.concurrent.atomic.AtomicLong();

  /** How long a transport stays held awake without a receive before the loop lets it go. */
  static final long AWAKE_HOLD_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(1);

  /** True while a loop timer watches {@link #heldAwake}. */
  private final AtomicBoolean awakeWatched = new AtomicBoolean();

  /** {@link #takes} at the watch's last look; loop thread only. */
  private long takesWatched;

  /**
   * A spin found frames: {@code t} stays awake until a receive parks or the watch lets it go.
   * Package-private for a test, which stands for the spin.
   */
  void holdAwake(Transport t) {
    heldAwake.set(t);
    if (awakeWatched.compareAndSet(false, true)) {
      table.execute(() -> table.schedule(AWAKE_HOLD_NANOS, this::watchAwake));
    }
  }

  /**
   * Lets the held transport go: reads what came meanwhile and has the remote wake us for the next
   * frame. Call without the lock (frames handed over take it).
   */
  private void releaseAwake() {
    assert !lock.isHeldByCurrentThread();
    Transport t = heldAwake.getAndSet(null);
    if (t != null) {
      t.parking();
    }
  }

  /**
   * Loop timer while a transport is held awake: when no receive began since the last look, the
   * receiving thread went elsewhere, and the loop lets the transport go, so frames never wait in
   * the ring for a thread that is not coming (at most {@link #AWAKE_HOLD_NANOS} twice).
   */
  private void watchAwake() {
    if (heldAwake.get() != null) {
      long n = takes.get();
      if (n != takesWatched) {
        takesWatched = n;
        table.schedule(AWAKE_HOLD_NANOS, this::watchAwake);
        return;
      }
      releaseAwake();
    }
    awakeWatched.set(false);
    if (heldAwake.get() != null && awakeWatched.compareAndSet(false, true)) {
      table.schedule(AWAKE_HOLD_NANOS, this::watchAwake); // held again meanwhile
    }
  }

  /**
   * Call only when holding lock. Returns a value for {@code end}, null when none yet, or throws the
   * end.
   */
  private Object poll(ReceiveEnd end) throws ChannelException {
    assert lock.isHeldByCurrentThread();
    if (receiver != end) {
      throw new ChannelException(
          pid, Reason.EXITED, "this process closed its Receiver while it was waiting");
    }
    if (receiverEnded) {
      throw new ChannelException(pid, Reason.EXITED);
    }
    Object first = inbound.peek();
    if (first instanceof End) {
      inbound.poll(); // skipEnds left it at the head: it ends this Receiver
      head++;
      receiverEnded = true;
      throw new ChannelException(pid, Reason.EXITED);
    }
    if (first != null) {
      inbound.poll();
      receiverTook = head;
      claimed = head;
      int size = size(first);
      counts.received(size);
      spinning.took(size);
      inboundBytes -= size;
      free(size);
      adaptWindow(size);
      skipEnds();
      return first;
    }
    if (fate != null) {
      throw new ChannelException(pid, fate);
    }
    return null;
  }

  /**
   * Call only when holding lock. The lifetime rule: drops the ENDs at the head of inbound that do
   * not end the open Receiver, so that the head is a value, nothing, or an END for it. An END ends
   * the open Receiver when it took a value of that incarnation, or when no Receiver of ours took a
   * value of it and the remote had heard of this Receiver (and no later one) when it closed its
   * Sender. With no Receiver open every END is dropped: a later Receiver never meets either case.
   */
  private void skipEnds() {
    assert lock.isHeldByCurrentThread();
    while (inbound.peek() instanceof End e) {
      boolean ends =
          receiver != null
              && (receiverTook == e.incarnation()
                  || (claimed < e.incarnation() && receivers == e.receivers()));
      if (ends) {
        return;
      }
      inbound.poll();
      head++;
    }
  }

  /**
   * Opens the Receiver {@code end}: numbers it, and has the remote told of it, so that the remote's
   * next Sender close can end it (see {@link #skipEnds}).
   */
  void openReceiver(ReceiveEnd end) {
    lock.lock();
    try {
      receiver = end;
      receivers++;
      receiverTook = 0;
      receiverEnded = false;
      skipEnds();
    } finally {
      lock.unlock();
    }
  }

  /** Returns whether a take would not wait now (a failed or ended channel is ready). */
  boolean takeReady() {
    lock.lock();
    try {
      return receiverEnded || !inbound.isEmpty() || fate != null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns how the Receiver's stream ends when only its end is left in it (EXITED after the
   * sender's END, or the fate once every value was taken), else null. Takes nothing; for a
   * publisher that must signal the end without demand.
   */
  Reason ended() {
    lock.lock();
    try {
      if (receiverEnded || inbound.peek() instanceof End) {
        return Reason.EXITED;
      }
      return inbound.isEmpty() ? fate : null;
    } finally {
      lock.unlock();
    }
  }

  /** Call only when holding lock. Returns credit to the remote in batches. */
  private void free(int bytes) {
    assert lock.isHeldByCurrentThread();
    freed += bytes;
    if (freed >= window / 4) {
      // Over shared memory the receiving thread writes the CREDIT itself (fill re-enters the lock;
      // the transport only tries its own): no loop wake-up per grant, and no flush request per
      // value taken until the loop gets round to it.
      Transport c = transport;
      if (c == null || !c.writesThrough() || !c.flushFromCaller() || freed >= window / 4) {
        table.scheduleFlush(this);
      }
    }
  }

  /**
   * Call only when holding lock, after the Receiver took a value of {@code size} bytes. A large
   * value taken with nothing else waiting means the reader keeps up and the window, not the reader,
   * paces the stream: the window doubles (the increase goes out as credit). Values piling up past
   * half the window mean the reader is behind: the window halves (credit withheld), back towards
   * {@link #WINDOW}. So a reader that stops reads costs its sender at most the window it had
   * reached plus two values, and only a reader that was keeping up with large values ever reaches
   * {@link #MAX_WINDOW}.
   */
  private void adaptWindow(int size) {
    assert lock.isHeldByCurrentThread();
    if (inbound.isEmpty() && size >= Frames.CHUNK && window < MAX_WINDOW) {
      long more = Math.min(window, MAX_WINDOW - window);
      window += more;
      free((int) more);
    } else if (inboundBytes >= window && window > WINDOW) {
      long less = Math.min(window / 2, window - WINDOW);
      window -= less;
      freed -= less;
    }
  }

  /**
   * The Receiver closed: values of its epoch still queued are dropped and their credit returned.
   */
  void closeReceiver() {
    List<Runnable> w;
    lock.lock();
    try {
      receiver = null;
      if (!receiverEnded) {
        for (Iterator<Object> it = inbound.iterator(); it.hasNext(); ) {
          Object o = it.next();
          it.remove();
          if (o instanceof End) {
            head++;
            break;
          }
          claimed = head;
          inboundBytes -= size(o);
          free(size(o));
        }
      }
      receiverEnded = false;
      skipEnds();
      arrivals++; // a take spinning for this Receiver stops
      w = signal(); // a take blocked for this Receiver throws
    } finally {
      lock.unlock();
    }
    runWaiters(w);
  }

  /** Waits until every value accepted by send is acknowledged or the remote is gone. */
  boolean awaitAcked(long deadlineNanos) throws InterruptedException {
    lock.lock();
    try {
      while (fate == null && acked < sent) {
        if (deadlineNanos == Long.MAX_VALUE) {
          changed.await();
          continue;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns whether the remote did not acknowledge everything sent to it (values or ENDs): it may
   * miss some, so a clean exit must not read as one to it.
   */
  boolean owes() {
    lock.lock();
    try {
      return acked < sent;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns whether this process has anything with the remote: a channel, unacked values, or values
   * received that no Receiver took yet (they outlive the remote: a Receiver opened after its exit
   * still takes them, then EXITED).
   */
  boolean busy() {
    lock.lock();
    try {
      return sender != null
          || receiver != null
          || (fate == null && acked < sent)
          || !inbound.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  /** Returns how the remote went away, or null. */
  Reason fate() {
    lock.lock();
    try {
      return fate;
    } finally {
      lock.unlock();
    }
  }

  /** Registers a callback for the next change; it runs once, off the lock. */
  void addWaiter(Runnable waiter) {
    lock.lock();
    try {
      waiters.add(waiter);
    } finally {
      lock.unlock();
    }
  }

  /** Removes a callback that has not run. */
  void removeWaiter(Runnable waiter) {
    lock.lock();
    try {
      waiters.remove(waiter);
    } finally {
      lock.unlock();
    }
  }

  /** Call only when holding lock; then call {@link #runWaiters} after unlocking. */
  private List<Runnable> signal() {
    assert lock.isHeldByCurrentThread();
    changed.signalAll();
    if (waiters.isEmpty()) {
      return List.of();
    }
    List<Runnable> w = new ArrayList<>(waiters);
    waiters.clear();
    return w;
  }

  private static void runWaiters(List<Runnable> w) {
    for (Runnable r : w) {
      r.run();
    }
  }

  /** Any thread: the remote's fate is known (first answer wins). */
  void settle(Reason reason) {
    List<Runnable> w;
    lock.lock();
    try {
      if (fate != null) {
        return;
      }
      fate = reason;
      outbound.clear();
      unacked.clear();
      arrivals++;
      w = signal();
    } finally {
      lock.unlock();
    }
    runWaiters(w);
  }

  // ===================== loop thread =====================

  /** Loop: this pair's transport is ready. */
  void attach(Transport c) {
    assert table.inLoop();
    transport = c;
    idleAsked = false;
    idleClosed = false;
    lastActivity = table.now();
    c.carry(this);
    c.name(pid.toString());
    if (c instanceof Connection tcp) {
      table.watchStall(this, tcp);
    }
    c.flush();
  }

  // ===================== resume of a stalled TCP connection =====================

  /**
   * Call only when holding lock, as a TCP connection takes {@code value} from outbound (before the
   * poll's count moved on: its number is the values sent less those still queued, less one).
   */
  private void keep(Object value) {
    assert lock.isHeldByCurrentThread();
    long number = sent - outbound.size() - 1;
    if (unacked.isEmpty()) {
      unackedFrom = number;
    }
    unacked.add(value);
  }

  /** What one side of a resumed connection tells the other it has: see {@link Frames#RESUMED}. */
  record Books(long received, long granted, long receivers) {
    static Books read(ByteBuffer payload, Pid from) throws ProtocolException {
      if (payload.remaining() != Frames.BOOKS) {
        throw new ProtocolException(
            "a RESUMED from " + from + " has " + payload.remaining() + " bytes");
      }
      return new Books(payload.getLong(), payload.getLong(), payload.getLong());
    }

    byte[] bytes() {
      return ByteBuffer.allocate(Frames.BOOKS)
          .putLong(received)
          .putLong(granted)
          .putLong(receivers)
          .array();
    }
  }

  /** Loop: whether a re-dial of this pair's connection may start or be accepted now. */
  boolean resumable() {
    assert table.inLoop();
    lock.lock();
    try {
      return fate == null && transport instanceof Connection && !idleClosed && !goodbyeReceived;
    } finally {
      lock.unlock();
    }
  }

  /** Loop, the acceptor of a resume: whether the pair still waits for an earlier one's books. */
  boolean awaitingBooks() {
    lock.lock();
    try {
      return awaitingBooks;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Loop: stops assembling a value from the connection being left (it is sent again whole) and
   * hands over what arrived whole; call before {@link #stateBooks}.
   */
  private void leaveArrivals() {
    assert table.inLoop();
    deliverArrivals();
    if (assembling != null) {
      receivedBytes -= assemblingTotal;
      assembling = null;
    }
  }

  /**
   * Call only when holding lock, in the same hold as the switch of {@link #transport} (so no frame
   * goes out on the old connection after the books are stated): what the books tell the remote
   * needs no ACK or RECEIVER frame.
   */
  private Books stateBooks() {
    assert lock.isHeldByCurrentThread();
    ackSent = received;
    receiversAnnounced = receivers;
    return new Books(received, granted, receivers);
  }

  /**
   * Call only when holding lock: checks the remote's books against ours before anything changes.
   *
   * @throws ProtocolException when they cannot be resumed from: the remote claims values never
   *     written, or values not kept, or less than it already said
   */
  private void checkBooks(Books b) throws ProtocolException {
    assert lock.isHeldByCurrentThread();
    long written = sent - outbound.size();
    boolean covered = unacked.isEmpty() ? b.received() == written : b.received() >= unackedFrom;
    if (b.received() < acked || b.received() > written || !covered) {
      throw new ProtocolException(
          pid
              + " resumes at "
              + b.received()
              + " values, outside what was kept: "
              + acked
              + ".."
              + written);
    }
    if (b.granted() < grantsSeen || b.receivers() < remoteReceivers) {
      throw new ProtocolException(pid + " resumes with books below what it said before: " + b);
    }
  }

  /**
   * Call only when holding lock, checked: takes the remote's books. What it acknowledges is
   * forgotten, what it did not receive goes back to the head of outbound in order (a value half
   * written is sent again whole), credit whose CREDIT frames were lost is taken, and a GOODBYE that
   * may have been lost goes out again after everything.
   */
  private void applyBooks(Books b) {
    assert lock.isHeldByCurrentThread();
    acked = b.received();
    dropAcked(acked);
    for (Iterator<Object> it = unacked.descendingIterator(); it.hasNext(); ) {
      outbound.addFirst(it.next());
    }
    unacked.clear();
    writing = null;
    lent = null;
    credit += b.granted() - grantsSeen;
    grantsSeen = b.granted();
    remoteReceivers = b.receivers();
    if (goodbyeDue) {
      goodbyeSent = false;
    }
    idleAsked = false;
  }

  /**
   * Loop, the acceptor of a resume: {@code c} carries the pair from now on. Answers with this
   * side's books and writes nothing more until the dialler's come; the old connection is retired
   * (ignored, closed once the dialler's books show it switched).
   */
  void resumeAccepted(Connection c) {
    assert table.inLoop();
    leaveArrivals();
    Transport old = transport;
    Books mine;
    lock.lock();
    try {
      mine = stateBooks();
      awaitingBooks = true;
      transport = c;
    } finally {
      lock.unlock();
    }
    if (old != null) {
      retired.add(old);
    }
    c.sendFrame(Frames.RESUMED, mine.bytes());
    attach(c);
  }

  /**
   * Loop, the dialler of a resume: the acceptor switched to {@code c} and sent its books {@code
   * theirs}; this side switches too, sends its own books first, re-sends what the acceptor missed
   * and closes the old connection (the acceptor ignores it already).
   *
   * @throws ProtocolException when the books cannot be resumed from (the pair is then lost)
   */
  void resumed(Connection c, Books theirs) throws ProtocolException {
    assert table.inLoop();
    leaveArrivals();
    Transport old = transport;
    Books mine;
    List<Runnable> w;
    lock.lock();
    try {
      checkBooks(theirs);
      mine = stateBooks();
      applyBooks(theirs);
      awaitingBooks = false;
      transport = c;
      w = signal();
    } catch (ProtocolException e) {
      if (old != null) {
        table.execute(old::close); // a pair that cannot be resumed: its channels see LOST
      }
      throw e;
    } finally {
      lock.unlock();
    }
    runWaiters(w);
    c.sendFrame(Frames.RESUMED, mine.bytes());
    attach(c);
    if (old != null) {
      old.close();
    }
    closeRetired();
  }

  /** Arrival, the acceptor of a resume: the dialler's books came; what it missed goes out. */
  private void onBooks(Transport c, ByteBuffer payload) throws ProtocolException {
    Books theirs = Books.read(payload, pid);
    List<Runnable> w;
    lock.lock();
    try {
      if (!awaitingBooks) {
        throw new ProtocolException("an unexpected RESUMED from " + pid);
      }
      checkBooks(theirs);
      applyBooks(theirs);
      awaitingBooks = false;
      w = signal();
    } finally {
      lock.unlock();
    }
    runWaiters(w);
    onLoop(
        () -> {
          closeRetired();
          c.flush();
        });
  }

  /** Loop: closes the connections a resume replaced. */
  private void closeRetired() {
    assert table.inLoop();
    List<Transport> old = new ArrayList<>(retired);
    retired.clear();
    for (Transport t : old) {
      if (t != transport) {
        t.close();
      }
    }
  }

  /** Loop: send GOODBYE after everything queued; the process is exiting. */
  void sayGoodbye() {
    assert table.inLoop();
    goodbyeDue = true;
    Transport c = transport;
    if (c != null && c.state() == Connection.State.OPEN) {
      c.flush();
    } else {
      goodbyeSent = true;
    }
  }

  @Override
  public void onFrame(Transport c, int type, ByteBuffer payload) throws IOException {
    if (c != transport) {
      return; // late bytes of a connection a resume replaced
    }
    if (type != Frames.DATA) {
      lastActivity = table.now();
      deliverArrivals();
    } else {
      DATA_IN.setOpaque(this, dataIn + 1);
    }
    switch (type) {
      case Frames.IDLE -> onLoop(() -> onIdleAsked(c));
      case Frames.IDLE_OK -> onLoop(() -> closeIdle(c));
      case Frames.IDLE_NO -> onLoop(() -> onIdleRefused(c));
      case Frames.DATA -> onData(payload);
      case Frames.END -> onEnd(payload);
      case Frames.RECEIVER -> onReceiver(payload);
      case Frames.ACK -> onAck(payload);
      case Frames.CREDIT -> onCredit(payload);
      case Frames.RESUMED -> onBooks(c, payload);
      case Frames.GOODBYE -> {
        goodbyeReceived = true;
        settle(Reason.EXITED);
      }
      default -> throw new ProtocolException("unknown frame type " + type + " from " + pid);
    }
  }

  private void onData(ByteBuffer payload) throws ProtocolException {
    if (payload.remaining() < 1) {
      throw new ProtocolException("a DATA frame from " + pid + " has no flags");
    }
    int flags = payload.get() & 0xFF;
    boolean first = (flags & Frames.FIRST) != 0;
    boolean last = (flags & Frames.LAST) != 0;
    if (first != (assembling == null)) {
      throw new ProtocolException(
          "a DATA frame from " + pid + " has flags " + flags + " in the middle of a value");
    }
    boolean raw = (flags & Frames.RAW) != 0;
    if (first && last) {
      takeCredit(payload.remaining(), false);
      byte[] bytes = new byte[payload.remaining()];
      payload.get(bytes);
      arrived(raw ? new Raw(bytes) : bytes);
      return;
    }
    if (first) {
      // The first of several chunks says the value's size. The array starts at what the credit
      // the sender had covers and grows as chunks arrive: a claim alone allocates nothing more.
      if (payload.remaining() < 4) {
        throw new ProtocolException("a first chunk from " + pid + " has no size");
      }
      int total = payload.getInt();
      if (total <= payload.remaining() || total > MAX_VALUE) {
        throw new ProtocolException("a chunked value from " + pid + " claims " + total + " bytes");
      }
      long credit = takeCredit(total, true);
      assembling = new byte[(int) Math.min(total, Math.max(payload.remaining(), credit))];
      assemblingTotal = total;
      assembled = 0;
      assemblingRaw = raw;
    }
    int n = payload.remaining();
    if (n > assemblingTotal - assembled) {
      throw new ProtocolException(
          "a value from " + pid + " is longer than the " + assemblingTotal + " bytes it claimed");
    }
    if (n > assembling.length - assembled) {
      long grown = Math.max(2L * assembling.length, (long) assembled + n);
      assembling = java.util.Arrays.copyOf(assembling, (int) Math.min(assemblingTotal, grown));
    }
    payload.get(assembling, assembled, n);
    assembled += n;
    if (last) {
      if (assembled != assemblingTotal) {
        throw new ProtocolException(
            "a value from " + pid + " ended at " + assembled + " of " + assemblingTotal + " bytes");
      }
      byte[] value = assembling;
      assembling = null;
      arrived(assemblingRaw ? new Raw(value) : value);
    }
  }

  /** The size the value being assembled claimed; loop thread only. */
  private int assemblingTotal;

  /**
   * Arrival: a value of {@code size} bytes starts. Returns the credit the remote had for it, at
   * most {@link #MAX_WINDOW}. The grants are re-read under the lock only when the copy seen last
   * does not cover the value: always when the value would be over the credit, and with {@code
   * sizing} (the first chunk of a large value, whose array is sized by the answer) when the credit
   * seen is below {@code size}. Sized by a stale copy, a 1 MiB value's array started at one chunk
   * and grew four times (a copy of what came before each time): measured, 12% more bytes copied by
   * the receiver of a stream of large values.
   *
   * @throws ProtocolException when the remote had none: a sender may start a value only while its
   *     credit plus the value's size is positive
   */
  private long takeCredit(int size, boolean sizing) throws ProtocolException {
    long credit = WINDOW + grantedSeen - receivedBytes;
    if (credit + size <= 0 || (sizing && credit < size)) {
      lock.lock();
      try {
        grantedSeen = granted;
      } finally {
        lock.unlock();
      }
      credit = WINDOW + grantedSeen - receivedBytes;
    }
    if (credit + size <= 0) {
      throw new ProtocolException(
          pid + " sent a value of " + size + " bytes with " + credit + " bytes of credit");
    }
    receivedBytes += size;
    return Math.min(Math.max(credit, 0), MAX_WINDOW);
  }

  private void onEnd(ByteBuffer payload) throws ProtocolException {
    if (payload.remaining() != 8) {
      throw new ProtocolException("an END from " + pid + " has " + payload.remaining() + " bytes");
    }
    long heard = payload.getLong();
    lock.lock();
    try {
      if (heard < 0 || heard > receiversAnnounced) {
        throw new ProtocolException(
            "END from "
                + pid
                + " says it heard of "
                + heard
                + " Receivers, outside 0.."
                + receiversAnnounced);
      }
    } finally {
      lock.unlock();
    }
    arrived(new End(0, heard));
  }

  private void onReceiver(ByteBuffer payload) throws ProtocolException {
    if (payload.remaining() != 8) {
      throw new ProtocolException(
          "a RECEIVER from " + pid + " has " + payload.remaining() + " bytes");
    }
    long count = payload.getLong();
    lock.lock();
    try {
      if (count <= remoteReceivers) {
        throw new ProtocolException(
            "RECEIVER " + count + " from " + pid + " is not above " + remoteReceivers);
      }
      remoteReceivers = count;
    } finally {
      lock.unlock();
    }
  }

  /** Arrival: a value or an END came, in order (values wait in {@link #arrivedBatch}). */
  private void arrived(Object value) {
    if (!(value instanceof End)) {
      arrivedBatch.add(value);
      if (arrivedBatch.size() >= ARRIVAL_BATCH) {
        deliverArrivals();
      }
      return;
    }
    deliverArrivals();
    List<Runnable> w;
    lock.lock();
    try {
      if (value instanceof End e) {
        inbound.add(new End(arriving++, e.receivers()));
        skipEnds();
      } else {
        inbound.add(value);
        inboundBytes += size(value);
      }
      received++;
      arrivals++;
      w = signal();
    } finally {
      lock.unlock();
    }
    runWaiters(w);
  }

  /** Arrival: hands the values of {@link #arrivedBatch} to the Receiver's queue, under one lock. */
  private void deliverArrivals() {
    int n = arrivedBatch.size();
    if (n == 0) {
      return;
    }
    List<Runnable> w;
    lock.lock();
    try {
      for (int i = 0; i < n; i++) {
        Object value = arrivedBatch.get(i);
        inbound.add(value);
        inboundBytes += size(value);
      }
      received += n;
      arrivals += n;
      w = signal();
    } finally {
      lock.unlock();
    }
    arrivedBatch.clear();
    runWaiters(w);
  }

  private void onAck(ByteBuffer payload) throws ProtocolException {
    if (payload.remaining() != 8) {
      throw new ProtocolException("an ACK from " + pid + " has " + payload.remaining() + " bytes");
    }
    long count = payload.getLong();
    List<Runnable> w;
    lock.lock();
    try {
      if (count < acked || count > sent) {
        throw new ProtocolException(
            "ACK " + count + " from " + pid + " is outside " + acked + ".." + sent);
      }
      acked = count;
      dropAcked(count);
      w = signal();
    } finally {
      lock.unlock();
    }
    runWaiters(w);
  }

  /**
   * Call only when holding lock: forgets the kept values the remote acknowledged ({@code count} in
   * all). A lent array still unreturned is the caller's again: nothing will read it.
   */
  private void dropAcked(long count) {
    assert lock.isHeldByCurrentThread();
    while (!unacked.isEmpty() && unackedFrom < count) {
      Object o = unacked.poll();
      unackedFrom++;
      if (o instanceof Loan l && !l.returned && writing != l.bytes) {
        l.returned = true;
      }
    }
  }

  private void onCredit(ByteBuffer payload) throws ProtocolException {
    if (payload.remaining() != 4) {
      throw new ProtocolException(
          "a CREDIT from " + pid + " has " + payload.remaining() + " bytes");
    }
    int bytes = payload.getInt();
    if (bytes <= 0) {
      throw new ProtocolException("CREDIT " + bytes + " from " + pid + " is not positive");
    }
    List<Runnable> w;
    lock.lock();
    try {
      credit += bytes;
      grantsSeen += bytes;
      w = signal();
    } finally {
      lock.unlock();
    }
    runWaiters(w);
  }

  @Override
  public void onTick(Transport c, long now) {
    if (c != transport) {
      return; // a connection retired by a resume
    }
    long data = (long) DATA_IN.getOpaque(this) + (long) DATA_OUT.getOpaque(this);
    if (data != dataSeen) {
      dataSeen = data;
      lastActivity = now; // values went one way or the other since the last tick
    }
    if (!idleAsked && !goodbyeDue && now - lastActivity >= IDLE_NANOS && holdIfIdle()) {
      c.sendFrame(Frames.IDLE, new byte[0]);
    }
  }

  /**
   * Runs {@code step} of the idle close on the loop: now when this is the loop, else next (a
   * receiving thread that polled shared memory hands these frames on; nothing that follows them
   * depends on their having run).
   */
  private void onLoop(Runnable step) {
    if (table.inLoop()) {
      step.run();
    } else {
      table.execute(step);
    }
  }

  /** Loop: the remote uses the connection; what was held while we asked goes out. */
  private void onIdleRefused(Transport c) {
    idleAsked = false;
    c.flush();
  }

  /** Loop: the remote asks to close the idle connection; agree unless we use it. */
  private void onIdleAsked(Transport c) {
    assert table.inLoop();
    if (idleAsked || holdIfIdle()) {
      c.sendFrame(Frames.IDLE_OK, new byte[0]);
      idleAgreed.run();
      idleClosed = true;
      // Not close(): the asker may write (a heartbeat) before it reads our IDLE_OK, and a close
      // with its bytes unread would reset the connection under it (then LOST, not idle-closed).
      c.closeAfterRemote(IDLE_CLOSE_BOUND_NANOS);
    } else {
      c.sendFrame(Frames.IDLE_NO, new byte[0]);
    }
  }

  /**
   * Test seam: runs on the loop after this side answered IDLE_OK and before it closes the
   * connection, where a send used to slip out onto the closing connection and be lost.
   */
  Runnable idleAgreed = () -> {};

  /** How long the side that agreed to an idle close waits for the asker to close first. */
  static final long IDLE_CLOSE_BOUND_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

  private void closeIdle(Transport c) {
    assert table.inLoop();
    idleClosed = true;
    c.close();
  }

  /**
   * Loop: true when this side has no channel with the remote and nothing in flight, queued or
   * unread: closing the connection then loses nothing, and the books (credit, counts) carry over to
   * the next one.
   */
  private boolean idle() {
    assert table.inLoop();
    lock.lock();
    try {
      return sender == null
          && receiver == null
          && acked == sent
          && received == ackSent
          && inbound.isEmpty()
          && outbound.isEmpty()
          && writing == null
          && assembling == null
          && receivers == receiversAnnounced
          && fate == null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Loop: when the pair is idle ({@link #idle}), holds this side's data from now on and returns
   * true, in one step under lock, so no send can go out on a connection this side is closing.
   */
  private boolean holdIfIdle() {
    lock.lock();
    try {
      if (!idle()) {
        return false;
      }
      idleAsked = true;
      return true;
    } finally {
      lock.unlock();
    }
  }

  private boolean hasQueued() {
    lock.lock();
    try {
      return !outbound.isEmpty()
          || sender != null
          || receiver != null
          || receivers > receiversAnnounced;
    } finally {
      lock.unlock();
    }
  }

  /**
   * How long an acknowledgement may wait for a frame to ride on. Acks matter only to a process that
   * is exiting (it waits for them) and to idleness; sending one per read round would cost every
   * message a write and a wake-up on both sides.
   */
  static final long ACK_DELAY_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(2);

  /**
   * Set by the ACK timer: the next fill writes the ACK even alone. Otherwise an ACK only rides on
   * frames going anyway: over shared memory an ACK alone in the ring costs the remote a doorbell
   * and a wake-up of its loop (written on every wake-up of ours, it made a stream of small values
   * ring the sender about once per thousand values, and the sender's loop contend with the sending
   * thread for the peer's lock).
   */
  private volatile boolean ackAsked;

  /** True while a timer will send the pending ACK. */
  private final AtomicBoolean ackScheduled = new AtomicBoolean();

  /**
   * Frames arrived: makes sure an ACK goes out within {@link #ACK_DELAY_NANOS}. On the loop, or on
   * a receiving thread that polled shared memory (then the loop arms the timer).
   */
  @Override
  public void onReadRound(Transport c) {
    deliverArrivals();
    boolean due;
    lock.lock();
    try {
      due = received > ackSent;
    } finally {
      lock.unlock();
    }
    if (due && ackScheduled.compareAndSet(false, true)) {
      Runnable arm = () -> table.schedule(ACK_DELAY_NANOS, this::ackDue);
      if (table.inLoop()) {
        arm.run();
      } else {
        table.execute(arm);
      }
    }
  }

  /** Loop timer: writes the ACK unless a data frame already carried it along. */
  private void ackDue() {
    ackScheduled.set(false);
    ackAsked = true;
    Transport now = transport;
    if (now != null) {
      now.flush();
    }
  }

  @Override
  public void fill(Transport c, ByteBuffer out) {
    boolean wroteData = false;
    // Over TCP, values are kept until acknowledged: a stalled connection is resumed on a new one.
    boolean keeps = c instanceof Connection;
    int start = out.position();
    // A sender writing through already holds the lock (shared memory writes under it): no second
    // acquire and release, each a fence on a stream's path.
    boolean held = lock.isHeldByCurrentThread();
    if (!held) {
      lock.lock();
    }
    try {
      if (c != transport || awaitingBooks) {
        return; // retired by a resume, or resumed and waiting to hear where the remote stands
      }
      if (receivers > receiversAnnounced && out.remaining() >= Frames.COUNT_FRAME) {
        Frames.putCount(out, Frames.RECEIVER, receivers);
        receiversAnnounced = receivers;
      }
      if (freed >= window / 4 && out.remaining() >= Frames.CREDIT_FRAME) {
        int grant = (int) Math.min(freed, Integer.MAX_VALUE);
        Frames.putCredit(out, grant);
        freed -= grant;
        granted += grant;
      }
      while (!idleAsked) {
        if (writing == null) {
          Object next = outbound.peek();
          if (next == null) {
            break;
          }
          if (next instanceof End end) {
            if (out.remaining() < Frames.COUNT_FRAME) {
              break;
            }
            outbound.poll();
            if (keeps) {
              keep(end);
            }
            Frames.putCount(out, Frames.END, end.receivers());
            lastActivity = table.now();
            continue;
          }
          outbound.poll();
          if (keeps) {
            keep(next);
          }
          if (next instanceof Loan loan) {
            if (keeps && !loan.kept) {
              loan.kept = true; // its sender copies it now (see awaitReturn)
              changed.signalAll();
            }
            lent = loan;
            writingRaw = true;
            writing = loan.bytes;
          } else {
            writingRaw = next instanceof Raw;
            writing = writingRaw ? ((Raw) next).bytes() : (byte[]) next;
          }
          writingOffset = 0;
        }
        int left = writing.length - writingOffset;
        int chunk = Math.min(left, Frames.CHUNK);
        int flags = (writingOffset == 0 ? Frames.FIRST : 0) | (chunk == left ? Frames.LAST : 0);
        boolean sized = flags == Frames.FIRST; // the first of several chunks says the total
        if (out.remaining() < Frames.dataFrame(chunk, sized)) {
          break;
        }
        wroteData = true;
        if (writingRaw) {
          flags |= Frames.RAW;
        }
        Frames.putDataHeader(out, flags, writing.length, chunk);
        out.put(writing, writingOffset, chunk);
        writingOffset += chunk;
        if (writingOffset == writing.length) {
          writing = null;
          if (lent != null) {
            if (!lent.kept) {
              lent.returned = true; // a kept one is returned by its sender's copy, or its ACK
              changed.signalAll();
            }
            lent = null;
          }
        }
      }
      // Last but for GOODBYE: an ACK rides on what this fill wrote, or goes alone when its timer
      // asked (see ackAsked).
      if (received == ackSent) {
        ackAsked = false;
      } else if ((ackAsked || goodbyeDue || out.position() != start)
          && out.remaining() >= Frames.COUNT_FRAME) {
        Frames.putCount(out, Frames.ACK, received);
        ackSent = received;
        ackAsked = false;
      }
      if (goodbyeDue
          && !goodbyeSent
          && writing == null
          && outbound.isEmpty()
          && out.remaining() >= Frames.GOODBYE_FRAME) {
        Frames.putGoodbye(out);
        goodbyeSent = true;
      }
      if (wroteData) {
        DATA_OUT.setOpaque(this, dataOut + 1); // the tick notes the activity (see lastActivity)
      }
    } finally {
      if (!held) {
        lock.unlock();
      }
    }
  }

  @Override
  public void onClosed(Transport c, IOException cause) {
    assert table.inLoop();
    deliverArrivals(); // values read before the end (or before a malformed frame)
    if (c != transport) {
      return;
    }
    transport = null;
    closeRetired();
    for (Connection r : new ArrayList<>(resuming)) {
      r.close(); // nothing left to resume: the pair ended, or is dialled afresh
    }
    if (goodbyeReceived) {
      return;
    }
    if (idleClosed) {
      idleClosed = false;
      idleAsked = false;
      if (hasQueued()) {
        table.scheduleFlush(this); // a channel came while we were closing: dial again
      }
      return;
    }
    if (cause != null) {
      table.logDropped(this, cause);
    }
    settle(Reason.LOST);
  }

  @Override
  public String toString() {
    return "peer " + pid;
  }
}
