package dev.deploy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Pid;
import dev.deploy.Resources;
import org.junit.jupiter.api.Test;

class MessageInOutTest {
  private static final Pid V4 = Pid.of(new byte[] {10, 1, 2, 3}, 65535, Long.MIN_VALUE);
  private static final Pid V6 =
      Pid.of(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 0, 7);

  @Test
  void givenEveryFieldKind_whenWrittenAndRead_thenSameValuesAndNothingLeft() throws Exception {
    byte[] bytes =
        new MessageOut()
            .u8(255)
            .i32(-2)
            .i64(Long.MAX_VALUE)
            .f64(-0.5)
            .bytes(new byte[] {1, 2})
            .optionalBytes(null)
            .optionalBytes(new byte[0])
            .string("héllo ✓")
            .pid(V4)
            .optionalPid(null)
            .optionalPid(V6)
            .resources(new Resources(3L << 30, 1.5))
            .toByteArray();
    MessageIn in = new MessageIn(bytes);

    assertThat(in.u8("a")).isEqualTo(255);
    assertThat(in.i32("b")).isEqualTo(-2);
    assertThat(in.i64("c")).isEqualTo(Long.MAX_VALUE);
    assertThat(in.f64("d")).isEqualTo(-0.5);
    assertThat(in.bytes("e")).containsExactly(1, 2);
    assertThat(in.optionalBytes("f")).isNull();
    assertThat(in.optionalBytes("g")).isEmpty();
    assertThat(in.string("h")).isEqualTo("héllo ✓");
    assertThat(in.pid("i")).isEqualTo(V4);
    assertThat(in.optionalPid("j")).isNull();
    assertThat(in.optionalPid("k")).isEqualTo(V6);
    assertThat(in.resources("l")).isEqualTo(new Resources(3L << 30, 1.5));
    in.end("everything");
  }

  @Test
  void givenI32_whenWritten_thenBigEndian() {
    assertThat(new MessageOut().i32(0x01020304).toByteArray()).containsExactly(1, 2, 3, 4);
  }

  @Test
  void givenTooFewBytes_whenI64_thenProtocolExceptionNamingTheField() {
    assertThatThrownBy(() -> new MessageIn(new byte[7]).i64("launch id"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("launch id");
  }

  @Test
  void givenNegativeLength_whenBytes_thenProtocolExceptionNamingTheField() {
    byte[] bytes = new MessageOut().i32(-1).toByteArray();

    assertThatThrownBy(() -> new MessageIn(bytes).bytes("task"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("task");
  }

  @Test
  void givenLengthFarBeyondThePayload_whenBytes_thenProtocolExceptionWithoutAllocating() {
    byte[] bytes = new MessageOut().i32(Integer.MAX_VALUE).u8(1).toByteArray();

    assertThatThrownBy(() -> new MessageIn(bytes).bytes("task"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("task")
        .hasMessageContaining(Integer.toString(Integer.MAX_VALUE));
  }

  @Test
  void givenUnreadBytes_whenEnd_thenProtocolExceptionNamingTheCount() throws Exception {
    MessageIn in = new MessageIn(new byte[] {1, 2, 3});
    in.u8("first");

    assertThatThrownBy(() -> in.end("test message"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("test message")
        .hasMessageContaining("2 unexpected bytes");
  }

  @Test
  void givenPidWithHostOfFiveBytes_whenPid_thenProtocolExceptionNamingTheLength() {
    byte[] bytes = new MessageOut().bytes(new byte[5]).i32(80).i64(1).toByteArray();

    assertThatThrownBy(() -> new MessageIn(bytes).pid("pid"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("5 bytes");
  }

  @Test
  void givenPidWithNegativePort_whenPid_thenProtocolExceptionNamingThePort() {
    byte[] bytes = new MessageOut().bytes(new byte[4]).i32(-1).i64(1).toByteArray();

    assertThatThrownBy(() -> new MessageIn(bytes).pid("pid"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("-1");
  }

  @Test
  void givenResourcesWithNanCpu_whenResources_thenProtocolException() {
    byte[] bytes = new MessageOut().i64(1L << 30).f64(Double.NaN).toByteArray();

    assertThatThrownBy(() -> new MessageIn(bytes).resources("resources"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("resources");
  }

  @Test
  void givenPidWithWildcardHost_whenRead_thenProtocolExceptionNamingTheField() {
    byte[] bytes = new MessageOut().bytes(new byte[4]).i32(7000).i64(42).toByteArray();

    assertThatThrownBy(() -> new MessageIn(bytes).pid("child"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("child")
        .hasMessageContaining("wildcard");
  }
}
