package dev.deploy.fabric;

import java.util.function.BooleanSupplier;

/**
 * Whether a program's output pumps may read on: closed while its bridge holds more than it can pass
 * on (a client that reads slowly, a pager), so the pipes fill and the processes wait, as a slow
 * terminal makes a local process wait. A process that exits while its gate is closed still has its
 * pipes read, into memory bounded by the fabric's {@link OutputBudget}, so its last output is kept
 * and delivered once the gate opens. One per program on each fabric.
 *
 * <p>Thread safe: its state is under its budget's lock.
 */
final class OutputGate {
  private final OutputBudget budget;

  /** Written under budget.lock; read without it on the pumps' fast path. */
  private volatile boolean closed;

  /** A gate with a budget of its own, of the default bounds. */
  OutputGate() {
    this(new OutputBudget());
  }

  /** A gate whose held output counts against {@code budget}, shared by the fabric's gates. */
  OutputGate(OutputBudget budget) {
    this.budget = budget;
  }

  /** Opens or closes the gate. */
  void set(boolean open) {
    budget.lock.lock();
    try {
      closed = !open;
      budget.changed.signalAll();
    } finally {
      budget.lock.unlock();
    }
  }

  /** Returns whether the gate is open now. */
  boolean isOpen() {
    return !closed;
  }

  /** Waits while the gate is closed. */
  void awaitOpen() throws InterruptedException {
    if (!closed) {
      return;
    }
    budget.lock.lock();
    try {
      while (closed) {
        budget.changed.await();
      }
    } finally {
      budget.lock.unlock();
    }
  }

  /**
   * Waits until the gate is open, or until {@code exited} says the pump's process ended and the
   * budget has room for the pipe, which holds {@code pipeHeld} bytes. Returns 0 when the gate is
   * open (read and pass on as usual), else the bytes, at most {@code want}, now reserved for the
   * pump to hold: it gives back what it does not use with {@link #release}.
   */
  int awaitOpenOrRoom(BooleanSupplier exited, int pipeHeld, int want) throws InterruptedException {
    if (!closed) {
      return 0;
    }
    budget.lock.lock();
    try {
      while (closed) {
        if (exited.getAsBoolean()) {
          int granted = budget.reserve(pipeHeld, want);
          if (granted > 0) {
            return granted;
          }
        }
        budget.changed.await();
      }
      return 0;
    } finally {
      budget.lock.unlock();
    }
  }

  /** Gives back {@code bytes} of held output, delivered or not needed. */
  void release(long bytes) {
    budget.release(bytes);
  }

  /** Wakes the pumps waiting on this gate so they look again: a process exited. */
  void wake() {
    budget.wake();
  }
}
