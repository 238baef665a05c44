package dev.deploy.channel;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import java.util.concurrent.CompletableFuture;
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
    if (value instanceof byte[] array && array.length >= Peer.LEND_MIN && peer.lendable()) {
      checkOpen();
      peer.send(new Peer.Loan(array), this);
      return;
    }
    sendEncoded(encode(value));
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

  /** Completes once the value is queued, without blocking the caller. */
  public CompletableFuture<Void> sendAsync(Object value) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    Object bytes;
    try {
      checkOpen();
      bytes = encode(value);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    new Attempt(result, bytes).run();
    return result;
  }

  /** One try of an asynchronous send; re-arms itself on the peer's next change. */
  private final class Attempt implements Runnable {
    private final CompletableFuture<Void> result;
    private final Object bytes;
    private final Runnable wake;

    Attempt(CompletableFuture<Void> result, Object bytes) {
      this.result = result;
      this.bytes = bytes;
      this.wake = () -> table.async().execute(this);
    }

    @Override
    public void run() {
      if (result.isDone()) {
        return;
      }
      try {
        if (peer.trySend(bytes, SendEnd.this)) {
          result.complete(null);
          return;
        }
        peer.addWaiter(wake);
        if (peer.sendReady() && peer.trySend(bytes, SendEnd.this)) {
          peer.removeWaiter(wake);
          result.complete(null);
        }
      } catch (ChannelException | RuntimeException e) {
        peer.removeWaiter(wake);
        result.completeExceptionally(e);
      }
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

  /** Closes this end: the remote's Receiver sees EXITED after the values sent before. */
  public void close() {
    if (closed.compareAndSet(false, true)) {
      peer.closeSender();
    }
  }
}
