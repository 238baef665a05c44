package dev.deploy.bridge;

/**
 * How a process ended: it exited with a code, a signal killed it, or its monitor vanished and its
 * end is unknown.
 *
 * @param kind which of the three
 * @param value the exit code for {@link Kind#EXITED}, the signal number for {@link Kind#KILLED}, 0
 *     for {@link Kind#LOST}
 * @param memoryLimit the process's memory limit in bytes when the kernel killed it (SIGKILL) for
 *     going over it (its cgroup's limit), else 0
 */
public record ExitStatus(Kind kind, int value, long memoryLimit) {
  /**
   * Checks the memory mark.
   *
   * @throws IllegalArgumentException when {@code memoryLimit} is negative, or positive for anything
   *     but a SIGKILL
   */
  public ExitStatus {
    if (memoryLimit < 0 || (memoryLimit > 0 && (kind != Kind.KILLED || value != 9))) {
      throw new IllegalArgumentException(
          "memory limit " + memoryLimit + " B cannot mark a " + kind + " " + value + " status");
    }
  }

  /** A status without the memory-limit mark. */
  public ExitStatus(Kind kind, int value) {
    this(kind, value, 0);
  }

  /**
   * Returns the status of a process the kernel killed (SIGKILL) for going over its memory limit of
   * {@code limitBytes}.
   *
   * @throws IllegalArgumentException when {@code limitBytes} is not positive
   */
  public static ExitStatus killedByMemoryLimit(long limitBytes) {
    if (limitBytes <= 0) {
      throw new IllegalArgumentException("memory limit " + limitBytes + " B is not a limit");
    }
    return new ExitStatus(Kind.KILLED, 9, limitBytes);
  }

  /** The three ways a process ends. */
  public enum Kind {
    EXITED,
    KILLED,
    LOST
  }

  /** Returns the status of a process that exited with {@code code}. */
  public static ExitStatus exited(int code) {
    return new ExitStatus(Kind.EXITED, code);
  }

  /** Returns the status of a process killed by signal number {@code signal}. */
  public static ExitStatus killed(int signal) {
    return new ExitStatus(Kind.KILLED, signal);
  }

  /** Returns the status of a process whose end is unknown. */
  public static ExitStatus lost() {
    return new ExitStatus(Kind.LOST, 0);
  }

  /** Returns true when the kernel killed the process for going over its memory limit. */
  public boolean byMemoryLimit() {
    return memoryLimit > 0;
  }

  /** Returns true for an exit with code 0. */
  public boolean success() {
    return kind == Kind.EXITED && value == 0;
  }

  /**
   * Returns the code a shell would report: the exit code, 128 + the signal number, or 1 for a lost
   * process.
   */
  public int shellCode() {
    return switch (kind) {
      case EXITED -> value;
      case KILLED -> 128 + value;
      case LOST -> 1;
    };
  }
}
