package dev.deploy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.testing.Gen;
import dev.deploy.testing.RandomCases;
import org.junit.jupiter.api.Timeout;

/**
 * A peer controls every byte of a control frame, so {@link Control#decode} must answer any bytes
 * with a message or a {@link ProtocolException}, never another exception.
 */
class ControlPropertyTest {
  @RandomCases(3000)
  @Timeout(10)
  void givenRandomTypeAndPayload_whenDecoded_thenMessageOrProtocolException(Gen gen) {
    int type = gen.intBetween(0, 255);
    byte[] payload = gen.bytes(0, 120);

    Throwable thrown = catchThrowable(() -> Control.decode(new Frame(type, payload)));

    assertThat(thrown)
        .satisfiesAnyOf(
            t -> assertThat(t).isNull(), t -> assertThat(t).isInstanceOf(ProtocolException.class));
  }

  @RandomCases(3000)
  @Timeout(10)
  void givenKnownTypeAndRandomPayload_whenDecoded_thenMessageOrProtocolException(Gen gen) {
    int type = gen.intBetween(1, 7);
    byte[] payload = gen.bytes(0, 120);

    Throwable thrown = catchThrowable(() -> Control.decode(new Frame(type, payload)));

    assertThat(thrown)
        .satisfiesAnyOf(
            t -> assertThat(t).isNull(), t -> assertThat(t).isInstanceOf(ProtocolException.class));
  }

  @RandomCases(3000)
  @Timeout(10)
  void givenValidMessageWithOneByteChanged_whenDecoded_thenMessageOrProtocolException(Gen gen) {
    Control message = message(gen);
    int where = gen.intBetween(0, 10_000);
    byte value = gen.anyByte();
    byte[] payload = message.encode();
    if (payload.length > 0) {
      payload[where % payload.length] = value;
    }

    Throwable thrown = catchThrowable(() -> Control.decode(new Frame(message.type(), payload)));

    assertThat(thrown)
        .satisfiesAnyOf(
            t -> assertThat(t).isNull(), t -> assertThat(t).isInstanceOf(ProtocolException.class));
  }

  @RandomCases(1000)
  @Timeout(10)
  void givenAnyValidMessage_whenEncodedAndDecoded_thenEqualFields(Gen gen)
      throws ProtocolException {
    Control message = message(gen);

    Control decoded = Control.decode(new Frame(message.type(), message.encode()));

    assertThat(decoded).usingRecursiveComparison().isEqualTo(message);
  }

  /** Any control message, each kind as likely as the others. */
  private static Control message(Gen gen) {
    return gen.either(
        () -> new Control.Hello(gen.anyLong(), pid(gen)),
        () ->
            new Control.Start(
                gen.orNull(0.3, () -> pid(gen)),
                resources(gen),
                gen.orNull(0.3, () -> gen.bytes(0, 40))),
        () -> new Control.SpawnRequest(gen.anyLong(), resources(gen), gen.bytes(0, 40), gen.bool()),
        () -> Control.SpawnReply.started(gen.anyLong(), pid(gen)),
        () -> Control.SpawnReply.noRoom(gen.anyLong()),
        () ->
            Control.SpawnReply.failed(gen.anyLong(), gen.string(0, 30, Gen.range(' ', '~') + "é✓")),
        () -> new Control.Exiting(gen.intBetween(0, 255)),
        () -> new Control.FateQuery(gen.anyLong(), pid(gen)),
        () -> new Control.FateReply(gen.anyLong(), gen.bool()),
        () ->
            new Control.ChannelStats(
                gen.longBetween(0, Long.MAX_VALUE),
                gen.longBetween(0, Long.MAX_VALUE),
                gen.longBetween(0, Long.MAX_VALUE),
                gen.longBetween(0, Long.MAX_VALUE)));
  }

  /** A pid on any host but a wildcard, IPv4 or IPv6. */
  private static Pid pid(Gen gen) {
    byte[] host = gen.bytes(gen.bool() ? 4 : 16);
    while (!dialable(host)) {
      host = gen.bytes(host.length);
    }
    return Pid.of(host, gen.intBetween(0, 65535), gen.anyLong());
  }

  /** Whether a pid may have {@code host}: any address but a wildcard. */
  private static boolean dialable(byte[] host) {
    try {
      Pid.of(host, 1, 0);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static Resources resources(Gen gen) {
    return new Resources(
        gen.longBetween(Resources.MIN_MEMORY, Long.MAX_VALUE), gen.doubleBetween(0, 1024));
  }
}
