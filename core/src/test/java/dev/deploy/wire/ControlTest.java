package dev.deploy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Pid;
import dev.deploy.Resources;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ControlTest {
  private static final Pid CHILD = Pid.of(new byte[] {127, 0, 0, 1}, 41_000, 0x1234_5678_9AL);
  private static final Pid PARENT =
      Pid.of(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 41_001, -5);
  private static final Resources SMALL = new Resources(256L << 20, 0.25);
  private static final byte[] TASK = {(byte) 0xCA, (byte) 0xFE, 0, 1};

  static Stream<Arguments> everyMessage() {
    return Stream.of(
        Arguments.of("Hello", new Control.Hello(0xDEAD_BEEFL, CHILD)),
        Arguments.of("Start with parent and task", new Control.Start(PARENT, SMALL, TASK)),
        Arguments.of("Start of main", new Control.Start(null, Resources.DEFAULT, null)),
        Arguments.of(
            "Start with parent, empty task", new Control.Start(PARENT, SMALL, new byte[0])),
        Arguments.of("SpawnRequest wait", new Control.SpawnRequest(9, SMALL, TASK, true)),
        Arguments.of(
            "SpawnRequest no wait", new Control.SpawnRequest(-1, Resources.DEFAULT, TASK, false)),
        Arguments.of("SpawnReply started", Control.SpawnReply.started(3, CHILD)),
        Arguments.of("SpawnReply no room", Control.SpawnReply.noRoom(4)),
        Arguments.of("SpawnReply failed", Control.SpawnReply.failed(5, "the launcher failed: ✗")),
        Arguments.of("Exiting on its own", new Control.Exiting(0)),
        Arguments.of("Exiting on SIGTERM", new Control.Exiting(15)),
        Arguments.of("Exiting, highest signal", new Control.Exiting(255)),
        Arguments.of(
            "Exiting with unfinished remotes", new Control.Exiting(0, List.of(CHILD, PARENT))),
        Arguments.of("FateQuery", new Control.FateQuery(11, CHILD)),
        Arguments.of("FateReply exited", new Control.FateReply(12, true)),
        Arguments.of("FateReply died", new Control.FateReply(13, false)),
        Arguments.of("ChannelStats none", new Control.ChannelStats(0, 0, 0, 0)),
        Arguments.of("ChannelStats", new Control.ChannelStats(5, 1_000, Long.MAX_VALUE, 1L << 40)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyMessage")
  void givenMessage_whenEncodedAndDecoded_thenEqualFields(String name, Control message)
      throws Exception {
    Control decoded = Control.decode(new Frame(message.type(), message.encode()));

    assertThat(decoded).isInstanceOf(message.getClass());
    assertThat(decoded).usingRecursiveComparison().isEqualTo(message);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyMessage")
  void givenMessage_whenSentThroughFrames_thenEqualFields(String name, Control message)
      throws Exception {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    new FrameWriter(wire).write(message.type(), message.encode());

    Frame frame = new FrameReader(new ByteArrayInputStream(wire.toByteArray())).read();

    assertThat(Control.decode(frame)).usingRecursiveComparison().isEqualTo(message);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyMessage")
  void givenMessageCutShort_whenDecoded_thenProtocolExceptionAtEveryCut(
      String name, Control message) {
    byte[] whole = message.encode();
    for (int length = 0; length < whole.length; length++) {
      Frame cut = new Frame(message.type(), Arrays.copyOf(whole, length));

      assertThatThrownBy(() -> Control.decode(cut))
          .as("%s cut to %d of %d bytes", name, length, whole.length)
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("ends inside");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyMessage")
  void givenMessageWithTrailingByte_whenDecoded_thenProtocolException(
      String name, Control message) {
    byte[] whole = message.encode();
    Frame longer = new Frame(message.type(), Arrays.copyOf(whole, whole.length + 1));

    assertThatThrownBy(() -> Control.decode(longer))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("1 unexpected bytes");
  }

  @ParameterizedTest(name = "type {0}")
  @ValueSource(ints = {0, 99, 200, 255})
  void givenUnknownType_whenDecoded_thenProtocolExceptionNamingIt(int type) {
    assertThatThrownBy(() -> Control.decode(new Frame(type, new byte[8])))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("type " + type);
  }

  @ParameterizedTest(name = "field {0}")
  @ValueSource(ints = {0, 1, 2, 3})
  void givenChannelStatsWithANegativeTotal_whenDecoded_thenProtocolExceptionNamingIt(int field) {
    long[] totals = {1, 2, 3, 4};
    totals[field] = -1;
    byte[] payload = new Control.ChannelStats(totals[0], totals[1], totals[2], totals[3]).encode();

    String[] names = {"values sent", "bytes sent", "values received", "bytes received"};
    assertThatThrownBy(() -> Control.decode(new Frame(8, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessage(names[field] + " -1 is negative");
  }

  @Test
  void givenUnknownSpawnOutcome_whenDecoded_thenProtocolExceptionNamingIt() {
    byte[] payload = new MessageOut().i64(1).u8(3).toByteArray();

    assertThatThrownBy(() -> Control.decode(new Frame(Control.SpawnReply.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("outcome 3");
  }

  @Test
  void givenExitingNamingMoreRemotesThanAllowed_whenDecoded_thenProtocolExceptionNamingCount() {
    byte[] payload = new MessageOut().u8(0).i32(Control.Exiting.MAX_UNFINISHED + 1).toByteArray();

    assertThatThrownBy(() -> Control.decode(new Frame(Control.Exiting.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("unfinished count " + (Control.Exiting.MAX_UNFINISHED + 1));
  }

  @Test
  void givenUnknownFate_whenDecoded_thenProtocolExceptionNamingIt() {
    byte[] payload = new MessageOut().i64(1).u8(2).toByteArray();

    assertThatThrownBy(() -> Control.decode(new Frame(Control.FateReply.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("fate 2");
  }

  @Test
  void givenHelloWithHostOfFiveBytes_whenDecoded_thenProtocolException() {
    byte[] payload = new MessageOut().i64(1).bytes(new byte[5]).i32(80).i64(2).toByteArray();

    assertThatThrownBy(() -> Control.decode(new Frame(Control.Hello.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("5 bytes");
  }

  @Test
  void givenHelloWithPort70000_whenDecoded_thenProtocolException() {
    byte[] payload = new MessageOut().i64(1).bytes(new byte[4]).i32(70_000).i64(2).toByteArray();

    assertThatThrownBy(() -> Control.decode(new Frame(Control.Hello.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("70000");
  }

  @Test
  void givenStartWithNegativeMemory_whenDecoded_thenProtocolException() {
    byte[] payload = new MessageOut().u8(0).i64(-1).f64(1).u8(0).toByteArray();

    assertThatThrownBy(() -> Control.decode(new Frame(Control.Start.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("-1");
  }

  @Test
  void givenSpawnRequestWithInfiniteCpu_whenDecoded_thenProtocolException() {
    byte[] payload =
        new MessageOut()
            .i64(1)
            .i64(1L << 30)
            .f64(Double.POSITIVE_INFINITY)
            .bytes(TASK)
            .u8(0)
            .toByteArray();

    assertThatThrownBy(() -> Control.decode(new Frame(Control.SpawnRequest.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("Infinity");
  }

  @Test
  void givenSpawnRequestWithTaskLengthBeyondPayload_whenDecoded_thenProtocolException() {
    byte[] payload =
        new MessageOut().i64(1).resources(SMALL).i32(Integer.MAX_VALUE).u8(0).toByteArray();

    assertThatThrownBy(() -> Control.decode(new Frame(Control.SpawnRequest.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("task");
  }
}
