package dev.deploy.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of durations on the command line, like {@code 30s}, {@code 2m} or {@code 500ms}. */
final class Durations {
  private static final Pattern DURATION =
      Pattern.compile("\\s*(\\d{1,9}(?:\\.\\d{1,3})?)\\s*(ms|s|m|h)\\s*");

  private Durations() {}

  /**
   * Parses a positive duration: a number and a unit, {@code ms}, {@code s}, {@code m} or {@code h}.
   *
   * @throws CommandException (code 2) naming {@code option} and the text
   */
  static Duration parse(String option, String text) throws CommandException {
    Matcher m = DURATION.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new CommandException(
          option + ": \"" + text + "\" is not a duration like 30s, 2m, 1h or 500ms", 2);
    }
    double n = Double.parseDouble(m.group(1));
    long unitMillis =
        switch (m.group(2)) {
          case "ms" -> 1;
          case "s" -> 1_000;
          case "m" -> 60_000;
          default -> 3_600_000;
        };
    long millis = Math.round(n * unitMillis);
    if (millis <= 0) {
      throw new CommandException(option + ": \"" + text + "\" must be longer than 0", 2);
    }
    return Duration.ofMillis(millis);
  }
}
