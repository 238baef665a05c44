package dev.deploy.bridge;

import dev.deploy.Pid;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Collects every process's events, prints them in one format and decides the run's exit code. The
 * run is over when no process is alive and no launch is pending; then {@link #done()} completes
 * with the code of {@link ExitCodeRule}.
 *
 * <p>Thread safe: fabrics' threads call it concurrently; one lock orders the events and keeps the
 * format single-threaded. Writing may block on the terminal, which is the back-pressure that keeps
 * a chatty process from growing the bridge's memory.
 */
public final class Bridge implements EventSink {
  private final ReentrantLock lock = new ReentrantLock();

  /** Signalled whenever a process exits or a launch settles. */
  private final java.util.concurrent.locks.Condition quiet = lock.newCondition();

  /** Called only under lock. */
  private final EventFormat format;

  /** Called only under lock. */
  private final ExitCodeRule exitCode = new ExitCodeRule();

  /** Processes spawned and not yet exited; guarded by lock. */
  private final Set<Pid> alive = new HashSet<>();

  /** Launches neither registered nor failed; guarded by lock. */
  private int pending;

  /** Set when writing failed; nothing more is printed. Guarded by lock. */
  private boolean outputBroken;

  /** Set once a first launch began, so an empty run at start is not taken as over. */
  private boolean started;

  private final CompletableFuture<Integer> done = new CompletableFuture<>();

  /** Prints events with {@code format}. */
  public Bridge(EventFormat format) {
    this.format = format;
  }

  @Override
  public void onEvent(Event event) {
    lock.lock();
    try {
      if (event instanceof Event.Waiting w && !alive.contains(w.pid())) {
        return; // its parent ended meanwhile: the spawn is withdrawn
      }
      if (event instanceof Event.Spawned s) {
        alive.add(s.pid());
      } else if (event instanceof Event.Exit e) {
        alive.remove(e.pid());
        exitCode.onExit(e.status());
      }
      write(event);
      checkDone();
    } catch (IOException e) {
      broken();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void onLaunchPending() {
    lock.lock();
    try {
      started = true;
      pending++;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void onLaunchSettled() {
    lock.lock();
    try {
      pending--;
      checkDone();
    } catch (IOException e) {
      broken();
    } finally {
      lock.unlock();
    }
  }

  /** Flushes the format. */
  public void flush() {
    lock.lock();
    try {
      if (!outputBroken) {
        format.flush();
      }
    } catch (IOException e) {
      broken();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Call only when holding lock. Every event is flushed: an output chunk is a pump's whole read (up
   * to 64 KiB), so this is one write per chunk, and a line a process printed before it waits shows
   * at once.
   */
  private void write(Event event) throws IOException {
    if (outputBroken) {
      return;
    }
    format.write(event);
    format.flush();
  }

  /**
   * Call only when holding lock. The terminal or pipe we print to is gone (say, {@code | head}
   * exited): like a program that gets SIGPIPE, the run ends with 128 + 13, and this never throws
   * into the fabric's threads.
   */
  private void broken() {
    outputBroken = true;
    done.complete(128 + 13);
  }

  /** Call only when holding lock. */
  private void checkDone() throws IOException {
    quiet.signalAll();
    if (started && pending == 0 && alive.isEmpty() && !done.isDone()) {
      if (!outputBroken) {
        format.flush();
      }
      done.complete(exitCode.code());
    }
  }

  /**
   * Waits up to {@code millis} until no process is alive and no launch pending; for a run that is
   * being shut down, so the exits of the processes it killed are printed before it ends.
   */
  public void awaitQuiet(long millis) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
    lock.lock();
    try {
      while (!(pending == 0 && alive.isEmpty())) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        quiet.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  /** Completes with the run's exit code once every process has exited. */
  public CompletableFuture<Integer> done() {
    return done;
  }
}
