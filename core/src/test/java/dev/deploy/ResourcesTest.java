package dev.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.deploy.testing.Gen;
import dev.deploy.testing.RandomCases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ResourcesTest {
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;
  private static final long TIB = 1L << 40;

  @ParameterizedTest(name = "{0} = {1} bytes")
  @CsvSource({
    "512B, 512",
    "3KiB, 3072",
    "20MiB, 20971520",
    "2GiB, 2147483648",
    "1TiB, 1099511627776",
    "3KB, 3000",
    "20MB, 20000000",
    "2GB, 2000000000",
    "1TB, 1000000000000",
  })
  void givenEveryUnitWithoutSpace_whenParseMemory_thenBytes(String text, long bytes) {
    assertThat(Resources.parseMemory(text)).isEqualTo(bytes);
  }

  @ParameterizedTest(name = "\"{0}\" = {1} bytes")
  @CsvSource(
      delimiter = '|',
      value = {
        "512 B|512",
        "3 KiB|3072",
        "20 MiB|20971520",
        "2 GiB|2147483648",
        "1 TiB|1099511627776",
        "3 KB|3000",
        "20 MB|20000000",
        "2 GB|2000000000",
        "1 TB|1000000000000",
      })
  void givenEveryUnitWithSpace_whenParseMemory_thenBytes(String text, long bytes) {
    assertThat(Resources.parseMemory(text)).isEqualTo(bytes);
  }

  @ParameterizedTest(name = "{0} = {1} bytes")
  @CsvSource({
    "8G, 8589934592",
    "8g, 8589934592",
    "8Gi, 8589934592",
    "8GiB, 8589934592",
    "512M, 536870912",
    "512m, 536870912",
    "512Mi, 536870912",
    "64k, 65536",
    "64Ki, 65536",
    "1T, 1099511627776",
    "1t, 1099511627776",
    "1Ti, 1099511627776",
    "1.5g, 1610612736",
    "2 G, 2147483648",
  })
  void givenJavaSlurmOrKubernetesSize_whenParseMemory_thenPowersOf1024(String text, long bytes) {
    assertThat(Resources.parseMemory(text)).isEqualTo(bytes);
  }

  @Test
  void givenNotASize_whenParseMemory_thenErrorListsTheAcceptedForms() {
    assertThatThrownBy(() -> Resources.parseMemory("8 gigs"))
        .hasMessageContaining("\"8 gigs\"")
        .hasMessageContaining("512m, 512M, 8G, 8Gi or 8GiB")
        .hasMessageContaining("KB, MB, GB, TB powers of 1000");
  }

  @Test
  void givenBareNumber_whenParseMemory_thenBytes() {
    assertThat(Resources.parseMemory("100000")).isEqualTo(100_000L);
  }

  @Test
  void givenSurroundingWhiteSpace_whenParseMemory_thenIgnored() {
    assertThat(Resources.parseMemory("  2 GiB \n")).isEqualTo(2 * GIB);
  }

  @ParameterizedTest(name = "{0} = {1} bytes")
  @CsvSource({
    "1.5GiB, 1610612736",
    "1.5 GiB, 1610612736",
    "0.5KiB, 512",
    "0.25 TiB, 274877906944",
    "2.5MB, 2500000",
  })
  void givenDecimal_whenParseMemory_thenScaledExactly(String text, long bytes) {
    assertThat(Resources.parseMemory(text)).isEqualTo(bytes);
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(
      strings = {
        "4Gb", "abc", "", "-1MiB", "1 gib", "GiB", "1.5.GiB", "1,5GiB", "1 GiB 2", ".5GiB", "8gi",
        "8GI", "8kB", "8 G B", "G"
      })
  void givenNotASize_whenParseMemory_thenIllegalArgumentNamingTheText(String text) {
    assertThatThrownBy(() -> Resources.parseMemory(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + text + "\"");
  }

  @Test
  void givenNull_whenParseMemory_thenIllegalArgument() {
    assertThatThrownBy(() -> Resources.parseMemory(null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void givenSizeOver8EiB_whenParseMemory_thenIllegalArgumentNamingTheText() {
    assertThatThrownBy(() -> Resources.parseMemory("9000000 TiB"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("9000000 TiB");
  }

  @Test
  void givenUserText_whenParse_thenMemoryAndCpu() {
    Resources r = Resources.parse("400GiB", "34");

    assertThat(r).isEqualTo(new Resources(400 * GIB, 34));
  }

  @Test
  void givenFractionalCpuWithSpaces_whenParse_thenCpu() {
    assertThat(Resources.parse("1 GiB", " 0.25 ").cpu()).isEqualTo(0.25);
  }

  @Test
  void givenZeroCpu_whenParse_thenAccepted() {
    assertThat(Resources.parse("64MiB", "0")).isEqualTo(new Resources(64 * MIB, 0));
  }

  @ParameterizedTest(name = "cpu \"{0}\"")
  @ValueSource(strings = {"NaN", "-1", "-0.5", "Infinity", "-Infinity", "abc", "1e999"})
  void givenBadCpu_whenParse_thenIllegalArgumentNamingTheText(String cpu) {
    assertThatThrownBy(() -> Resources.parse("1GiB", cpu))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(cpu);
  }

  @Test
  void givenNullCpu_whenParse_thenIllegalArgument() {
    assertThatThrownBy(() -> Resources.parse("1GiB", null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"63MiB", "10 MiB", "1KiB", "0", "63.99 MiB"})
  void givenMemoryUnder64MiB_whenParse_thenIllegalArgumentNamingTheText(String memory) {
    assertThatThrownBy(() -> Resources.parse(memory, "1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(memory);
  }

  @Test
  void givenMemoryOneByteUnderMinimum_whenConstructed_thenIllegalArgumentNamingIt() {
    assertThatThrownBy(() -> new Resources(Resources.MIN_MEMORY - 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Long.toString(Resources.MIN_MEMORY - 1));
  }

  @Test
  void givenExactlyMinimumMemory_whenConstructed_thenAccepted() {
    assertThat(new Resources(64 * MIB, 0).memory()).isEqualTo(64 * MIB);
  }

  @ParameterizedTest(name = "cpu {0}")
  @ValueSource(doubles = {Double.NaN, -0.01, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
  void givenBadCpu_whenConstructed_thenIllegalArgumentNamingIt(double cpu) {
    assertThatThrownBy(() -> new Resources(GIB, cpu))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Double.toString(cpu));
  }

  @Test
  void givenDefault_whenRead_thenOneGibAndAHundredthsOfACore() {
    assertThat(Resources.DEFAULT).isEqualTo(new Resources(GIB, 0.05));
  }

  @ParameterizedTest(name = "{0} bytes = \"{1}\"")
  @CsvSource(
      delimiter = '|',
      value = {
        "0|0 B",
        "100|100 B",
        "1023|1023 B",
        "1024|1 KiB",
        "1536|1.5 KiB",
        "67108864|64 MiB",
        "1073741824|1 GiB",
        "1610612736|1.5 GiB",
        "1342177280|1.25 GiB",
        "1099511627776|1 TiB",
        "1125899906842624|1 PiB",
      })
  void givenBytes_whenFormatMemory_thenWrittenAsAUserWould(long bytes, String text) {
    assertThat(Resources.formatMemory(bytes)).isEqualTo(text);
  }

  @Test
  void givenAThirdOfAGib_whenFormatMemory_thenTwoDecimals() {
    assertThat(Resources.formatMemory(GIB + GIB / 3)).isEqualTo("1.33 GiB");
  }

  @Test
  void givenOneByteUnder2GiB_whenFormatMemory_thenNoDanglingDecimalPoint() {
    assertThat(Resources.formatMemory(2 * GIB - 1)).isEqualTo("2 GiB");
  }

  @Test
  void givenOneByteUnder1MiB_whenFormatMemory_thenNoDanglingDecimalPoint() {
    assertThat(Resources.formatMemory(MIB - 1)).isIn("1024 KiB", "1 MiB");
  }

  @RandomCases(1000)
  @Timeout(10)
  void givenAnySizeUnder1PiB_whenFormattedAndParsedBack_thenWithinRounding(Gen gen) {
    long bytes = gen.longBetween(0, (1L << 50) - 1);
    String text = Resources.formatMemory(bytes);

    assertThat(text).matches("(0|[1-9]\\d*)(\\.\\d?[1-9])? (B|KiB|MiB|GiB|TiB)");
    assertThat(Resources.parseMemory(text)).isCloseTo(bytes, within((long) (bytes * 0.005) + 1));
  }

  @Test
  void givenDefault_whenToString_thenReadableSizeAndCores() {
    assertThat(Resources.DEFAULT).hasToString("Resources[memory=1 GiB, cpu=0.05]");
  }

  @Test
  void givenWholeCoresAndFractionalMemory_whenToString_thenNoTrailingZeros() {
    assertThat(new Resources(GIB + GIB / 2, 2.0)).hasToString("Resources[memory=1.5 GiB, cpu=2]");
  }

  @Test
  void givenZeroCpu_whenToString_thenZero() {
    assertThat(new Resources(TIB, 0)).hasToString("Resources[memory=1 TiB, cpu=0]");
  }
}
