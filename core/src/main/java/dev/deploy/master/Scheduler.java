package dev.deploy.master;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.ExitStatus;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What a fabric asks of the master: the {@link Master} itself when they share a JVM, or its end of
 * the link to a master on another machine. Thread safe.
 */
public interface Scheduler {
  /** Places and starts {@code order}; see {@link Master#spawn}. */
  CompletableFuture<Optional<Pid>> spawn(LaunchOrder order, boolean wait);

  /** Withdraws the queued requests of {@code parent}, which has ended. */
  void cancelWaitingOf(Pid parent);

  /** Reserves room on {@code launcher}'s machine for a warm JVM; returns whether it did. */
  boolean reserveWarm(Launcher launcher, Resources r);

  /** Gives back what {@link #reserveWarm} took. */
  void releaseWarm(Launcher launcher, Resources r);

  /**
   * Completes with how {@code pid} ended, once it has, wherever it ran; with {@link
   * ExitStatus#lost()} for a pid no machine of the cluster knows.
   */
  CompletableFuture<ExitStatus> fate(Pid pid);

  /**
   * Like {@link #fate(Pid)}, as {@code asker} is to be told: a clean exit of {@code pid} that left
   * values to {@code asker} unacknowledged is {@link ExitStatus#lost()} to it. Default: the answer
   * for everyone.
   */
  default CompletableFuture<ExitStatus> fate(Pid pid, Pid asker) {
    return fate(pid);
  }
}
