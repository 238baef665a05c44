package dev.deploy;

import java.io.Serializable;

/**
 * The code a spawned process runs: a method reference to a static method ({@code Hello::worker}) or
 * a lambda. A lambda may capture values; they travel with it and must be serialisable like any
 * message. Java object serialization is never used: {@code Serializable} only makes the compiler
 * keep the lambda's description, which the runtime ships.
 *
 * @param <A> the type of the argument given to {@link Deploy#spawn}
 */
@FunctionalInterface
public interface Task<A> extends Serializable {
  /**
   * Runs on the new process's main thread.
   *
   * @param parent the pid of the process that called {@code spawn}
   * @param arg the argument given to {@code spawn}
   * @throws Exception anything; the stack trace goes to stderr and the process exits 1
   */
  void run(Pid parent, A arg) throws Exception;
}
