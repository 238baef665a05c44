package dev.deploy.channel;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The sending end of a channel, under {@code dev.deploy.Sender}: encodes values on the caller's
 * thread and queues them for the I/O loop within the remote's credit.
 *
 * <p>Thread safe.
 */
public final class SendEnd {
  private final ChannelTable table;
  private final Peer peer;
  private final AtomicBoolean closed = new AtomicBoolean();

  SendEnd(ChannelTable table, Peer peer) {
    this.table = table;
    this.peer = peer;
    this.drainer = new Drain(table, peer, this::serve);
  }

  /** Returns the remote's pid. */
  public Pid remote() {
    return peer.pid;
  }

  /**
   * Encodes {@code value}; for send.
   *
   * @throws IllegalArgumentException naming the class when the value cannot be serialised
   */
  public Object encode(Object value) {
    if (value instanceof byte[] array) {
      return new Peer.Raw(array.clone()); // as is: one copy, the caller may reuse its array
    }
    return table.codec().encode(value);
  }

  /**
   * Queues a value; blocks while the remote's window is full. A large {@code byte[]} on an open
   * connection is lent rather than copied: this returns once the I/O loop has copied it out, or
   * after 10 ms with a copy.
   */
  public void send(Object value) throws ChannelException, InterruptedException {
    if (!pending.isEmpty()) {
      sendBehind(value);
      return;
    }
    if (value instanceof byte[] array && array.length >= Peer.LEND_MIN && peer.lendable()) {
      checkOpen();
      peer.send(new Peer.Loan(array), this);
      return;
    }
    sendEncoded(encode(value));
  }

  /**
   * A send made while asynchronous sends wait for the window: it waits its turn behind them, so a
   * thread's {@code sendAsync(a); send(b)} delivers a before b. Interrupted before its value was
   * queued, it sends nothing.
   */
  private void sendBehind(Object value) throws ChannelException, InterruptedException {
    CompletableFuture<Void> queued = sendAsync(value);
    try {
      queued.get();
    } catch (InterruptedException e) {
      if (!queued.cancel(false)) {
        Thread.currentThread().interrupt();
        awaitQuietly(queued);
        return;
      }
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ChannelException c) {
        throw new ChannelException(c.remote(), c.reason());
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(cause);
    }
  }

  private static void awaitQuietly(CompletableFuture<Void> queued) throws ChannelException {
    try {
      queued.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof ChannelException c) {
        throw new ChannelException(c.remote(), c.reason());
      }
      throw e;
    }
  }

  /** Queues an encoded value; blocks while the remote's window is full. */
  public void sendEncoded(Object bytes) throws ChannelException, InterruptedException {
    checkOpen();
    peer.send(bytes, this);
  }

  /** Queues an encoded value only if that does not block; returns whether it did. */
  public boolean trySendEncoded(Object bytes) throws ChannelException {
    checkOpen();
    return peer.trySend(bytes, this);
  }

  /** Returns whether a send would not block now (a failed channel is ready: it throws). */
  public boolean ready() {
    return closed.get() || peer.sendReady();
  }

  /**
   * Completes once the value is queued, without blocking the caller. Values are queued in the order
   * of the calls (a chain of calls, or calls from several threads, each keep their order), and a
   * future completed, cancelled or timed out by the caller before its value was queued sends
   * nothing. When the window is open it completes before it returns.
   */
  public CompletableFuture<Void> sendAsync(Object value) {
    Pending<Void> result = new Pending<>();
    Object bytes;
    try {
      checkOpen();
      bytes = encode(value);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    pending.add(new Outgoing(result, bytes));
    drain();
    return result;
  }

  /** One asynchronous send waiting for the window. */
  private record Outgoing(Pending<Void> result, Object bytes) {}

  /** Sends not yet queued, in the order of the calls; only the draining thread removes. */
  private final ConcurrentLinkedQueue<Outgoing> pending = new ConcurrentLinkedQueue<>();

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
      Outgoing next = pending.peek();
      if (next == null) {
        return;
      }
      Pending<Void> result = next.result();
      if (!result.claim()) {
        pending.poll(); // the caller completed or cancelled it: nothing is sent
        continue;
      }
      boolean queued;
      try {
        checkOpen();
        queued = peer.trySend(next.bytes(), this);
      } catch (ChannelException | RuntimeException e) {
        pending.poll();
        result.commit();
        completions.add(() -> result.fail(e));
        continue;
      }
      if (!queued) {
        result.release();
        drainer.arm();
        if (!peer.sendReady()) {
          return; // the waiter asks for another pass on the next change
        }
        continue;
      }
      pending.poll();
      result.commit();
      completions.add(() -> result.deliver(null));
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

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("Sender to " + peer.pid + " is closed");
    }
  }

  /**
   * Closes this end: the remote's Receiver sees EXITED after the values sent before; asynchronous
   * sends not yet queued fail.
   */
  public void close() {
    if (closed.compareAndSet(false, true)) {
      peer.closeSender();
      drain();
    }
  }
}
