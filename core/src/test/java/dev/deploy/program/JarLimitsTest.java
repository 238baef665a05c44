package dev.deploy.program;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class JarLimitsTest {
  private static final JarLimits LIMITS = new JarLimits(100L << 20, 250L << 20);

  @Test
  void givenJarOverTheJarLimit_whenCheck_thenSentenceNamingJarSizeAndLimit() {
    List<JarRef> jars = List.of(jar('a', "lib.jar", 1 << 20), jar('b', "huge.jar", 101L << 20));

    assertThatThrownBy(() -> LIMITS.check(jars, "the bridge"))
        .isInstanceOf(ProgramException.class)
        .hasMessage(
            "huge.jar has 101 MiB (105906176 bytes), over the bridge's limit of 100 MiB per jar"
                + " (--max-jar-size)");
  }

  @Test
  void givenJarsOverTheProgramLimitTogether_whenCheck_thenSentenceNamingTotalLargestAndLimit() {
    List<JarRef> jars =
        List.of(
            jar('a', "a.jar", 90L << 20),
            jar('b', "b.jar", 99L << 20),
            jar('c', "c.jar", 80L << 20));

    assertThatThrownBy(() -> LIMITS.check(jars, "the bridge"))
        .isInstanceOf(ProgramException.class)
        .hasMessage(
            "the program's jars take 269 MiB (282066944 bytes) together, over the bridge's limit"
                + " of 250 MiB per program (--max-program-size); its largest is b.jar, 99 MiB"
                + " (103809024 bytes)");
  }

  @Test
  void givenSameJarListedTwice_whenCheck_thenCountedOnce() {
    JarRef twice = jar('a', "a.jar", 90L << 20); // 270 MiB if counted three times

    assertThatCode(() -> LIMITS.check(List.of(twice, twice, twice), "the bridge"))
        .doesNotThrowAnyException();
  }

  @Test
  void givenJarsJustUnderBothLimits_whenCheck_thenAccepted() {
    JarRef twice = jar('a', "a.jar", 100L << 20);

    assertThatCode(() -> LIMITS.check(List.of(twice, twice), "the bridge"))
        .doesNotThrowAnyException();
  }

  @Test
  void givenZeroLimit_whenMade_thenIllegalArgument() {
    assertThatThrownBy(() -> new JarLimits(0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1 byte");
  }

  private static JarRef jar(char hash, String name, long size) {
    return new JarRef(String.valueOf(hash).repeat(64), name, size);
  }
}
