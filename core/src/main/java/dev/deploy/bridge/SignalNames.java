package dev.deploy.bridge;

import java.util.HashMap;
import java.util.Map;

/**
 * Linux signal numbers and their names, both ways: {@code name(9)} is {@code "SIGKILL"} and {@code
 * number("SIGTERM")} is 15. Numbers 1..31 have the standard Linux x86_64 names; any other number is
 * named {@code SIG<n>} (for example {@code SIG64}), and {@code number} reads that form back.
 *
 * <p>Used by the output formats to print a killed process's signal. Stateless and immutable: any
 * thread may call it.
 */
public final class SignalNames {
  /** Index = signal number; index 0 is unused. Never mutated. */
  private static final String[] NAMES = {
    null,
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
  };

  /** The inverse of {@link #NAMES}; built once, never mutated afterwards. */
  private static final Map<String, Integer> NUMBERS = new HashMap<>();

  static {
    for (int signal = 1; signal < NAMES.length; signal++) {
      NUMBERS.put(NAMES[signal], signal);
    }
  }

  private SignalNames() {}

  /** Returns the name of {@code signal}: {@code "SIGKILL"} for 9, {@code "SIG<n>"} if unknown. */
  public static String name(int signal) {
    if (signal >= 1 && signal < NAMES.length) {
      return NAMES[signal];
    }
    return "SIG" + signal;
  }

  /**
   * Returns the number of the signal called {@code name}, the inverse of {@link #name(int)}: {@code
   * number("SIGTERM")} is 15 and {@code number("SIG40")} is 40.
   *
   * @throws IllegalArgumentException if {@code name} is neither a known name nor {@code SIG<n>}
   *     with a positive decimal {@code n}
   */
  public static int number(String name) {
    Integer known = NUMBERS.get(name);
    if (known != null) {
      return known;
    }
    if (name.length() > 3 && name.length() <= 12 && name.startsWith("SIG")) {
      String digits = name.substring(3);
      if (digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
        long signal = Long.parseLong(digits);
        if (signal >= 1 && signal <= Integer.MAX_VALUE) {
          return (int) signal;
        }
      }
    }
    throw new IllegalArgumentException("not a signal name: \"" + name + "\"");
  }
}
