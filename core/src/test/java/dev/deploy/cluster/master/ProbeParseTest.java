package dev.deploy.cluster.master;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Resources;
import dev.deploy.runtime.ProcessRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Probe#parse}: what a probing JVM printed, its own output mixed in, to the resources its
 * {@code init()} asked for. The last {@code deploy-init <bytes> <cores>} line wins; a malformed one
 * means null.
 */
@Timeout(10)
class ProbeParseTest {
  private static final long GIB = 1L << 30;

  @Test
  void givenTheLineTheRuntimePrints_whenParsed_thenItsResources() {
    Resources asked = new Resources(3 * GIB, 1.5);

    assertThat(Probe.parse(runtimeLine(asked) + "\n")).isEqualTo(asked);
  }

  @Test
  void givenTinyCpuPrintedInScientificNotation_whenParsed_thenItsResources() {
    Resources asked = new Resources(Resources.MIN_MEMORY, 0.0001); // prints as 1.0E-4

    assertThat(Probe.parse(runtimeLine(asked) + "\n")).isEqualTo(asked);
  }

  @Test
  void givenDefaultResources_whenParsed_thenDefault() {
    assertThat(Probe.parse(runtimeLine(Resources.DEFAULT))).isEqualTo(Resources.DEFAULT);
  }

  @Test
  void givenTwoInitLines_whenParsed_thenTheLastWins() {
    String out = "deploy-init 1073741824 1.0\n" + "deploy-init 2147483648 2.0\n";

    assertThat(Probe.parse(out)).isEqualTo(new Resources(2 * GIB, 2.0));
  }

  @Test
  void givenProgramOutputAroundTheLine_whenParsed_thenGarbageIgnored() {
    String out =
        "starting my app\n"
            + "SLF4J: No SLF4J providers were found.\n"
            + "deploy-initialising something\n"
            + "\n"
            + "deploy-init 1073741824 0.5\n"
            + "bye\n"
            + "deploy-init\n";

    assertThat(Probe.parse(out)).isEqualTo(new Resources(GIB, 0.5));
  }

  @Test
  void givenWindowsLineEndings_whenParsed_thenItsResources() {
    assertThat(Probe.parse("hello\r\ndeploy-init 1073741824 4\r\n"))
        .isEqualTo(new Resources(GIB, 4));
  }

  @Test
  void givenNoFinalNewline_whenParsed_thenItsResources() {
    assertThat(Probe.parse("deploy-init 1073741824 4")).isEqualTo(new Resources(GIB, 4));
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "\n", "hello\nworld\n", "Deploy-init 1073741824 1\n"})
  void givenNoInitLine_whenParsed_thenNull(String out) {
    assertThat(Probe.parse(out)).isNull();
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(
      strings = {
        "deploy-init ",
        "deploy-init 1073741824",
        "deploy-init abc 1",
        "deploy-init 1073741824 abc",
        "deploy-init 1GiB 1",
        "deploy-init 1073741824.5 1",
        "deploy-init 99999999999999999999 1",
        "deploy-init 1024 1",
        "deploy-init -1073741824 1",
        "deploy-init 1073741824 -1",
        "deploy-init 1073741824 NaN",
        "deploy-init 1073741824 Infinity"
      })
  void givenMalformedInitLine_whenParsed_thenNull(String line) {
    assertThat(Probe.parse("before\n" + line + "\nafter\n")).isNull();
  }

  @Test
  void givenGoodLineThenMalformedLine_whenParsed_thenTheLastWinsAndIsNull() {
    assertThat(Probe.parse("deploy-init 1073741824 1\ndeploy-init oops\n")).isNull();
  }

  @Test
  void givenMalformedLineThenGoodLine_whenParsed_thenTheGoodOne() {
    assertThat(Probe.parse("deploy-init oops\ndeploy-init 1073741824 1\n"))
        .isEqualTo(new Resources(GIB, 1));
  }

  /** Returns the line exactly as {@code ProcessRuntime} prints it in the probe role. */
  private static String runtimeLine(Resources r) {
    return ProcessRuntime.PROBE_PREFIX + r.memory() + " " + r.cpu();
  }
}
