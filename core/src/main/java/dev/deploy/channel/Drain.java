package dev.deploy.channel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves one end's pending asynchronous operations ({@code sendAsync}, {@code recvAsync}) from one
 * thread at a time: a second wake-up while a pass runs only asks for another pass, so no operation
 * is served twice or out of turn. The end's {@link Pass} serves what it can and, when one must
 * wait, {@link #arm}s the peer's waiter, which schedules the next pass on the table's pool at the
 * peer's next change. Completions collected during the passes run after them, off the drain, so a
 * callback that sends or receives again, or blocks, cannot stall or reorder it.
 *
 * <p>Thread safe: any thread may {@link #run} or {@link #schedule}.
 */
final class Drain {
  /** One pass of an end: serves its pending operations, adding completions to run afterwards. */
  interface Pass {
    void serve(List<Runnable> completions);
  }

  private final ChannelTable table;
  private final Peer peer;
  private final Pass pass;

  /** Passes asked for; the thread that raises it from 0 drains, so one drains at a time. */
  private final AtomicInteger passes = new AtomicInteger();

  /** True while {@link #wake} is registered with the peer. */
  private final AtomicBoolean armed = new AtomicBoolean();

  /** The peer's waiter: a change may let a pending operation proceed. */
  private final Runnable wake =
      () -> {
        armed.set(false);
        schedule();
      };

  Drain(ChannelTable table, Peer peer, Pass pass) {
    this.table = table;
    this.peer = peer;
    this.pass = pass;
  }

  /** Runs a drain on the table's pool. */
  void schedule() {
    try {
      table.async().execute(this::run);
    } catch (RejectedExecutionException e) {
      // The table is shutting down: its process is exiting, nobody waits for these futures.
    }
  }

  /** Drains on this thread, unless another thread is draining (which then makes another pass). */
  void run() {
    if (passes.getAndIncrement() != 0) {
      return;
    }
    List<Runnable> completions = new ArrayList<>();
    int missed = 1;
    do {
      pass.serve(completions);
      missed = passes.addAndGet(-missed);
    } while (missed != 0);
    for (Runnable c : completions) {
      c.run();
    }
  }

  /** For a pass that must wait: asks the peer for a pass at its next change, once. */
  void arm() {
    if (armed.compareAndSet(false, true)) {
      peer.addWaiter(wake);
    }
  }
}
