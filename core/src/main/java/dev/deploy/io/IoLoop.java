package dev.deploy.io;

import dev.deploy.logging.Loggers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A process's one I/O thread: a NIO selector, a queue of commands from other threads and timers on
 * an injected clock. {@link #runOnce} drains the commands, selects until the next timer, hands
 * ready keys to their {@link Handler}, and runs due timers. Other threads only {@link #execute}
 * commands; no user code, codec work or blocking runs here.
 *
 * <p>Failures: a {@code RuntimeException} or {@code OutOfMemoryError} from one handler, command or
 * timer stays there (a handler hears it in {@link Handler#onFailure}, a connection closes and its
 * channels see {@code LOST}) and the loop goes on, logged at most once per {@link
 * #FAILURE_LOG_NANOS}. Any other {@code Throwable} is one the loop cannot vouch for surviving: it
 * leaves {@link #runOnce}, and a started loop's thread hands it to its {@link Death} instead of
 * dying silently and leaving the process alive but deaf.
 *
 * <p>Thread safe: {@link #execute} from any thread; everything else on the loop thread.
 */
public final class IoLoop implements AutoCloseable {
  private static final Logger log = Loggers.get(IoLoop.class);

  /** Something registered with the selector. */
  public interface Handler {
    /** Loop thread: the key is ready for its interest ops. */
    void onReady(SelectionKey key);

    /**
     * Loop thread: {@link #onReady} threw {@code failure} (a {@code RuntimeException} or an {@code
     * OutOfMemoryError}); the loop logged it and goes on. By default nothing more: a listening port
     * stays open.
     */
    default void onFailure(SelectionKey key, Throwable failure) {}
  }

  /** What a started loop's thread does with a {@code Throwable} it cannot survive. */
  public interface Death {
    /** The loop thread named {@code thread} ends because of {@code failure}. */
    void died(String thread, Throwable failure);
  }

  /** Failures of handlers, commands and timers are logged at most once per this. */
  static final long FAILURE_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final Selector selector;
  private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();

  /**
   * False only while the loop sleeps in select (or is about to): then the first execute() wakes it.
   * True while it runs, or once a wake-up is owed.
   */
  private final AtomicBoolean wakeupPending = new AtomicBoolean(true);

  /** Due times on {@link #clock}; loop thread only. */
  private final PriorityQueue<Timer> timers = new PriorityQueue<>();

  private final LongSupplier clock;
  private volatile Thread thread;
  private volatile boolean running = true;
  private long timerSequence;

  /** When a contained failure was last logged, and how many went unlogged since; loop thread. */
  private long failureLogged;

  private long failuresUnlogged;

  private boolean failureEverLogged;

  /** A task due at a time; cancel() is loop-thread only. */
  public static final class Timer implements Comparable<Timer> {
    final long due;
    final long sequence;
    final Runnable task;
    boolean cancelled;

    Timer(long due, long sequence, Runnable task) {
      this.due = due;
      this.sequence = sequence;
      this.task = task;
    }

    /** Loop thread: the task will not run. */
    public void cancel() {
      cancelled = true;
    }

    @Override
    public int compareTo(Timer o) {
      int c = Long.compare(due, o.due);
      return c != 0 ? c : Long.compare(sequence, o.sequence);
    }
  }

  /** The silence limit of this loop's connections. */
  private final SilenceLimit silence;

  /**
   * Creates a loop on {@code clock} (nanoseconds, like {@link System#nanoTime}) whose connections
   * take the process's {@link SilenceLimit#current}.
   */
  public IoLoop(LongSupplier clock) {
    this(clock, SilenceLimit.current());
  }

  /** Creates a loop on {@code clock} whose connections are lost after {@code silence}. */
  public IoLoop(LongSupplier clock, SilenceLimit silence) {
    this.clock = clock;
    this.silence = silence;
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
  }

  /**
   * Starts a daemon thread named {@code name} that runs the loop until {@link #close}; a {@code
   * Throwable} it cannot survive is logged as an error and ends it. A process's loop uses {@link
   * #start(String, Death)}, so that it does not live on deaf.
   */
  public void start(String name) {
    start(name, new LogDeath());
  }

  /**
   * Starts a daemon thread named {@code name} that runs the loop until {@link #close}; a {@code
   * Throwable} it cannot survive goes to {@code death} (the selector is closed first).
   */
  public void start(String name, Death death) {
    Thread t =
        new Thread(
            new Runnable() {
              @Override
              public void run() {
                try {
                  while (running) {
                    runOnce(1000);
                  }
                } catch (Throwable e) {
                  running = false;
                  closeSelector();
                  death.died(name, e);
                  return;
                }
                closeSelector();
              }
            },
            name);
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  /** Returns whether the caller is the loop thread. */
  public boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Any thread: runs {@code command} on the loop thread, soon. */
  public void execute(Runnable command) {
    commands.add(command);
    if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  /** Loop thread: runs {@code task} after {@code delayNanos}, counted from the clock's now. */
  public Timer schedule(long delayNanos, Runnable task) {
    return scheduleAt(clock.getAsLong() + delayNanos, task);
  }

  /**
   * Loop thread: runs {@code task} once the clock reaches {@code dueNanos}. For a periodic task
   * that made its decisions at a {@link #now} it read: counting its next run from that reading, not
   * from a fresh one, keeps the period even when the clock moved while it ran.
   */
  public Timer scheduleAt(long dueNanos, Runnable task) {
    Timer t = new Timer(dueNanos, timerSequence++, task);
    timers.add(t);
    return t;
  }

  /** Returns how long this loop's connections may hear nothing before they are lost. */
  public SilenceLimit silence() {
    return silence;
  }

  /** Returns the loop's clock, in nanoseconds. */
  public long now() {
    return clock.getAsLong();
  }

  /** Loop thread: registers {@code channel} (non-blocking) for {@code ops}. */
  public SelectionKey register(SelectableChannel channel, int ops, Handler handler)
      throws ClosedChannelException {
    return channel.register(selector, ops, handler);
  }

  /**
   * Loop thread: one round. Returns the number of commands, keys and timers handled.
   *
   * @param maxWaitMillis the longest the selector may block when nothing is due
   */
  public int runOnce(long maxWaitMillis) {
    int work = drainCommands();
    long now = clock.getAsLong();
    long waitMillis = maxWaitMillis;
    Timer next = peekTimer();
    if (next != null) {
      waitMillis = Math.min(waitMillis, TimeUnit.NANOSECONDS.toMillis(next.due - now + 999_999));
    }
    try {
      int ready;
      if (work > 0 || !commands.isEmpty() || waitMillis <= 0) {
        ready = selector.selectNow();
      } else {
        // Only a loop about to sleep needs waking: while it runs, execute() skips the
        // selector's wake-up (a system call each). A command that came in just before the flag
        // dropped is seen by the re-check.
        wakeupPending.set(false);
        if (!commands.isEmpty()) {
          wakeupPending.set(true);
          ready = selector.selectNow();
        } else {
          ready = selector.select(Math.max(1, waitMillis));
          wakeupPending.set(true);
        }
      }
      if (ready > 0) {
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey key = it.next();
          it.remove();
          work++;
          Handler handler = (Handler) key.attachment();
          try {
            handler.onReady(key);
          } catch (CancelledKeyException e) {
            // Closed by an earlier handler in this round.
          } catch (RuntimeException | OutOfMemoryError e) {
            contained("a handler of " + key.channel(), e);
            try {
              handler.onFailure(key, e);
            } catch (RuntimeException | OutOfMemoryError again) {
              contained("the failure handler of " + key.channel(), again);
            }
          }
        }
      }
    } catch (IOException e) {
      log.warn("the selector failed: {}", e.toString());
    }
    work += runTimers();
    return work;
  }

  private int drainCommands() {
    int n = 0;
    Runnable c;
    while ((c = commands.poll()) != null) {
      n++;
      try {
        c.run();
      } catch (RuntimeException | OutOfMemoryError e) {
        contained("an I/O command", e);
      }
    }
    return n;
  }

  private Timer peekTimer() {
    while (!timers.isEmpty() && timers.peek().cancelled) {
      timers.poll();
    }
    return timers.peek();
  }

  private int runTimers() {
    int n = 0;
    long now = clock.getAsLong();
    Timer t;
    while ((t = peekTimer()) != null && t.due - now <= 0) {
      timers.poll();
      n++;
      try {
        t.task.run();
      } catch (RuntimeException | OutOfMemoryError e) {
        contained("an I/O timer", e);
      }
    }
    return n;
  }

  /**
   * Loop thread: {@code what} failed with {@code e} and the loop goes on. Logs it, with its stack
   * the first time, and then at most once per {@link #FAILURE_LOG_NANOS} with a count, so a flood
   * of failing connections costs a line a minute.
   */
  private void contained(String what, Throwable e) {
    long now = clock.getAsLong();
    if (failureEverLogged && now - failureLogged < FAILURE_LOG_NANOS) {
      failuresUnlogged++;
      return;
    }
    String more =
        failuresUnlogged == 0 ? "" : " (" + failuresUnlogged + " more failures since the last)";
    if (failureEverLogged) {
      log.warn("{} failed on the I/O thread, which goes on: {}{}", what, e.toString(), more);
    } else {
      log.warn("{} failed on the I/O thread, which goes on", what, e);
    }
    failureEverLogged = true;
    failureLogged = now;
    failuresUnlogged = 0;
  }

  /** The default {@link Death}: an error in the log. */
  private static final class LogDeath implements Death {
    @Override
    public void died(String thread, Throwable failure) {
      log.error("the I/O thread {} died; its channels are deaf from now on", thread, failure);
    }
  }

  /** Stops the loop thread after its current round. */
  @Override
  public void close() {
    running = false;
    if (thread == null) {
      closeSelector(); // driven by runOnce only: nobody else will close it
    } else {
      selector.wakeup();
    }
  }

  private void closeSelector() {
    try {
      selector.close();
    } catch (IOException ignored) {
      // Closing at the end of the process.
    }
  }
}
