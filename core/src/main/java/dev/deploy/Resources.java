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
        Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*(B|[KMGT]iB|[KMGT]i|[KMGTkmgt]|[KMGT]B)?\\s*");
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

  /** The sizes {@link #parseMemory} accepts, for error messages. */
  static final String MEMORY_FORMS =
      "a number and a unit, like 512m, 512M, 8G, 8Gi or 8GiB (K, M, G, T as in -Xmx and Slurm,"
          + " Ki, Mi, Gi, Ti as in Kubernetes, and KiB, MiB, GiB, TiB are powers of 1024;"
          + " KB, MB, GB, TB powers of 1000; B or no unit is bytes)";

  /**
   * Parses a size: a number, then optionally (with or without a space) a unit as users of Java,
   * Slurm and Kubernetes write it. {@code K M G T} (or lower case, as in {@code -Xmx512m} and
   * Slurm's {@code --mem=8G}), {@code Ki Mi Gi Ti} (Kubernetes) and {@code KiB MiB GiB TiB} are
   * powers of 1024; {@code KB MB GB TB} are powers of 1000; {@code B} or no unit is bytes. So
   * {@code 8G}, {@code 8g}, {@code 8Gi} and {@code 8GiB} are all 8 GiB (Kubernetes's own {@code
   * 8G}, 8 × 10⁹, is written {@code 8GB} here).
   *
   * @throws IllegalArgumentException naming the text and the accepted forms when it is not a size
   */
  public static long parseMemory(String text) {
    Matcher m = Memory.PATTERN.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "memory \"" + text + "\" is not a size: write " + MEMORY_FORMS);
    }
    String unit = m.group(2) == null ? "B" : m.group(2);
    long scale;
    if (unit.equals("B")) {
      scale = 1L;
    } else if (unit.length() == 2 && unit.charAt(1) == 'B') {
      scale = decimal(unit.charAt(0));
    } else {
      scale = binary(Character.toUpperCase(unit.charAt(0)));
    }
    BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(scale));
    if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("memory \"" + text + "\" is larger than 8 EiB");
    }
    return bytes.longValue();
  }

  /** Returns the power of 1024 a unit's letter K, M, G or T stands for. */
  private static long binary(char letter) {
    return switch (letter) {
      case 'K' -> 1L << 10;
      case 'M' -> 1L << 20;
      case 'G' -> 1L << 30;
      default -> 1L << 40;
    };
  }

  /** Returns the power of 1000 a unit's letter K, M, G or T stands for. */
  private static long decimal(char letter) {
    return switch (letter) {
      case 'K' -> 1_000L;
      case 'M' -> 1_000_000L;
      case 'G' -> 1_000_000_000L;
      default -> 1_000_000_000_000L;
    };
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
