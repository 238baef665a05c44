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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
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

  /**
   * Completes with the next value, or exceptionally with the ChannelException recv would throw.
   * Futures complete in the order they were asked for, each with its own value, in the order the
   * values were sent; one completed, cancelled or timed out by the caller first takes no value.
   * Callbacks run on a pool thread, never the I/O loop. A {@code recv} at the same time as pending
   * futures competes with them for values: each value goes to exactly one.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public CompletableFuture<T> recvAsync() {
    return (CompletableFuture) end.recvAsync(); // the end's own future: a cancel reaches it
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
   * Returns a publisher of the values, for one subscriber at a time per Receiver (a second one at
   * the same time gets {@code onSubscribe} then {@code onError}). It follows the Reactive Streams
   * rules: at most the requested number of {@code onNext}, signals one at a time, never nested in
   * {@code request}. It completes when the remote closes its Sender or exits, and fails with the
   * {@link ChannelException} when it is lost, in both cases once every value that arrived was
   * delivered, and without waiting for a {@code request}. {@code request(n)} with {@code n <= 0}
   * fails it with an {@link IllegalArgumentException}. Cancelling takes no further value: the
   * values after it stay for the next {@code recv} or subscriber.
   */
  public Flow.Publisher<T> publisher() {
    return subscriber -> {
      if (subscriber == null) {
        throw new NullPointerException("§1.9: subscribe(null): the subscriber must not be null");
      }
      Subscription s = new Subscription(subscriber);
      s.start();
    };
  }

  /**
   * Delivers values on demand, one recvAsync at a time. Every signal comes from {@link #drain},
   * which one thread runs at a time, so signals are serial and a request made inside {@code onNext}
   * only asks for another turn of the loop running it.
   */
  private final class Subscription implements Flow.Subscription {
    /** The subscriber; null once terminated or cancelled, so it is not kept alive (§3.13). */
    private volatile Flow.Subscriber<? super T> subscriber;

    private final AtomicLong demand = new AtomicLong();

    /** Drain turns asked for; whoever raises it from 0 runs the loop. */
    private final AtomicInteger turns = new AtomicInteger();

    private volatile boolean cancelled;

    /** The error a misuse (request(n <= 0)) must signal, or null. */
    private volatile Throwable misuse;

    // --- drain only ---
    /** The outstanding receive, or null. */
    private CompletableFuture<T> receiving;

    /** The token of the watch for the end while there is no demand; null once it fired. */
    private final AtomicReference<Object> watching = new AtomicReference<>();

    /** The waiter of the current watch, for its removal; drain only. */
    private Runnable watcher;

    /** Whether this subscription holds the Receiver. */
    private boolean holding;

    Subscription(Flow.Subscriber<? super T> subscriber) {
      this.subscriber = subscriber;
    }

    /** Calls onSubscribe, then runs the first turn (which may signal the end without demand). */
    void start() {
      turns.set(1); // signals wait until onSubscribe has returned (§1.3)
      Flow.Subscriber<? super T> s = subscriber;
      Throwable refusal = null;
      if (!end.subscribe(this)) {
        refusal =
            new IllegalStateException(
                "§1.11: "
                    + Receiver.this
                    + " already has a subscriber; its values go to one subscriber at a time");
      } else {
        holding = true;
        try {
          end.checkOpen();
        } catch (IllegalStateException e) {
          refusal = e;
        }
      }
      try {
        s.onSubscribe(this);
      } catch (RuntimeException e) {
        cancelled = true; // §2.13: a subscriber that throws is cancelled
      }
      if (refusal != null && !cancelled) {
        misuse = refusal;
      }
      loop(1);
    }

    @Override
    public void request(long n) {
      if (n <= 0) {
        misuse =
            new IllegalArgumentException(
                "§3.9: request(" + n + ") must be positive, on the publisher of " + Receiver.this);
      } else {
        demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
      }
      drain();
    }

    @Override
    public void cancel() {
      cancelled = true;
      drain();
    }

    private void drain() {
      if (turns.getAndIncrement() == 0) {
        loop(1);
      }
    }

    private void loop(int missed) {
      do {
        while (step()) {
          // another signal or receive may follow at once
        }
        missed = turns.addAndGet(-missed);
      } while (missed != 0);
    }

    /** One move of the state machine; returns whether to look again at once. */
    private boolean step() {
      Flow.Subscriber<? super T> s = subscriber;
      if (s == null) {
        return false;
      }
      if (cancelled) {
        if (receiving != null && !receiving.cancel(false) && !receiving.isCancelled()) {
          // Its value was taken already: it was requested, so it is delivered (§3.12 allows
          // signals until the cancel takes effect) rather than lost to every reader.
          if (!receiving.isDone()) {
            return false; // its completion asks for a turn
          }
          CompletableFuture<T> taken = receiving;
          receiving = null;
          terminate();
          if (!taken.isCompletedExceptionally()) {
            signal(() -> s.onNext(taken.join()));
          }
          return false;
        }
        terminate();
        return false;
      }
      if (misuse != null) {
        terminate();
        signal(() -> s.onError(misuse));
        return false;
      }
      if (receiving != null) {
        if (!receiving.isDone()) {
          return false; // its completion asks for a turn
        }
        CompletableFuture<T> done = receiving;
        receiving = null;
        T value;
        try {
          value = done.join();
        } catch (CompletionException e) {
          Throwable cause = e.getCause();
          terminate();
          if (cause instanceof ChannelException c && c.reason() == ChannelException.Reason.EXITED) {
            signal(s::onComplete);
          } else {
            signal(() -> s.onError(cause));
          }
          return false;
        }
        demand.decrementAndGet();
        return signal(() -> s.onNext(value));
      }
      if (demand.get() > 0) {
        unwatch();
        receiving = recvAsync();
        receiving.whenComplete((v, e) -> drain());
        return false;
      }
      ChannelException.Reason ended = end.ended();
      if (ended != null) {
        terminate();
        if (ended == ChannelException.Reason.EXITED) {
          signal(s::onComplete);
        } else {
          ChannelException error = new ChannelException(remote(), ended);
          signal(() -> s.onError(error));
        }
        return false;
      }
      if (watching.get() == null) {
        // The end may come without a request (§1.4): watch for the channel's next change. The
        // token is in place before the waiter, so a waiter that fires at once clears it.
        Object token = new Object();
        watching.set(token);
        watcher =
            end.onChange(
                () -> {
                  watching.compareAndSet(token, null);
                  drain();
                });
        return true; // it may have come before the waiter was in place
      }
      return false;
    }

    private void unwatch() {
      watching.set(null);
      if (watcher != null) {
        end.removeWaiter(watcher);
        watcher = null;
      }
    }

    /** Runs a signal; a subscriber that throws (§2.13) is treated as cancelled. */
    private boolean signal(Runnable signal) {
      try {
        signal.run();
        return true;
      } catch (RuntimeException e) {
        cancelled = true;
        return true;
      }
    }

    /** Stops: no further signal, the outstanding receive given back, the Receiver freed. */
    private void terminate() {
      subscriber = null;
      unwatch();
      if (receiving != null) {
        receiving.cancel(false); // takes no value unless one was taken for it already
        receiving = null;
      }
      if (holding) {
        holding = false;
        end.unsubscribe(this);
      }
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
