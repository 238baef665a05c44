package dev.deploy.e2e.tester;

import dev.deploy.bridge.SignalNames;
import java.util.Objects;

/**
 * How a process ended, as a JSON {@code exit} event says it: {@code "code":3}, {@code
 * "signal":"SIGKILL"} or {@code "lost":true}. Used both for what a run showed and for what an
 * {@link Expect} asks.
 *
 * @param kind which of the three
 * @param code the exit code for {@link Kind#CODE}, else 0
 * @param signal the signal's name for {@link Kind#SIGNAL}, else null
 */
public record Outcome(Kind kind, int code, String signal) {
  /** The three ways a process ends. */
  public enum Kind {
    CODE,
    SIGNAL,
    LOST
  }

  /** Checks that the fields fit the kind. */
  public Outcome {
    Objects.requireNonNull(kind, "kind");
    if ((kind == Kind.SIGNAL) != (signal != null)) {
      throw new IllegalArgumentException("a signal name goes with SIGNAL only, not " + kind);
    }
    if (kind != Kind.CODE && code != 0) {
      throw new IllegalArgumentException("an exit code goes with CODE only, not " + kind);
    }
  }

  /** The process exited with {@code code}. */
  public static Outcome exited(int code) {
    return new Outcome(Kind.CODE, code, null);
  }

  /** A signal called {@code name} ("SIGKILL") killed the process. */
  public static Outcome killedBy(String name) {
    if (!name.matches("SIG[A-Z0-9]+")) {
      throw new IllegalArgumentException("\"" + name + "\" is not a signal name like SIGKILL");
    }
    return new Outcome(Kind.SIGNAL, 0, name);
  }

  /** The process's monitor vanished; its end is unknown. */
  public static Outcome lost() {
    return new Outcome(Kind.LOST, 0, null);
  }

  /** True for an exit with code 0. */
  public boolean success() {
    return kind == Kind.CODE && code == 0;
  }

  /**
   * docs/api.md's code for the bridge when this is the first process that failed: the exit code,
   * 128 + the signal's number, or 1 for lost.
   */
  public int shellCode() {
    return switch (kind) {
      case CODE -> code;
      case SIGNAL -> 128 + SignalNames.number(signal);
      case LOST -> 1;
    };
  }

  @Override
  public String toString() {
    return switch (kind) {
      case CODE -> "exit " + code;
      case SIGNAL -> "killed by " + signal;
      case LOST -> "lost";
    };
  }
}
