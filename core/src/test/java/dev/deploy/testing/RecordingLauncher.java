package dev.deploy.testing;

import dev.deploy.Pid;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.master.LaunchException;
import dev.deploy.master.LaunchOrder;
import dev.deploy.master.Launched;
import dev.deploy.master.Launcher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Launcher} that starts nothing: it records each order and leaves its future pending until
 * the test completes it by hand with {@link Call#start()} or {@link Call#fail(String)}, and ends
 * the process with {@link Call#exit(ExitStatus)}. Thread safe; calls are kept in the order the
 * master made them.
 */
public final class RecordingLauncher implements Launcher {
  private static final AtomicLong KEYS = new AtomicLong(0x1000);

  /** The launches asked for, oldest first; guarded by this. */
  private final List<Call> calls = new ArrayList<>();

  /** When not null, {@link #launch} throws it instead of recording; guarded by this. */
  private RuntimeException throwOnLaunch;

  /** One launch the master asked for. */
  public static final class Call {
    private final LaunchOrder order;
    private final CompletableFuture<Launched> launched = new CompletableFuture<>();
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private final Pid pid = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, KEYS.getAndIncrement() << 8);

    private Call(LaunchOrder order) {
      this.order = order;
    }

    /** Returns what the master asked to start. */
    public LaunchOrder order() {
      return order;
    }

    /** Returns the pid this launch registers as once {@link #start()} is called. */
    public Pid pid() {
      return pid;
    }

    /** Returns true once the test started or failed this launch. */
    public boolean answered() {
      return launched.isDone();
    }

    /** Reports the process as started and registered; returns its pid. */
    public Pid start() {
      launched.complete(new Launched(pid, exit));
      return pid;
    }

    /** Reports that the process could not start. */
    public void fail(String reason) {
      launched.completeExceptionally(new LaunchException(reason));
    }

    /** Reports that the started process ended. */
    public void exit(ExitStatus status) {
      exit.complete(status);
    }

    /** Reports that the process's monitor failed, so its end is an error. */
    public void exitExceptionally(Throwable error) {
      exit.completeExceptionally(error);
    }
  }

  /** The end of a pid this launcher started, or lost for one it did not. */
  @Override
  public synchronized CompletableFuture<ExitStatus> fate(Pid pid) {
    for (Call c : calls) {
      if (c.pid.equals(pid) && c.answered()) {
        return c.exit;
      }
    }
    return CompletableFuture.completedFuture(ExitStatus.lost());
  }

  @Override
  public synchronized CompletableFuture<Launched> launch(LaunchOrder order) {
    if (throwOnLaunch != null) {
      RuntimeException e = throwOnLaunch;
      throwOnLaunch = null;
      throw e;
    }
    Call call = new Call(order);
    calls.add(call);
    return call.launched;
  }

  /** Makes the next {@link #launch} throw {@code e} instead of returning a future. */
  public synchronized void throwOnNextLaunch(RuntimeException e) {
    throwOnLaunch = e;
  }

  /** Returns how many launches were asked for. */
  public synchronized int count() {
    return calls.size();
  }

  /** Returns the {@code index}th launch asked for, from 0. */
  public synchronized Call call(int index) {
    return calls.get(index);
  }

  /** Returns the most recent launch asked for. */
  public synchronized Call last() {
    if (calls.isEmpty()) {
      throw new AssertionError("no launch was asked for");
    }
    return calls.get(calls.size() - 1);
  }

  /** Returns the orders asked for, oldest first. */
  public synchronized List<LaunchOrder> orders() {
    List<LaunchOrder> orders = new ArrayList<>();
    calls.forEach(c -> orders.add(c.order));
    return orders;
  }
}
