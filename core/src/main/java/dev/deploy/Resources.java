package dev.deploy;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The memory and CPU a process may use.
 *
 * <p>{@code memory} is in bytes for the whole process (heap, metaspace, threads, buffers), not only
 * the heap; the JVM gets a share of it as {@code -Xmx}. {@code cpu} is a fraction of one logical
 * core: a scheduling weight, and a limit where the machine allows one. Memory is enforced on a
 * best-effort basis (JVM heap flags always; an operating-system limit where the machine allows it).
 *
 * @param memory bytes, at least {@link #MIN_MEMORY}
 * @param cpu logical cores, finite and not negative
 */
public record Resources(long memory, double cpu) {
  /** The least memory a JVM can run in: 64 MiB. */
  public static final long MIN_MEMORY = 64L << 20;

  /** 1 GiB and 0.05 of a core. */
  public static final Resources DEFAULT = new Resources(1L << 30, 0.05);

  /**
   * Compiled on first use, not when the class loads: every spawned JVM makes a {@code Resources} in
   * {@code init}, and a JVM's first regex sets up lambdas (~5 ms) on the way to its task.
   */
  private static final class Memory {
    static final Pattern PATTERN =
        Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)?\\s*");
  }

  /**
   * Checks the values.
   *
   * @throws IllegalArgumentException when memory is below {@link #MIN_MEMORY} or cpu is negative,
   *     NaN or infinite
   */
  public Resources {
    if (memory < MIN_MEMORY) {
      throw new IllegalArgumentException(
          "Resources memory " + memory + " B is too little for a JVM: the least is 64 MiB");
    }
    if (Double.isNaN(cpu) || Double.isInfinite(cpu) || cpu < 0) {
      throw new IllegalArgumentException(
          "Resources cpu " + cpu + " is not a number of cores: it must be finite and >= 0");
    }
  }

  /**
   * Parses memory and cpu written as a user would: {@code Resources.parse("400GiB", "34")}.
   *
   * @throws IllegalArgumentException naming the text that is not a size or a number
   */
  public static Resources parse(String memory, String cpu) {
    double cores;
    try {
      cores = Double.parseDouble(cpu == null ? "" : cpu.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("cpu \"" + cpu + "\" is not a number of cores");
    }
    long bytes = parseMemory(memory);
    try {
      return new Resources(bytes, cores);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "resources \"" + memory + "\", \"" + cpu + "\": " + e.getMessage(), e);
    }
  }

  /**
   * Parses a size: a number, then optionally (with or without a space) one of B, KiB, MiB, GiB, TiB
   * (powers of 1024) or KB, MB, GB, TB (powers of 1000). A bare number is bytes.
   *
   * @throws IllegalArgumentException naming the text when it is not such a size
   */
  public static long parseMemory(String text) {
    Matcher m = Memory.PATTERN.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "memory \""
              + text
              + "\" is not a size: write a number and one of"
              + " B, KiB, MiB, GiB, TiB, KB, MB, GB, TB (e.g. \"512 MiB\")");
    }
    String unit = m.group(2) == null ? "B" : m.group(2);
    long scale =
        switch (unit) {
          case "B" -> 1L;
          case "KiB" -> 1L << 10;
          case "MiB" -> 1L << 20;
          case "GiB" -> 1L << 30;
          case "TiB" -> 1L << 40;
          case "KB" -> 1_000L;
          case "MB" -> 1_000_000L;
          case "GB" -> 1_000_000_000L;
          default -> 1_000_000_000_000L;
        };
    BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(scale));
    if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("memory \"" + text + "\" is larger than 8 EiB");
    }
    return bytes.longValue();
  }

  /** Returns a size the way a user writes it: {@code 1 GiB}, {@code 1.5 GiB}, {@code 100 B}. */
  public static String formatMemory(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int i = 0;
    double value = bytes;
    while (value >= 1024 && i < units.length - 1) {
      value /= 1024;
      i++;
    }
    String number =
        value == Math.rint(value)
            ? Long.toString((long) value)
            : String.format(Locale.ROOT, "%.2f", value).replaceAll("\\.?0+$", "");
    return number + " " + units[i];
  }

  @Override
  public String toString() {
    return "Resources[memory="
        + formatMemory(memory)
        + ", cpu="
        + BigDecimal.valueOf(cpu).stripTrailingZeros().toPlainString()
        + "]";
  }
}
