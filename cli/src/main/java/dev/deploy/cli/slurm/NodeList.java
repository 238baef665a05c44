package dev.deploy.cli.slurm;

import java.util.ArrayList;
import java.util.List;

/**
 * Slurm's compressed host lists, as in {@code SLURM_JOB_NODELIST}: {@code n[1-2,5]} is n1, n2, n5;
 * {@code a1,b[01-03]} is a1, b01, b02, b03 (a range's zero padding is kept); several bracketed
 * parts in one name ({@code r[1-2]n[1-2]}) give every combination, in Slurm's order. Stateless.
 */
public final class NodeList {
  /** The most names a list may expand to; past it the list is refused, not expanded. */
  static final int MAX_NAMES = 1 << 16;

  private NodeList() {}

  /**
   * Returns the names {@code list} names, in order.
   *
   * @throws IllegalArgumentException naming the list when a bracket is unbalanced, a range is not
   *     {@code low-high} with {@code low <= high}, or it names more than 65536 nodes
   */
  public static List<String> expand(String list) {
    List<String> out = new ArrayList<>();
    for (String name : splitTopLevel(list.trim(), list)) {
      if (name.isEmpty()) {
        throw bad(list, "it has an empty name");
      }
      expandOne(name, list, out);
    }
    return out;
  }

  /** Splits at the commas outside brackets. */
  private static List<String> splitTopLevel(String text, String list) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '[') {
        depth++;
        if (depth > 1) {
          throw bad(list, "it has a bracket inside a bracket");
        }
      } else if (c == ']') {
        depth--;
        if (depth < 0) {
          throw bad(list, "it has a ']' without its '['");
        }
      } else if (c == ',' && depth == 0) {
        parts.add(text.substring(start, i));
        start = i + 1;
      }
    }
    if (depth != 0) {
      throw bad(list, "it has a '[' without its ']'");
    }
    parts.add(text.substring(start));
    return parts;
  }

  /** Appends every name of one bracketed pattern, like {@code r[1-2]n[01-02]}, to {@code out}. */
  private static void expandOne(String pattern, String list, List<String> out) {
    int open = pattern.indexOf('[');
    if (open < 0) {
      add(out, pattern, list);
      return;
    }
    int close = pattern.indexOf(']', open);
    String prefix = pattern.substring(0, open);
    String rest = pattern.substring(close + 1);
    for (String piece : pattern.substring(open + 1, close).split(",", -1)) {
      for (String number : range(piece.trim(), list)) {
        expandOne(prefix + number + rest, list, out);
        if (out.size() > MAX_NAMES) {
          throw bad(list, "it names more than " + MAX_NAMES + " nodes");
        }
      }
    }
  }

  /** The numbers of {@code 5} or {@code 01-03}, each as wide as the range's low end is written. */
  private static List<String> range(String piece, String list) {
    int dash = piece.indexOf('-');
    String low = dash < 0 ? piece : piece.substring(0, dash);
    String high = dash < 0 ? piece : piece.substring(dash + 1);
    if (!low.matches("\\d{1,9}") || !high.matches("\\d{1,9}")) {
      throw bad(list, "\"" + piece + "\" is not a number or a range like 1-4");
    }
    long from = Long.parseLong(low);
    long to = Long.parseLong(high);
    if (from > to) {
      throw bad(list, "the range \"" + piece + "\" runs backwards");
    }
    if (to - from >= MAX_NAMES) {
      throw bad(list, "it names more than " + MAX_NAMES + " nodes");
    }
    List<String> numbers = new ArrayList<>();
    String format = "%0" + low.length() + "d";
    for (long n = from; n <= to; n++) {
      numbers.add(String.format(java.util.Locale.ROOT, format, n));
    }
    return numbers;
  }

  private static void add(List<String> out, String name, String list) {
    if (name.indexOf(']') >= 0 || name.isBlank()) {
      throw bad(list, "\"" + name + "\" is not a node name");
    }
    out.add(name);
  }

  private static IllegalArgumentException bad(String list, String why) {
    return new IllegalArgumentException("the node list \"" + list + "\" is malformed: " + why);
  }
}
