package dev.deploy.bridge;

import java.util.Objects;

/**
 * docs/api.md's exit code of the bridge (and of {@code deploy}): 0 when every process exited 0,
 * otherwise the {@link ExitStatus#shellCode() shell code} of the first process, in event order,
 * that did not (the exit code, 128 + the signal number, or 1 for a lost process).
 *
 * <p>Owned by the bridge, which calls {@link #onExit} for every {@link Event.Exit} in event order.
 * Not thread safe: the bridge calls both methods under its lock.
 */
public final class ExitCodeRule {
  /** True once an exit that is not a success was seen; from then on {@link #code} is fixed. */
  private boolean decided;

  /** 0 while nothing failed; once {@link #decided}, the first failure's shell code. */
  private int code;

  /** Takes the next exit, in event order, into account. */
  public void onExit(ExitStatus status) {
    Objects.requireNonNull(status, "status");
    if (!decided && !status.success()) {
      decided = true;
      code = status.shellCode();
    }
  }

  /** Returns the exit code of the run for the exits seen so far. */
  public int code() {
    return code;
  }
}
