package dev.deploy.channel;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

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

  /** Completes with the next value, without blocking the caller. */
  public CompletableFuture<Object> recvAsync() {
    CompletableFuture<Object> result = new CompletableFuture<>();
    try {
      checkOpen();
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    table.async().execute(new Attempt(result));
    return result;
  }

  /** One try of an asynchronous receive; re-arms itself on the peer's next change. */
  private final class Attempt implements Runnable {
    private final CompletableFuture<Object> result;
    private final Runnable wake;

    Attempt(CompletableFuture<Object> result) {
      this.result = result;
      this.wake = () -> table.async().execute(this);
    }

    @Override
    public void run() {
      if (result.isDone()) {
        return;
      }
      try {
        Object bytes = peer.take(0, ReceiveEnd.this);
        if (bytes == null) {
          peer.addWaiter(wake);
          if (!peer.takeReady()) {
            return;
          }
          peer.removeWaiter(wake);
          bytes = peer.take(0, ReceiveEnd.this);
          if (bytes == null) {
            peer.addWaiter(wake);
            return;
          }
        }
        result.complete(decode(bytes));
      } catch (ChannelException | RuntimeException e) {
        result.completeExceptionally(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
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
      throw new IllegalStateException("Receiver to " + peer.pid + " is closed");
    }
  }

  /**
   * Closes this end; values still queued for it are dropped, and a recv blocked on it throws EXITED
   * saying this process closed it (it never takes a later Receiver's value).
   */
  public void close() {
    if (closed.compareAndSet(false, true)) {
      peer.closeReceiver();
    }
  }
}
