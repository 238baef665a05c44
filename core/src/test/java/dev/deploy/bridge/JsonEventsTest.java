package dev.deploy.bridge;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.deploy.Pid;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonEventsTest {
  @Test
  void givenRootSpawnLine_whenParsed_thenParentPresentAndNull() {
    Map<String, Object> event =
        JsonEvents.parseLine("{\"event\":\"spawn\",\"pid\":\"3fecd01\",\"parent\":null}");

    assertThat(event)
        .containsExactly(entry("event", "spawn"), entry("pid", "3fecd01"), entry("parent", null));
  }

  @Test
  void givenOutputLine_whenParsed_thenFdIsInteger() {
    Map<String, Object> event =
        JsonEvents.parseLine(
            "{\"event\":\"output\",\"pid\":\"9a1b2c3\",\"fd\":1,\"data\":\"aGkK\"}");

    assertThat(event)
        .containsExactly(
            entry("event", "output"),
            entry("pid", "9a1b2c3"),
            entry("fd", 1),
            entry("data", "aGkK"));
  }

  @Test
  void givenBooleansAndNegativeNumber_whenParsed_thenTypedValues() {
    Map<String, Object> event = JsonEvents.parseLine("{\"a\":true,\"b\":false,\"c\":-12}");

    assertThat(event).containsExactly(entry("a", true), entry("b", false), entry("c", -12));
  }

  @Test
  void givenEveryFormatLine_whenParsed_thenRoundTrips() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    JsonFormat format = new JsonFormat(out, () -> 42);
    Pid pid = HumanFormatTest.pid("5e6f7a8");
    format.write(new Event.Spawned(pid, HumanFormatTest.pid("3fecd01")));
    format.write(new Event.Eof(pid, 2));
    format.write(new Event.Exit(pid, ExitStatus.killed(15)));
    format.flush();

    String[] lines = out.toString(UTF_8).split("\n");

    assertThat(JsonEvents.parseLine(lines[0]))
        .containsExactly(
            entry("event", "spawn"),
            entry("pid", "5e6f7a8"),
            entry("parent", "3fecd01"),
            entry("ts", 42));
    assertThat(JsonEvents.parseLine(lines[1]))
        .containsExactly(
            entry("event", "output"),
            entry("pid", "5e6f7a8"),
            entry("fd", 2),
            entry("eof", true),
            entry("ts", 42));
    assertThat(JsonEvents.parseLine(lines[2]))
        .containsExactly(
            entry("event", "exit"),
            entry("pid", "5e6f7a8"),
            entry("signal", "SIGTERM"),
            entry("ts", 42));
  }

  @Test
  void givenWhitespaceAndEscapes_whenParsed_thenDecoded() {
    Map<String, Object> event = JsonEvents.parseLine(" { \"k\" : \"a\\\"b\\\\c\\n\\u00e9\" } ");

    assertThat(event).containsExactly(entry("k", "a\"b\\c\n\u00e9"));
  }

  @Test
  void givenEmptyObject_whenParsed_thenEmptyMap() {
    assertThat(JsonEvents.parseLine("{}")).isEmpty();
  }

  @Test
  void givenParsedMap_whenModified_thenRefused() {
    Map<String, Object> event = JsonEvents.parseLine("{\"a\":1}");

    assertThatThrownBy(() -> event.put("b", 2)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void givenNestedObject_whenParsed_thenRefusedNamingLine() {
    assertRefused("{\"a\":{\"b\":1}}");
  }

  @Test
  void givenArray_whenParsed_thenRefused() {
    assertRefused("{\"a\":[1]}");
  }

  @Test
  void givenFraction_whenParsed_thenRefused() {
    assertRefused("{\"a\":1.5}");
  }

  @Test
  void givenNumberBeyondInt_whenParsed_thenLong() {
    assertThat(JsonEvents.parseLine("{\"ts\":1765000000123}")).containsEntry("ts", 1765000000123L);
  }

  @Test
  void givenNumberBeyondLong_whenParsed_thenRefused() {
    assertRefused("{\"a\":9223372036854775808}");
  }

  @Test
  void givenTrailingText_whenParsed_thenRefused() {
    assertRefused("{\"a\":1} x");
  }

  @Test
  void givenMissingBrace_whenParsed_thenRefused() {
    assertRefused("{\"a\":1");
  }

  @Test
  void givenDuplicateKey_whenParsed_thenRefused() {
    assertRefused("{\"a\":1,\"a\":2}");
  }

  @Test
  void givenUnterminatedString_whenParsed_thenRefused() {
    assertRefused("{\"a\":\"b}");
  }

  @Test
  void givenBareWord_whenParsed_thenRefused() {
    assertRefused("{\"a\":yes}");
  }

  @Test
  void givenNotAnObject_whenParsed_thenRefused() {
    assertRefused("[\"a\"]");
  }

  @Test
  void givenEmptyLine_whenParsed_thenRefused() {
    assertRefused("");
  }

  private static void assertRefused(String line) {
    assertThatThrownBy(() -> JsonEvents.parseLine(line))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageEndingWith(": " + line);
  }
}
