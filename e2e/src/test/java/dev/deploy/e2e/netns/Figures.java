package dev.deploy.e2e.netns;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fault suite's measurements: one row per fault (what was done, how long until it was seen,
 * values lost or duplicated, processes left behind), printed as a table at the end of the suite and
 * written to {@code target/fault-figures.txt}. Thread safe.
 */
final class Figures {
  private static final List<String[]> ROWS = new ArrayList<>();

  private Figures() {}

  /**
   * Records one fault's figures: {@code detection} is free text like {@code "10.3 s"}, {@code lost}
   * the values lost, duplicated or reordered, {@code left} the processes left behind.
   */
  static void record(String fault, String detection, long lost, long left) {
    record(fault, detection, String.valueOf(lost), left);
  }

  /** As {@link #record(String, String, long, long)}, {@code lost} as text ({@code "-"}: n/a). */
  static synchronized void record(String fault, String detection, String lost, long left) {
    ROWS.add(new String[] {fault, detection, lost, String.valueOf(left)});
  }

  /** Seconds with one decimal, from milliseconds. */
  static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
  }

  /** Prints the table and writes it to {@code target/fault-figures.txt}. */
  static synchronized void print() {
    if (ROWS.isEmpty()) {
      return;
    }
    List<String[]> all = new ArrayList<>();
    all.add(new String[] {"fault", "detection", "values lost or duplicated", "processes left"});
    all.addAll(ROWS);
    int[] width = new int[4];
    for (String[] row : all) {
      for (int i = 0; i < 4; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    StringBuilder table = new StringBuilder();
    for (String[] row : all) {
      table.append("| ");
      for (int i = 0; i < 4; i++) {
        table.append(row[i]).append(" ".repeat(width[i] - row[i].length())).append(" | ");
      }
      table.setLength(table.length() - 1);
      table.append('\n');
    }
    System.out.print("fault suite figures:\n" + table);
    try {
      Path target = Path.of("target");
      Files.createDirectories(target);
      Files.writeString(target.resolve("fault-figures.txt"), table.toString(), UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write target/fault-figures.txt", e);
    }
  }
}
