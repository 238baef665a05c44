package dev.deploy.process;

import dev.deploy.logging.Loggers;
import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;

/**
 * The one thread that forks every fenced process of this JVM, for as long as the JVM runs.
 *
 * <p>Why a thread of its own: Linux's parent-death signal ({@code PR_SET_PDEATHSIG}, which {@code
 * setpriv --pdeathsig} sets) fires when the <em>thread</em> that forked the child ends, not the
 * process, and Java forks from the thread that calls {@link ProcessBuilder#start()}. Started from a
 * pool thread that idles out, a process would be killed a minute later. This thread never ends (a
 * failing start is caught), so the signal fires only when the JVM dies.
 *
 * <p>Thread safe: any thread calls {@link #start}, which waits (uninterruptibly, a fork takes
 * milliseconds) for this thread to do it.
 */
final class ForkThread {
  private static final Logger log = Loggers.get(ForkThread.class);

  /** Starts waiting to be run, in order. */
  private final BlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();

  /** Runs every start; alive until the JVM exits. */
  private final Thread thread;

  ForkThread(String name) {
    thread = new Thread(this::loop, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Starts {@code builder}'s process on this thread and returns it. */
  Process start(ProcessBuilder builder) throws IOException {
    if (Thread.currentThread() == thread) {
      return builder.start();
    }
    CompletableFuture<Process> started = new CompletableFuture<>();
    queue.add(
        () -> {
          try {
            started.complete(builder.start());
          } catch (Throwable e) {
            started.completeExceptionally(e);
          }
        });
    try {
      // Not interruptible: an interrupted caller must still get (and own) what was started.
      return started.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("cannot start " + builder.command().get(0), cause);
    }
  }

  /** Returns whether the calling thread is this one. */
  boolean isCurrent() {
    return Thread.currentThread() == thread;
  }

  private void loop() {
    while (true) {
      try {
        queue.take().run();
      } catch (InterruptedException e) {
        // Nobody may end this thread: its children would get their parent-death signal.
        log.debug("the fork thread ignores an interrupt");
      } catch (Throwable e) {
        log.warn("the fork thread survived an error", e);
      }
    }
  }
}
