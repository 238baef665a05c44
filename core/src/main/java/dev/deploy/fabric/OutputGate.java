package dev.deploy.fabric;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Whether a program's output pumps may read on: closed while its bridge holds more than it can pass
 * on (a client that reads slowly, a pager), so the pipes fill and the processes wait, as a slow
 * terminal makes a local process wait. One per program on each fabric.
 */
final class OutputGate {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition opened = lock.newCondition();
  private boolean closed;

  /** Opens or closes the gate. */
  void set(boolean open) {
    lock.lock();
    try {
      closed = !open;
      if (open) {
        opened.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Waits while the gate is closed. */
  void awaitOpen() throws InterruptedException {
    lock.lock();
    try {
      while (closed) {
        opened.await();
      }
    } finally {
      lock.unlock();
    }
  }
}
