package dev.deploy.bridge;

import static dev.deploy.bridge.HumanFormatTest.pid;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonFormatTest {
  private static final Pid ROOT = pid("3fecd01");
  private static final Pid CHILD = pid("9a1b2c3");
  private static final Pid GONE = pid("5e6f7a8");

  private static final long TS = 1_765_000_000_123L;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final JsonFormat format = new JsonFormat(out, () -> TS);

  @Test
  void givenChannelStats_whenWritten_thenNothingPrinted() throws IOException {
    format.write(new Event.ChannelStats(ROOT, 3, 300, 2, 200));
    format.flush();

    assertThat(out.size()).isZero();
  }

  @Test
  void givenRootSpawn_whenWritten_thenParentNull() throws IOException {
    assertThat(lines(new Event.Spawned(ROOT, null)))
        .isEqualTo(
            "{\"event\":\"spawn\",\"pid\":\"3fecd01\",\"parent\":null,\"ts\":1765000000123}\n");
  }

  @Test
  void givenChildSpawn_whenWritten_thenParentPid() throws IOException {
    assertThat(lines(new Event.Spawned(CHILD, ROOT)))
        .isEqualTo(
            "{\"event\":\"spawn\",\"pid\":\"9a1b2c3\",\"parent\":\"3fecd01\",\"ts\":1765000000123}\n");
  }

  @Test
  void givenOutput_whenWritten_thenDataInBase64() throws IOException {
    assertThat(lines(new Event.Output(CHILD, 1, "hi\n".getBytes(UTF_8))))
        .isEqualTo(
            "{\"event\":\"output\",\"pid\":\"9a1b2c3\",\"fd\":1,\"data\":\"aGkK\",\"ts\":1765000000123}\n");
  }

  @Test
  void givenStderrOutput_whenWritten_thenFdTwo() throws IOException {
    assertThat(lines(new Event.Output(CHILD, 2, "hi\n".getBytes(UTF_8))))
        .isEqualTo(
            "{\"event\":\"output\",\"pid\":\"9a1b2c3\",\"fd\":2,\"data\":\"aGkK\",\"ts\":1765000000123}\n");
  }

  @Test
  void givenEof_whenWritten_thenOutputWithEofTrue() throws IOException {
    assertThat(lines(new Event.Eof(CHILD, 1)))
        .isEqualTo(
            "{\"event\":\"output\",\"pid\":\"9a1b2c3\",\"fd\":1,\"eof\":true,\"ts\":1765000000123}\n");
  }

  @Test
  void givenExitCodeZero_whenWritten_thenCodeZero() throws IOException {
    assertThat(lines(new Event.Exit(CHILD, ExitStatus.exited(0))))
        .isEqualTo("{\"event\":\"exit\",\"pid\":\"9a1b2c3\",\"code\":0,\"ts\":1765000000123}\n");
  }

  @Test
  void givenKilledByMemoryLimit_whenWritten_thenSignalOomAndReason() throws IOException {
    String line = lines(new Event.Exit(CHILD, ExitStatus.killedByMemoryLimit(256L << 20)));

    assertThat(line)
        .isEqualTo(
            "{\"event\":\"exit\",\"pid\":\"9a1b2c3\",\"signal\":\"SIGKILL\",\"oom\":true,"
                + "\"reason\":\"memory-limit\",\"ts\":1765000000123}\n");
    assertThat(JsonEvents.parseLine(line.strip()))
        .containsEntry("signal", "SIGKILL")
        .containsEntry("reason", "memory-limit");
  }

  @Test
  void givenPlainSigkill_whenWritten_thenNoReason() throws IOException {
    assertThat(lines(new Event.Exit(CHILD, ExitStatus.killed(9))))
        .isEqualTo(
            "{\"event\":\"exit\",\"pid\":\"9a1b2c3\",\"signal\":\"SIGKILL\",\"ts\":1765000000123}\n");
  }

  @Test
  void givenExitCodeThree_whenWritten_thenCodeThree() throws IOException {
    assertThat(lines(new Event.Exit(CHILD, ExitStatus.exited(3))))
        .isEqualTo("{\"event\":\"exit\",\"pid\":\"9a1b2c3\",\"code\":3,\"ts\":1765000000123}\n");
  }

  @Test
  void givenKilled_whenWritten_thenSignalName() throws IOException {
    assertThat(lines(new Event.Exit(ROOT, ExitStatus.killed(9))))
        .isEqualTo(
            "{\"event\":\"exit\",\"pid\":\"3fecd01\",\"signal\":\"SIGKILL\",\"ts\":1765000000123}\n");
  }

  @Test
  void givenLost_whenWritten_thenLostTrue() throws IOException {
    assertThat(lines(new Event.Exit(GONE, ExitStatus.lost())))
        .isEqualTo("{\"event\":\"exit\",\"pid\":\"5e6f7a8\",\"lost\":true,\"ts\":1765000000123}\n");
  }

  @Test
  void givenSeveralEvents_whenWritten_thenOneLinePerEventInOrder() throws IOException {
    String written =
        lines(
            new Event.Spawned(ROOT, null),
            new Event.Output(ROOT, 1, "hi\n".getBytes(UTF_8)),
            new Event.Eof(ROOT, 1),
            new Event.Eof(ROOT, 2),
            new Event.Exit(ROOT, ExitStatus.exited(0)));

    assertThat(written.split("\n"))
        .extracting(line -> JsonEvents.parseLine(line).get("event"))
        .containsExactly("spawn", "output", "output", "output", "exit");
  }

  @Test
  void givenAllByteValues_whenWrittenAndParsed_thenDataDecodesByteExact() throws IOException {
    byte[] all = new byte[256];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) i;
    }

    String line = lines(new Event.Output(CHILD, 1, all)).strip();

    Map<String, Object> event = JsonEvents.parseLine(line);
    assertThat(Base64.getDecoder().decode((String) event.get("data"))).isEqualTo(all);
  }

  @Test
  void givenEmptyChunk_whenWritten_thenEmptyData() throws IOException {
    assertThat(lines(new Event.Output(CHILD, 1, new byte[0])))
        .isEqualTo(
            "{\"event\":\"output\",\"pid\":\"9a1b2c3\",\"fd\":1,\"data\":\"\",\"ts\":1765000000123}\n");
  }

  @Test
  void givenWrittenEvent_whenNotFlushed_thenNothingOnStreamYet() throws IOException {
    format.write(new Event.Spawned(ROOT, null));

    assertThat(out.size()).isZero();
  }

  private String lines(Event... events) throws IOException {
    for (Event event : events) {
      format.write(event);
    }
    format.flush();
    return out.toString(UTF_8);
  }
}
