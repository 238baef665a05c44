package dev.deploy.program;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.testing.Gen;
import dev.deploy.testing.RandomCases;
import org.junit.jupiter.api.Timeout;

/** {@link JarRef#isSha256} against a regular expression, for generated strings. */
class JarRefPropertyTest {
  /** Any text half the time; else near misses: hex of both cases and a 'g', 60 to 70 long. */
  @RandomCases(200)
  @Timeout(10)
  void anyString_isSha256_exactlyWhenLowercaseHex64(Gen gen) {
    String s =
        gen.either(() -> gen.string(70), () -> gen.string(60, 70, "0123456789abcdefABCDEFg"));

    assertThat(JarRef.isSha256(s)).isEqualTo(s.matches("[0-9a-f]{64}"));
  }

  @RandomCases(200)
  @Timeout(10)
  void anyLowercaseHex64_isSha256(Gen gen) {
    String s = gen.string(64, 64, "0123456789abcdef");

    assertThat(JarRef.isSha256(s)).isTrue();
  }
}
