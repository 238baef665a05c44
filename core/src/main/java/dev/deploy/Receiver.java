package dev.deploy;

import dev.deploy.channel.ReceiveEnd;
import dev.deploy.runtime.ProcessRuntime;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The receiving end of a simplex, ordered, reliable channel of {@code T} values from {@code remote}
 * to this process.
 *
 * <p>Construction never blocks. At most one open {@code Receiver} per remote in a process; after
 * {@link #close()} a new one may be made, even with another {@code T}. A {@code recv} on a channel
 * whose remote is gone never hangs: it returns the values that arrived, then throws {@code EXITED}
 * (the remote closed its Sender or exited) or {@code LOST} (it died). Thread safe.
 *
 * @param <T> the type of the values
 */
public final class Receiver<T> implements AutoCloseable {
  private final ReceiveEnd end;

  /**
   * Opens the channel from {@code remote}.
   *
   * @throws IllegalStateException when a Receiver to {@code remote} is already open, when {@code
   *     remote} is this process, or before {@code init}
   */
  public Receiver(Pid remote) {
    this.end = ProcessRuntime.get().channels().openReceiver(remote);
  }

  /**
   * Blocks until a value arrives and returns it.
   *
   * @throws ChannelException EXITED or LOST once the remote is gone and every value that arrived
   *     was returned
   */
  @SuppressWarnings("unchecked")
  public T recv() throws ChannelException {
    try {
      return (T) end.recv(Long.MAX_VALUE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw interrupted(end.remote());
    }
  }

  /**
   * Waits up to {@code timeout} for a value; empty on timeout (and for a null value).
   *
   * @throws ChannelException as {@link #recv}
   */
  @SuppressWarnings("unchecked")
  public Optional<T> recv(Duration timeout) throws ChannelException {
    long nanos = timeout.toNanos();
    long deadline = nanos <= 0 ? 0 : Math.max(1, System.nanoTime() + nanos);
    try {
      Object v = end.recv(deadline);
      return v == ReceiveEnd.NONE ? Optional.empty() : Optional.ofNullable((T) v);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw interrupted(end.remote());
    }
  }

  /**
   * Returns a value if one is waiting, else empty, without blocking.
   *
   * @throws ChannelException as {@link #recv}
   */
  public Optional<T> tryRecv() throws ChannelException {
    return recv(Duration.ZERO);
  }

  /** Completes with the next value, or exceptionally with the ChannelException recv would throw. */
  @SuppressWarnings("unchecked")
  public CompletableFuture<T> recvAsync() {
    return end.recvAsync().thenApply(v -> (T) v);
  }

  /**
   * Returns the values as a sequential stream that ends when the remote closes its Sender or exits;
   * a lost remote makes the stream throw an {@link UncheckedIOException} wrapping the {@link
   * ChannelException}.
   */
  public Stream<T> stream() {
    Spliterator<T> values =
        new Spliterators.AbstractSpliterator<T>(
            Long.MAX_VALUE, Spliterator.ORDERED | Spliterator.NONNULL) {
          @Override
          public boolean tryAdvance(Consumer<? super T> action) {
            try {
              action.accept(recv());
              return true;
            } catch (ChannelException e) {
              if (e.reason() == ChannelException.Reason.EXITED) {
                return false;
              }
              throw new UncheckedIOException(e);
            }
          }
        };
    return StreamSupport.stream(values, false);
  }

  /**
   * Returns a publisher of the values for one subscriber at a time: it completes when the remote
   * closes its Sender or exits, and fails with the {@link ChannelException} when it is lost.
   */
  public Flow.Publisher<T> publisher() {
    return subscriber -> {
      Subscription s = new Subscription(subscriber);
      subscriber.onSubscribe(s);
    };
  }

  /** Delivers values on demand, one recvAsync at a time. */
  private final class Subscription implements Flow.Subscription {
    private final Flow.Subscriber<? super T> subscriber;
    private final AtomicLong demand = new AtomicLong();
    private final AtomicBoolean done = new AtomicBoolean();
    private final ReentrantLock lock = new ReentrantLock();

    /** True while a recvAsync is outstanding; guarded by lock. */
    private boolean receiving;

    Subscription(Flow.Subscriber<? super T> subscriber) {
      this.subscriber = subscriber;
    }

    @Override
    public void request(long n) {
      if (n <= 0) {
        finish(new IllegalArgumentException("request(" + n + "): must be positive (rule 3.9)"));
        return;
      }
      demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
      pull();
    }

    private void pull() {
      lock.lock();
      try {
        if (receiving || done.get() || demand.get() == 0) {
          return;
        }
        receiving = true;
      } finally {
        lock.unlock();
      }
      recvAsync().whenComplete(this::onResult);
    }

    private void onResult(T value, Throwable error) {
      lock.lock();
      try {
        receiving = false;
      } finally {
        lock.unlock();
      }
      if (done.get()) {
        return;
      }
      if (error != null) {
        Throwable cause = error instanceof CompletionException ? error.getCause() : error;
        if (cause instanceof ChannelException c && c.reason() == ChannelException.Reason.EXITED) {
          if (done.compareAndSet(false, true)) {
            subscriber.onComplete();
          }
        } else {
          finish(cause);
        }
        return;
      }
      demand.decrementAndGet();
      subscriber.onNext(value);
      pull();
    }

    private void finish(Throwable error) {
      if (done.compareAndSet(false, true)) {
        subscriber.onError(error);
      }
    }

    @Override
    public void cancel() {
      done.set(true);
    }
  }

  /** Returns the pid this channel receives from. */
  public Pid remote() {
    return end.remote();
  }

  ReceiveEnd end() {
    return end;
  }

  /** Closes this end; values that arrived and were not received are dropped. */
  @Override
  public void close() {
    end.close();
  }

  static java.util.concurrent.CancellationException interrupted(Pid remote) {
    return new java.util.concurrent.CancellationException(
        "interrupted while waiting on the channel with " + remote);
  }

  @Override
  public String toString() {
    return "Receiver from " + end.remote();
  }
}
