package dev.deploy.channel;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The receiving end of a channel, under {@code dev.deploy.Receiver}: takes values the I/O loop
 * queued and decodes them on the caller's thread (a class outside the allow-list is refused before
 * it is instantiated).
 *
 * <p>Thread safe.
 */
public final class ReceiveEnd {
  private final ChannelTable table;
  private final Peer peer;
  private final AtomicBoolean closed = new AtomicBoolean();

  ReceiveEnd(ChannelTable table, Peer peer) {
    this.table = table;
    this.peer = peer;
    this.drainer = new Drain(table, peer, this::serve);
  }

  /** Returns the remote's pid. */
  public Pid remote() {
    return peer.pid;
  }

  /**
   * Takes the next value, waiting until {@code deadlineNanos} ({@code Long.MAX_VALUE} forever, 0
   * not at all). Returns {@link #NONE} on timeout.
   */
  public Object recv(long deadlineNanos) throws ChannelException, InterruptedException {
    checkOpen();
    Object bytes = peer.take(deadlineNanos, this);
    return bytes == null ? NONE : decode(bytes);
  }

  /** Returned by {@link #recv} when nothing came in time (values may be null). */
  public static final Object NONE = new Object();

  private Object decode(Object value) {
    if (value instanceof Peer.Raw raw) {
      return raw.bytes(); // a byte[] sent as is: the assembled array is the value
    }
    byte[] bytes = (byte[]) value;
    return table.codec().decode(bytes, 0, bytes.length);
  }

  /** Returns whether a recv would not block now (a failed or ended channel is ready). */
  public boolean ready() {
    return closed.get() || peer.takeReady();
  }

  /**
   * Completes with the next value, without blocking the caller. Futures are served one at a time in
   * the order they were asked for, so the values arrive in the order sent; a future completed,
   * cancelled or timed out by the caller before its value came takes none. Its callbacks run on a
   * pool thread, never on the I/O loop.
   */
  public CompletableFuture<Object> recvAsync() {
    Pending<Object> result = new Pending<>();
    pending.add(result);
    schedule();
    return result;
  }

  /** Receives not yet served, in the order asked for; only the draining thread removes. */
  private final ConcurrentLinkedQueue<Pending<Object>> pending = new ConcurrentLinkedQueue<>();

  /** Serves {@link #pending} one thread at a time. */
  private final Drain drainer;

  /** Serves what is pending on this thread, unless another thread is at it. */
  void drain() {
    drainer.run();
  }

  private void schedule() {
    drainer.schedule();
  }

  private void serve(List<Runnable> completions) {
    while (true) {
      Pending<Object> next = pending.peek();
      if (next == null) {
        return;
      }
      if (!next.claim()) {
        pending.poll(); // the caller completed or cancelled it: it takes nothing
        continue;
      }
      Object bytes;
      try {
        checkOpen();
        bytes = peer.take(0, this);
      } catch (ChannelException | RuntimeException e) {
        pending.poll();
        next.commit();
        completions.add(() -> next.fail(e));
        continue;
      } catch (InterruptedException e) {
        throw new AssertionError("take(0) never waits", e);
      }
      if (bytes == null) {
        next.release();
        drainer.arm();
        if (!peer.takeReady()) {
          return; // the waiter asks for another pass on the next change
        }
        continue;
      }
      pending.poll();
      next.commit();
      completions.add(
          () -> {
            Object value;
            try {
              value = decode(bytes);
            } catch (RuntimeException e) {
              next.fail(e);
              return;
            }
            next.deliver(value);
          });
    }
  }

  /** Registers a one-shot callback for the next change of the channel (select). */
  public void addWaiter(Runnable waiter) {
    peer.addWaiter(waiter);
  }

  /** Removes a callback that has not run. */
  public void removeWaiter(Runnable waiter) {
    peer.removeWaiter(waiter);
  }

  /**
   * Throws when this end is closed.
   *
   * @throws IllegalStateException naming the remote
   */
  public void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("Receiver to " + peer.pid + " is closed");
    }
  }

  /**
   * Returns how the channel ends when nothing but its end is left to receive: {@code EXITED} (the
   * remote closed its Sender or exited) or {@code LOST}; null while a value may still come. Takes
   * nothing.
   */
  public ChannelException.Reason ended() {
    return peer.ended();
  }

  /**
   * Runs {@code task} on a pool thread (never the I/O loop) after the channel's next change: an
   * arrival, a fate, a close. One-shot; returns the registration, for {@link #removeWaiter}.
   */
  public Runnable onChange(Runnable task) {
    Runnable waiter =
        () -> {
          try {
            table.async().execute(task);
          } catch (RejectedExecutionException e) {
            // The table is shutting down.
          }
        };
    peer.addWaiter(waiter);
    return waiter;
  }

  /** Claims this end for a subscriber of its publisher; false when another has it. */
  public boolean subscribe(Object subscription) {
    return subscriber.compareAndSet(null, subscription);
  }

  /** Frees this end for another subscriber, if {@code subscription} had it. */
  public void unsubscribe(Object subscription) {
    subscriber.compareAndSet(subscription, null);
  }

  /** The one subscription of the publisher reading this end, or null. */
  private final AtomicReference<Object> subscriber = new AtomicReference<>();

  /** Closes this end; values still queued for it are dropped, pending receives fail. */
  public void close() {
    if (closed.compareAndSet(false, true)) {
      peer.closeReceiver();
      drain();
    }
  }
}
