package dev.deploy.e2e.tester;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of Prometheus' text exposition format 0.0.4, as its spec
 * (prometheus.io/docs/instrumenting/exposition_formats) and its Go parser ({@code
 * expfmt.TextParser}) define it, for tests of {@code /metrics}. It refuses what that parser
 * refuses, and a little more: a sample before its family's {@code # TYPE}, a {@code # TYPE} twice
 * or after the family's samples, a family's samples not together, a bad metric or label name, a
 * label value with an escape other than {@code \\}, {@code \"} or {@code \n}, a duplicate label or
 * series, a value Go's {@code ParseFloat} would not read, a missing final newline; for histograms,
 * buckets without {@code le}, not cumulative, without {@code +Inf}, or an {@code +Inf} bucket that
 * differs from {@code _count}, and a missing {@code _sum} or {@code _count}.
 *
 * <p>Stateless: any thread may call {@link #parse}.
 */
public final class PrometheusText {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Pattern FLOAT =
      Pattern.compile("[+-]?(Inf|NaN|(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?)");
  private static final Set<String> TYPES =
      Set.of("counter", "gauge", "histogram", "summary", "untyped");

  private PrometheusText() {}

  /** One sample: its metric name, its labels in order, its value. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  /** One family: name, type, help, and its samples in order. */
  public record Family(String name, String type, String help, List<Sample> samples) {}

  /**
   * Returns the families of {@code text} by name, in order.
   *
   * @throws IllegalArgumentException naming the line number and what is wrong
   */
  public static Map<String, Family> parse(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("the exposition does not end with a newline");
    }
    Map<String, Family> families = new LinkedHashMap<>();
    Map<String, String> helps = new HashMap<>();
    Set<String> closed = new HashSet<>();
    Set<String> series = new HashSet<>();
    String current = null;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length - 1; i++) {
      String line = lines[i];
      int n = i + 1;
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        String[] parts = line.split(" ", 4);
        if (parts.length >= 3 && parts[1].equals("HELP")) {
          name(parts[2], n);
          if (helps.put(parts[2], parts.length == 4 ? parts[3] : "") != null) {
            throw error(n, "a second HELP for " + parts[2]);
          }
        } else if (parts.length >= 3 && parts[1].equals("TYPE")) {
          name(parts[2], n);
          if (parts.length != 4 || !TYPES.contains(parts[3])) {
            throw error(n, "TYPE of " + parts[2] + " is not one of " + TYPES);
          }
          if (families.containsKey(parts[2])) {
            throw error(n, "a second TYPE for " + parts[2]);
          }
          if (current != null) {
            closed.add(current);
          }
          current = parts[2];
          families.put(
              current, new Family(current, parts[3], helps.get(current), new ArrayList<>()));
        }
        continue;
      }
      Sample sample = sample(line, n);
      String family = familyOf(sample.name(), families);
      if (family == null) {
        throw error(n, "sample " + sample.name() + " before any TYPE of its family");
      }
      if (!family.equals(current) || closed.contains(family)) {
        throw error(n, "samples of " + family + " are not together");
      }
      if (!series.add(sample.name() + sample.labels())) {
        throw error(n, "a second sample of " + sample.name() + sample.labels());
      }
      families.get(family).samples().add(sample);
    }
    for (Family f : families.values()) {
      if (f.type().equals("histogram")) {
        checkHistogram(f);
      }
    }
    return families;
  }

  /** Returns the family a sample belongs to: its name, or the histogram/summary it suffixes. */
  private static String familyOf(String sample, Map<String, Family> families) {
    if (families.containsKey(sample)) {
      Family f = families.get(sample);
      return f.type().equals("histogram") ? null : sample;
    }
    for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
      if (sample.endsWith(suffix)) {
        String base = sample.substring(0, sample.length() - suffix.length());
        Family f = families.get(base);
        if (f != null
            && (f.type().equals("histogram")
                || (f.type().equals("summary") && !suffix.equals("_bucket")))) {
          return base;
        }
      }
    }
    return null;
  }

  private static void checkHistogram(Family f) {
    double last = -1;
    Double inf = null;
    Double count = null;
    boolean sum = false;
    for (Sample s : f.samples()) {
      if (s.name().endsWith("_bucket")) {
        String le = s.labels().get("le");
        if (le == null) {
          throw new IllegalArgumentException(f.name() + ": a bucket without le");
        }
        if (s.value() < last) {
          throw new IllegalArgumentException(f.name() + ": buckets not cumulative at le=" + le);
        }
        last = s.value();
        if (le.equals("+Inf")) {
          inf = s.value();
        } else if (!FLOAT.matcher(le).matches()) {
          throw new IllegalArgumentException(f.name() + ": le=\"" + le + "\" is not a number");
        }
      } else if (s.name().endsWith("_count")) {
        count = s.value();
      } else if (s.name().endsWith("_sum")) {
        sum = true;
      }
    }
    if (inf == null || count == null || !sum || !inf.equals(count)) {
      throw new IllegalArgumentException(
          f.name() + ": needs a +Inf bucket equal to _count, and _sum");
    }
  }

  private static Sample sample(String line, int n) {
    int i = 0;
    while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
      i++;
    }
    String name = name(line.substring(0, i), n);
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (true) {
        if (i < line.length() && line.charAt(i) == '}') {
          i++;
          break;
        }
        int eq = line.indexOf('=', i);
        if (eq < 0) {
          throw error(n, "a label without '='");
        }
        String label = line.substring(i, eq);
        if (!LABEL.matcher(label).matches() || label.startsWith("__")) {
          throw error(n, "bad label name \"" + label + "\"");
        }
        i = eq + 1;
        if (i >= line.length() || line.charAt(i) != '"') {
          throw error(n, "label value of " + label + " not quoted");
        }
        i++;
        StringBuilder value = new StringBuilder();
        while (true) {
          if (i >= line.length()) {
            throw error(n, "unterminated label value of " + label);
          }
          char c = line.charAt(i++);
          if (c == '"') {
            break;
          }
          if (c == '\\') {
            char e = i < line.length() ? line.charAt(i++) : ' ';
            switch (e) {
              case '\\' -> value.append('\\');
              case '"' -> value.append('"');
              case 'n' -> value.append('\n');
              default -> throw error(n, "bad escape \\" + e + " in label " + label);
            }
          } else {
            value.append(c);
          }
        }
        if (labels.put(label, value.toString()) != null) {
          throw error(n, "label " + label + " twice");
        }
        if (i < line.length() && line.charAt(i) == ',') {
          i++;
        } else if (i >= line.length() || line.charAt(i) != '}') {
          throw error(n, "expected ',' or '}' after label " + label);
        }
      }
    }
    if (i >= line.length() || line.charAt(i) != ' ') {
      throw error(n, "no space before the value");
    }
    String[] rest = line.substring(i + 1).split(" ", -1);
    if (rest.length > 2 || !FLOAT.matcher(rest[0]).matches()) {
      throw error(n, "bad value \"" + line.substring(i + 1) + "\"");
    }
    if (rest.length == 2 && !rest[1].matches("-?\\d+")) {
      throw error(n, "bad timestamp \"" + rest[1] + "\"");
    }
    double value =
        switch (rest[0].replace("+", "")) {
          case "Inf" -> Double.POSITIVE_INFINITY;
          case "-Inf" -> Double.NEGATIVE_INFINITY;
          case "NaN" -> Double.NaN;
          default -> Double.parseDouble(rest[0]);
        };
    return new Sample(name, labels, value);
  }

  private static String name(String name, int n) {
    Matcher m = NAME.matcher(name);
    if (!m.matches()) {
      throw error(n, "bad metric name \"" + name + "\"");
    }
    return name;
  }

  private static IllegalArgumentException error(int line, String what) {
    return new IllegalArgumentException("line " + line + ": " + what);
  }
}
