package dev.deploy;

import dev.deploy.channel.ReceiveEnd;
import dev.deploy.channel.SendEnd;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Waits on several channel operations at once, like Go's {@code select}:
 *
 * <pre>{@code
 * int which = Select.select(
 *     Select.recv(receiverA, value -> ...),
 *     Select.send(senderB, () -> nextValue, () -> ...));
 * }</pre>
 *
 * <p>{@link #select(Selectable...)} blocks until at least one operation can proceed without
 * blocking, runs exactly one of the ready ones, chosen uniformly at random, and returns its index.
 * An operation whose channel failed is ready: its error handler receives the {@link
 * ChannelException}, and without one {@code select} throws it. Callbacks run on the calling thread.
 * A send operation's value supplier is called only when that operation is chosen.
 */
public final class Select {
  private Select() {}

  /** One operation of a select; made by {@link #recv} and {@link #send}. */
  public abstract static class Selectable {
    private Selectable() {}

    abstract boolean ready();

    /** Runs the operation if it can without blocking; returns whether it ran. */
    abstract boolean attempt() throws ChannelException;

    abstract void addWaiter(Runnable waiter);

    abstract void removeWaiter(Runnable waiter);
  }

  /** Receives a value from {@code receiver} and gives it to {@code onValue}. */
  public static <T> Selectable recv(Receiver<T> receiver, Consumer<? super T> onValue) {
    return recv(receiver, onValue, null);
  }

  /**
   * Receives a value from {@code receiver} and gives it to {@code onValue}; a failed channel's
   * {@link ChannelException} goes to {@code onError}.
   */
  public static <T> Selectable recv(
      Receiver<T> receiver, Consumer<? super T> onValue, Consumer<ChannelException> onError) {
    ReceiveEnd end = receiver.end();
    return new Selectable() {
      @Override
      boolean ready() {
        return end.ready();
      }

      @Override
      @SuppressWarnings("unchecked")
      boolean attempt() throws ChannelException {
        Object v;
        try {
          v = end.recv(0);
        } catch (ChannelException e) {
          if (onError == null) {
            throw e;
          }
          onError.accept(e);
          return true;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw Receiver.interrupted(end.remote());
        }
        if (v == ReceiveEnd.NONE) {
          return false;
        }
        onValue.accept((T) v);
        return true;
      }

      @Override
      void addWaiter(Runnable waiter) {
        end.addWaiter(waiter);
      }

      @Override
      void removeWaiter(Runnable waiter) {
        end.removeWaiter(waiter);
      }
    };
  }

  /** Sends the value {@code value} supplies to {@code sender}, then runs {@code onSent}. */
  public static <T> Selectable send(
      Sender<T> sender, Supplier<? extends T> value, Runnable onSent) {
    return send(sender, value, onSent, null);
  }

  /**
   * Sends the value {@code value} supplies to {@code sender}, then runs {@code onSent}; a failed
   * channel's {@link ChannelException} goes to {@code onError}.
   */
  public static <T> Selectable send(
      Sender<T> sender,
      Supplier<? extends T> value,
      Runnable onSent,
      Consumer<ChannelException> onError) {
    SendEnd end = sender.end();
    return new Selectable() {
      /** The chosen value, encoded once even if the send must be retried. */
      private Object encoded;

      @Override
      boolean ready() {
        return end.ready();
      }

      @Override
      boolean attempt() throws ChannelException {
        try {
          if (encoded == null) {
            encoded = end.encode(value.get());
          }
          if (!end.trySendEncoded(encoded)) {
            return false; // keep the value for the next try of this select
          }
          encoded = null; // sent: the next select supplies a fresh value
        } catch (ChannelException e) {
          encoded = null;
          if (onError == null) {
            throw e;
          }
          onError.accept(e);
          return true;
        }
        if (onSent != null) {
          onSent.run();
        }
        return true;
      }

      @Override
      void addWaiter(Runnable waiter) {
        end.addWaiter(waiter);
      }

      @Override
      void removeWaiter(Runnable waiter) {
        end.removeWaiter(waiter);
      }
    };
  }

  /**
   * Blocks until one of {@code ops} can proceed, runs one of the ready ones chosen uniformly at
   * random, and returns its index.
   *
   * @throws ChannelException from a failed channel whose operation has no error handler
   * @throws IllegalArgumentException when there are no operations
   */
  public static int select(Selectable... ops) throws ChannelException {
    return run(Long.MAX_VALUE, ops);
  }

  /**
   * Like {@link #select(Selectable...)}, but returns -1 when nothing could proceed within {@code
   * timeout}.
   */
  public static int select(Duration timeout, Selectable... ops) throws ChannelException {
    long nanos = timeout.toNanos();
    long deadline = System.nanoTime() + Math.max(0, nanos);
    return run(deadline, ops);
  }

  private static int run(long deadline, Selectable[] ops) throws ChannelException {
    if (ops.length == 0) {
      throw new IllegalArgumentException("select needs at least one operation");
    }
    int[] order = new int[ops.length];
    Wakeup wakeup = new Wakeup();
    while (true) {
      shuffle(order);
      // Pass 1: look for something already ready, in random order.
      for (int i : order) {
        if (ops[i].ready() && ops[i].attempt()) {
          return i;
        }
      }
      if (deadline != Long.MAX_VALUE && deadline - System.nanoTime() <= 0) {
        return -1;
      }
      // Pass 2: wait on all of them; re-check after enqueuing so no change is missed.
      wakeup.reset();
      for (Selectable op : ops) {
        op.addWaiter(wakeup);
      }
      boolean anyReady = false;
      for (Selectable op : ops) {
        anyReady |= op.ready();
      }
      if (!anyReady) {
        wakeup.await(deadline);
      }
      // Pass 3: dequeue from the ones that did not fire. A wake-up with no winner just loops.
      for (Selectable op : ops) {
        op.removeWaiter(wakeup);
      }
    }
  }

  private static void shuffle(int[] order) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < order.length; i++) {
      int j = random.nextInt(i + 1);
      order[i] = order[j];
      order[j] = i;
    }
  }

  /** Parks the selecting thread until a channel changes; runs on whichever thread signals. */
  private static final class Wakeup implements Runnable {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition fired = lock.newCondition();
    private boolean signalled;

    void reset() {
      lock.lock();
      try {
        signalled = false;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void run() {
      lock.lock();
      try {
        signalled = true;
        fired.signalAll();
      } finally {
        lock.unlock();
      }
    }

    void await(long deadline) {
      lock.lock();
      try {
        while (!signalled) {
          if (deadline == Long.MAX_VALUE) {
            fired.await();
          } else {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
              return;
            }
            fired.awaitNanos(left);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.util.concurrent.CancellationException("interrupted while in select");
      } finally {
        lock.unlock();
      }
    }
  }
}
