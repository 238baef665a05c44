package dev.deploy;

/**
 * Thrown by {@link Deploy#spawn} when a process cannot be started for a reason other than a lack of
 * resources: the argument cannot be serialised, the task's class cannot be found, the JVM failed to
 * start. The message says which.
 */
public final class SpawnException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message that names the problem. */
  public SpawnException(String message) {
    super(message);
  }

  /** Creates an exception with a message that names the problem and its cause. */
  public SpawnException(String message, Throwable cause) {
    super(message, cause);
  }
}
