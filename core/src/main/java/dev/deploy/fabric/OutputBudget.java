package dev.deploy.fabric;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How much output of exited processes a fabric's paused programs may hold in memory: at most {@link
 * #pipeLimit} bytes per pipe (so twice that per process) and {@link #totalLimit} bytes over every
 * program of the fabric. Past either bound a pump stops reading, so the rest stays in its pipe
 * until the program's output is resumed: nothing is dropped. One per fabric; every {@link
 * OutputGate} of the fabric shares its lock and condition, so one signal wakes a pump whatever it
 * waits for (its gate opening, its process exiting, room freed by another program).
 *
 * <p>Thread safe.
 */
final class OutputBudget {
  /** Default bytes one pipe of a paused program may hold once its process exited. */
  static final int PIPE_LIMIT = 2 << 20;

  /** Default bytes every paused program of a fabric may hold together. */
  static final long TOTAL_LIMIT = 64L << 20;

  final ReentrantLock lock = new ReentrantLock();

  /** Signalled on every gate change, process exit and release. */
  final Condition changed = lock.newCondition();

  /** The most one pipe holds; positive. */
  final int pipeLimit;

  /** The most the fabric holds; at least {@link #pipeLimit}. */
  final long totalLimit;

  /** Bytes reserved by pumps now, never above totalLimit; guarded by lock. */
  private long held;

  /** A budget of the default bounds. */
  OutputBudget() {
    this(PIPE_LIMIT, TOTAL_LIMIT);
  }

  /**
   * A budget of {@code pipeLimit} bytes per pipe and {@code totalLimit} bytes in all.
   *
   * @throws IllegalArgumentException when a bound is not positive or the total is below a pipe's
   */
  OutputBudget(int pipeLimit, long totalLimit) {
    if (pipeLimit <= 0 || totalLimit < pipeLimit) {
      throw new IllegalArgumentException(
          "held output bounds must be positive with the total at least a pipe's, not "
              + pipeLimit
              + " per pipe and "
              + totalLimit
              + " in all");
    }
    this.pipeLimit = pipeLimit;
    this.totalLimit = totalLimit;
  }

  /**
   * Call only when holding lock. Reserves up to {@code want} bytes for a pipe that holds {@code
   * pipeHeld} already; returns how many it reserved, 0 when either bound is reached.
   */
  int reserve(int pipeHeld, int want) {
    assert lock.isHeldByCurrentThread();
    long room = Math.min(pipeLimit - (long) pipeHeld, totalLimit - held);
    int granted = (int) Math.max(0, Math.min(want, room));
    held += granted;
    return granted;
  }

  /** Gives back {@code bytes} reserved before and wakes the pumps waiting for room. */
  void release(long bytes) {
    if (bytes == 0) {
      return;
    }
    lock.lock();
    try {
      held -= bytes;
      assert held >= 0 : "released more than was held: " + held;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Returns the bytes reserved now. */
  long held() {
    lock.lock();
    try {
      return held;
    } finally {
      lock.unlock();
    }
  }

  /** Returns how many pumps wait on a gate of this budget now. */
  int waiting() {
    lock.lock();
    try {
      return lock.getWaitQueueLength(changed);
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiting pump so it looks again (a process exited). */
  void wake() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
