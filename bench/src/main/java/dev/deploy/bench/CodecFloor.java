package dev.deploy.bench;

import dev.deploy.codec.Codec;
import java.util.Locale;

/**
 * The codec's share of a one-way {@code Long}: encode then decode of 2 M {@code Long}s on one
 * thread through {@link Codec#standard()}, five rounds, nanoseconds per round trip.
 *
 * <pre>
 * java -cp cli/target/deploy.jar:bench/target/classes dev.deploy.bench.CodecFloor
 * </pre>
 */
public final class CodecFloor {
  private CodecFloor() {}

  public static void main(String[] args) {
    Codec codec = Codec.standard();
    int n = 2_000_000;
    long sum = 0;
    for (int round = 0; round < 5; round++) {
      long t0 = System.nanoTime();
      for (long i = 0; i < n; i++) {
        byte[] b = codec.encode(i);
        sum += (Long) codec.decode(b, 0, b.length);
      }
      System.out.printf(
          Locale.ROOT, "Long encode + decode: %.1f ns%n", (System.nanoTime() - t0) / (double) n);
    }
    if (sum == 42) {
      System.out.println(); // keeps the loop's result alive
    }
  }
}
