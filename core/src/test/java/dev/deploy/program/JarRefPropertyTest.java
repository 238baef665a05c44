package dev.deploy.program;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.testing.Gen;
import dev.deploy.testing.RandomCases;
import org.junit.jupiter.api.Timeout;

/** {@link JarRef#isSha256} against a regular expression, for generated strings. */
class JarRefPropertyTest {
  /** Any text half the time, else a near miss of a SHA-256 ({@link #nearHex64}). */
  @RandomCases(200)
  @Timeout(10)
  void anyString_isSha256_exactlyWhenLowercaseHex64(Gen gen) {
    String s = gen.either(() -> gen.string(70), () -> nearHex64(gen));

    assertThat(JarRef.isSha256(s)).isEqualTo(s.matches("[0-9a-f]{64}"));
  }

  @RandomCases(200)
  @Timeout(10)
  void anyLowercaseHex64_isSha256(Gen gen) {
    String s = gen.string(64, 64, "0123456789abcdef");

    assertThat(JarRef.isSha256(s)).isTrue();
  }

  /**
   * 64 lowercase hex digits, as they are or with one digit dropped, one added, or one replaced by
   * an uppercase hex digit, a 'g', a space or a non-ASCII digit.
   */
  private static String nearHex64(Gen gen) {
    String hex = gen.string(64, 64, "0123456789abcdef");
    int at = gen.intBetween(0, 63);
    return switch (gen.intBetween(0, 3)) {
      case 0 -> hex;
      case 1 -> hex.substring(0, at) + hex.substring(at + 1);
      case 2 -> hex.substring(0, at) + gen.oneOf('0', 'f') + hex.substring(at);
      default ->
          hex.substring(0, at) + gen.oneOf('A', 'F', 'g', ' ', '\u0660') + hex.substring(at + 1);
    };
  }
}
