package dev.deploy.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The random inputs of one case of a {@link RandomCases} test: plain generators over one {@link
 * SplittableRandom} seeded with {@link #seed()}, so the same seed draws the same inputs in the same
 * order. Every generator mixes the edge values bugs hide behind (empty, zero, ±1, the minimum and
 * maximum, the bounds of a range, control, non-ASCII, surrogate and supplementary characters) in
 * with its uniform draws, about one draw in {@value #EDGE_ONE_IN}. Not thread safe: one case, one
 * thread.
 */
public final class Gen {
  /** One draw in this many is an edge value. */
  static final int EDGE_ONE_IN = 16;

  private static final int[] INT_EDGES = {
    0,
    1,
    -1,
    2,
    -2,
    Integer.MIN_VALUE,
    Integer.MAX_VALUE,
    Integer.MIN_VALUE + 1,
    Integer.MAX_VALUE - 1
  };
  private static final long[] LONG_EDGES = {
    0,
    1,
    -1,
    2,
    -2,
    Long.MIN_VALUE,
    Long.MAX_VALUE,
    Long.MIN_VALUE + 1,
    Long.MAX_VALUE - 1,
    Integer.MIN_VALUE,
    Integer.MAX_VALUE,
    1L << 32
  };
  private static final double[] DOUBLE_EDGES = {
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    Double.MIN_VALUE,
    -Double.MIN_VALUE,
    Double.MIN_NORMAL,
    Double.MAX_VALUE,
    -Double.MAX_VALUE,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    Double.NaN
  };
  private static final char[] CHAR_EDGES = {
    '\u0000', '\t', '\n', '\r', ' ', '"', '\\', '\u007f', '\u0080', '\u00e9', '\u00ff', '\u2028',
    '\u2713', '\ufeff', '\ufffd', '\ufffe', '\uffff', '\ud800', '\udbff', '\udc00', '\udfff'
  };

  private final SplittableRandom random;
  private final long seed;
  private final String label;

  /** A case drawing from {@code seed}, shown as {@code label} in its test's display name. */
  Gen(long seed, String label) {
    this.random = new SplittableRandom(seed);
    this.seed = seed;
    this.label = label;
  }

  /** The seed this case draws from: {@code -Ddeploy.seed=} it to draw the same inputs first. */
  public long seed() {
    return seed;
  }

  /** Returns the case's name, with its seed: what the test's display name shows. */
  @Override
  public String toString() {
    return label;
  }

  /** Returns true or false, evenly. */
  public boolean bool() {
    return random.nextBoolean();
  }

  /** Returns true with probability {@code p}. */
  public boolean chance(double p) {
    return random.nextDouble() < p;
  }

  /** Returns an int in {@code [min, max]}; the bounds, their neighbours and 0 are edge values. */
  public int intBetween(int min, int max) {
    return (int) longBetween(min, max);
  }

  /** Returns any int: an edge value, a small one (log-uniform magnitude) or a uniform one. */
  public int anyInt() {
    int roll = random.nextInt(EDGE_ONE_IN);
    if (roll == 0) {
      return INT_EDGES[random.nextInt(INT_EDGES.length)];
    }
    if (roll < EDGE_ONE_IN / 2) {
      int bound = 1 << random.nextInt(31);
      return random.nextInt(-bound, bound);
    }
    return random.nextInt();
  }

  /**
   * Returns a long in {@code [min, max]}: half the draws near the value of the range closest to 0
   * (log-uniform distance), half uniform; the bounds, their neighbours and 0 are edge values.
   */
  public long longBetween(long min, long max) {
    if (min > max) {
      throw new IllegalArgumentException("empty range [" + min + ", " + max + "]");
    }
    if (random.nextInt(EDGE_ONE_IN) == 0) {
      long[] edges = {min, max, min + 1, max - 1, 0};
      long edge = edges[random.nextInt(edges.length)];
      if (edge >= min && edge <= max) {
        return edge;
      }
    }
    if (random.nextBoolean()) {
      // Near the value closest to 0, at a log-uniform distance: small values come up as often
      // as large ones, whatever the width of the range.
      long target = Math.max(min, Math.min(max, 0));
      long distance = random.nextLong(1L << random.nextInt(63));
      // Neither max - target nor target - min overflows: target is 0, min or max.
      if (random.nextBoolean()) {
        if (distance <= max - target) {
          return target + distance;
        }
      } else if (distance <= target - min) {
        return target - distance;
      }
    }
    if (min == Long.MIN_VALUE && max == Long.MAX_VALUE) {
      return random.nextLong();
    }
    if (max - min >= 0 && max - min < Long.MAX_VALUE) {
      return min + random.nextLong(max - min + 1);
    }
    // The range is wider than Long.MAX_VALUE: draw until inside it (at least half of all longs).
    while (true) {
      long v = random.nextLong();
      if (v >= min && v <= max) {
        return v;
      }
    }
  }

  /** Returns any long: an edge value, a small one (log-uniform magnitude) or a uniform one. */
  public long anyLong() {
    int roll = random.nextInt(EDGE_ONE_IN);
    if (roll == 0) {
      return LONG_EDGES[random.nextInt(LONG_EDGES.length)];
    }
    if (roll < EDGE_ONE_IN / 2) {
      long bound = 1L << random.nextInt(63);
      return random.nextLong(-bound, bound);
    }
    return random.nextLong();
  }

  /** Returns any byte; 0, ±1 and the extremes are edge values. */
  public byte anyByte() {
    if (random.nextInt(EDGE_ONE_IN) == 0) {
      byte[] edges = {0, 1, -1, Byte.MIN_VALUE, Byte.MAX_VALUE};
      return edges[random.nextInt(edges.length)];
    }
    return (byte) random.nextInt(256);
  }

  /** Returns a finite double in {@code [min, max]}; the bounds and 0 are edge values. */
  public double doubleBetween(double min, double max) {
    if (!(min <= max) || Double.isInfinite(max - min)) {
      throw new IllegalArgumentException("not a finite range [" + min + ", " + max + "]");
    }
    if (random.nextInt(EDGE_ONE_IN) == 0) {
      double[] edges = {min, max, 0.0};
      double edge = edges[random.nextInt(edges.length)];
      if (edge >= min && edge <= max) {
        return edge;
      }
    }
    return Math.min(max, min + random.nextDouble() * (max - min));
  }

  /** Returns any double: NaN, the infinities, -0.0 and the extremes are edge values. */
  public double anyDouble() {
    int roll = random.nextInt(EDGE_ONE_IN);
    if (roll == 0) {
      return DOUBLE_EDGES[random.nextInt(DOUBLE_EDGES.length)];
    }
    if (roll < EDGE_ONE_IN / 2) {
      return random.nextDouble(-1000, 1000);
    }
    return Double.longBitsToDouble(random.nextLong());
  }

  /**
   * Returns a size in {@code [min, max]} for a string, array or list: the bounds are edge values,
   * and small sizes come up as often as all the others together.
   */
  public int size(int min, int max) {
    if (min < 0 || min > max) {
      throw new IllegalArgumentException("not a size range [" + min + ", " + max + "]");
    }
    int roll = random.nextInt(EDGE_ONE_IN);
    if (roll == 0) {
      return random.nextBoolean() ? min : max;
    }
    if (roll < EDGE_ONE_IN / 2) {
      return min + random.nextInt(Math.max(1, (max - min) / 8) + 1) % (max - min + 1);
    }
    return min + random.nextInt(max - min + 1);
  }

  /** Returns a byte array of a {@link #size} in {@code [minLength, maxLength]}. */
  public byte[] bytes(int minLength, int maxLength) {
    return bytes(size(minLength, maxLength));
  }

  /** Returns a byte array of exactly {@code length} bytes, edge values mixed in. */
  public byte[] bytes(int length) {
    byte[] bytes = new byte[length];
    boolean plain = random.nextBoolean();
    for (int i = 0; i < length; i++) {
      bytes[i] = plain ? (byte) random.nextInt(256) : anyByte();
    }
    return bytes;
  }

  /**
   * Returns any char: printable ASCII most often, then controls, Latin-1 and Latin Extended, the
   * rest of the Basic Multilingual Plane, lone surrogates, and edge characters (NUL, BOM, U+FFFF).
   */
  public char anyChar() {
    int roll = random.nextInt(100);
    if (roll < 40) {
      return (char) random.nextInt(' ', '\u007f');
    }
    if (roll < 50) {
      return (char) random.nextInt(0, ' ');
    }
    if (roll < 62) {
      return (char) random.nextInt('\u0080', '\u0250');
    }
    if (roll < 85) {
      return (char) random.nextInt(0, Character.MIN_SURROGATE);
    }
    if (roll < 90) {
      return (char) random.nextInt(Character.MIN_SURROGATE, Character.MAX_SURROGATE + 1);
    }
    if (roll < 95) {
      return (char) random.nextInt(Character.MAX_SURROGATE + 1, Character.MAX_VALUE + 1);
    }
    return CHAR_EDGES[random.nextInt(CHAR_EDGES.length)];
  }

  /**
   * Returns a string of any chars ({@link #anyChar}), now and then a supplementary code point as a
   * surrogate pair, of a {@link #size} in {@code [0, maxLength]} chars.
   */
  public String string(int maxLength) {
    int length = size(0, maxLength);
    StringBuilder text = new StringBuilder(length);
    while (text.length() < length) {
      if (length - text.length() >= 2 && random.nextInt(12) == 0) {
        text.appendCodePoint(random.nextInt(Character.MIN_SUPPLEMENTARY_CODE_POINT, 0x110000));
      } else {
        text.append(anyChar());
      }
    }
    return text.toString();
  }

  /** Returns a string of chars drawn evenly from {@code alphabet}, {@link #size} in the range. */
  public String string(int minLength, int maxLength, String alphabet) {
    if (alphabet.isEmpty()) {
      throw new IllegalArgumentException("an empty alphabet");
    }
    int length = size(minLength, maxLength);
    char[] chars = new char[length];
    for (int i = 0; i < length; i++) {
      chars[i] = alphabet.charAt(random.nextInt(alphabet.length()));
    }
    return new String(chars);
  }

  /** Returns the chars {@code from} to {@code to} inclusive, as an alphabet for {@link #string}. */
  public static String range(char from, char to) {
    StringBuilder chars = new StringBuilder(to - from + 1);
    for (char c = from; c <= to; c++) {
      chars.append(c);
    }
    return chars.toString();
  }

  /** Returns one of {@code values}, evenly. */
  public <T> T oneOf(List<? extends T> values) {
    return values.get(random.nextInt(values.size()));
  }

  /** Returns one of {@code values}, evenly. */
  @SafeVarargs
  public final <T> T oneOf(T... values) {
    return values[random.nextInt(values.length)];
  }

  /** Calls one of {@code generators}, picked evenly, and returns what it made. */
  @SafeVarargs
  public final <T> T either(Supplier<? extends T>... generators) {
    return generators[random.nextInt(generators.length)].get();
  }

  /** Returns a list of a {@link #size} in {@code [min, max]} made by {@code element}. */
  public <T> List<T> list(int min, int max, Supplier<? extends T> element) {
    int size = size(min, max);
    List<T> list = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      list.add(element.get());
    }
    return list;
  }

  /** Returns null with probability {@code p}, else what {@code value} makes. */
  public <T> T orNull(double p, Supplier<? extends T> value) {
    return chance(p) ? null : value.get();
  }
}
