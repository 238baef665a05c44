package dev.deploy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Pid;
import dev.deploy.bridge.Event;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The codes on the wire behind {@link SpawnOutcome}, {@link Link.Role}, {@link EventKind} and
 * {@link ClientLink.Listed.State}: the same bytes as when they were bare ints (so protocol {@value
 * Link.Hello#PROTOCOL} stays), and an unknown code from a peer is a {@link ProtocolException}
 * naming it.
 */
@Timeout(10)
class WireCodesTest {
  private static final Pid CHILD = Pid.of(new byte[] {10, 0, 0, 2}, 41_000, 0x1234_5678_9AL);

  private static List<Integer> codes(int[] codes) {
    return Arrays.stream(codes).boxed().toList();
  }

  @Test
  void givenEachEnum_whenItsCodes_thenTheNumbersTheProtocolHasAlwaysUsed() {
    assertThat(codes(Arrays.stream(SpawnOutcome.values()).mapToInt(SpawnOutcome::code).toArray()))
        .containsExactly(0, 1, 2);
    assertThat(codes(Arrays.stream(Link.Role.values()).mapToInt(Link.Role::code).toArray()))
        .containsExactly(1, 2, 3, 4);
    assertThat(codes(Arrays.stream(EventKind.values()).mapToInt(EventKind::code).toArray()))
        .containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(
            codes(
                Arrays.stream(ClientLink.Listed.State.values())
                    .mapToInt(ClientLink.Listed.State::code)
                    .toArray()))
        .containsExactly(0, 1, 2);
  }

  @Test
  void givenMessagesWithCodes_whenEncoded_thenTheBytesOfTheBareInts() {
    assertThat(Control.SpawnReply.noRoom(5).encode())
        .isEqualTo(new MessageOut().i64(5).u8(1).toByteArray());
    assertThat(new WorkerLink.SpawnResult(6, SpawnOutcome.FAILED, null, "x").encode())
        .isEqualTo(
            new MessageOut().i64(6).u8(2).optionalPid(null).optionalString("x").toByteArray());
    assertThat(new Link.Hello(Link.Hello.PROTOCOL, "1", Link.Role.BRIDGE).encode())
        .isEqualTo(new MessageOut().i32(Link.Hello.PROTOCOL).string("1").u8(4).toByteArray());
    assertThat(new Link.EventOf(9, new Event.Eof(CHILD, 2)).encode())
        .isEqualTo(new MessageOut().i64(9).u8(3).pid(CHILD).u8(2).toByteArray());
  }

  @Test
  void givenAHelloWithAnUnknownRole_whenDecoded_thenProtocolExceptionNamingIt() {
    byte[] bytes = new MessageOut().i32(Link.Hello.PROTOCOL).string("1").u8(9).toByteArray();

    assertThatThrownBy(() -> WorkerLink.decode(new Frame(Link.Hello.TYPE, bytes)))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("unknown role 9 in a Hello");
    assertThatThrownBy(() -> ClientLink.decode(new Frame(Link.Hello.TYPE, bytes)))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("unknown role 9 in a Hello");
  }

  @Test
  void givenASpawnReplyWithAnUnknownOutcome_whenDecoded_thenProtocolExceptionNamingIt() {
    byte[] bytes = new MessageOut().i64(1).u8(3).toByteArray();

    assertThatThrownBy(() -> Control.decode(new Frame(Control.SpawnReply.TYPE, bytes)))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("unknown spawn outcome 3");
  }
}
