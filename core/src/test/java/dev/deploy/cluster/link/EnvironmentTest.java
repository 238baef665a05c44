package dev.deploy.cluster.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.wire.ProtocolException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code deploy --env NAME=value}: what a variable is, and the one-sentence error for what is not.
 */
@Timeout(10)
class EnvironmentTest {
  @Test
  void givenNoEntries_whenParsed_thenEmpty() throws ProtocolException {
    assertThat(Environment.parse(List.of())).isEmpty();
  }

  @Test
  void givenEntries_whenParsed_thenNamesAndValuesInTheirOrder() throws ProtocolException {
    Map<String, String> env = Environment.parse(List.of("ZED=1", "ALPHA=two words", "MID=x"));

    assertThat(env)
        .containsExactly(
            Map.entry("ZED", "1"), Map.entry("ALPHA", "two words"), Map.entry("MID", "x"));
  }

  @Test
  void givenValueWithEqualsSigns_whenParsed_thenSplitAtTheFirstOnly() throws ProtocolException {
    assertThat(Environment.parse(List.of("OPTS=-Da=b -Dc=d")))
        .containsExactly(Map.entry("OPTS", "-Da=b -Dc=d"));
  }

  @Test
  void givenEmptyValue_whenParsed_thenEmptyString() throws ProtocolException {
    assertThat(Environment.parse(List.of("EMPTY="))).containsExactly(Map.entry("EMPTY", ""));
  }

  @Test
  void givenSameNameTwice_whenParsed_thenTheLaterValueWins() throws ProtocolException {
    assertThat(Environment.parse(List.of("A=1", "B=2", "A=3")))
        .containsExactly(Map.entry("A", "3"), Map.entry("B", "2"));
  }

  @Test
  void givenValueWithNonAsciiAndSpaces_whenParsed_thenKeptExactly() throws ProtocolException {
    assertThat(Environment.parse(List.of("GREETING= héllo ✓ ")))
        .containsExactly(Map.entry("GREETING", " héllo ✓ "));
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"NOEQUALS", "=value", "=", ""})
  void givenEntryWithoutName_whenParsed_thenProtocolExceptionQuotingIt(String entry) {
    assertThatThrownBy(() -> Environment.parse(List.of("OK=1", entry)))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("the environment variable \"" + entry + "\" is not NAME=value");
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"A=b\0c", "A\0B=c", "A=\0"})
  void givenEntryWithNul_whenParsed_thenProtocolException(String entry) {
    assertThatThrownBy(() -> Environment.parse(List.of(entry)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("is not NAME=value");
  }
}
