package dev.deploy.master;

import dev.deploy.Pid;
import dev.deploy.bridge.ExitStatus;
import java.util.concurrent.CompletableFuture;

/**
 * Starts processes on one machine: a fabric, in this JVM or over the network. The master calls it
 * after reserving the order's resources on that machine.
 */
public interface Launcher {
  /**
   * Starts the process. The future completes when the process has registered, or exceptionally with
   * a {@link LaunchException} saying why it could not start.
   */
  CompletableFuture<Launched> launch(LaunchOrder order);

  /**
   * Stops the warm JVMs that no spawn has taken, because a spawn needs their room; the master has
   * already given that room back in its books. Default: there are none.
   */
  default void dropWarm() {}

  /**
   * Completes with how {@code pid}, which this machine ran, ended: now if it has, when it does if
   * it runs; {@link ExitStatus#lost()} if this machine does not know it.
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
