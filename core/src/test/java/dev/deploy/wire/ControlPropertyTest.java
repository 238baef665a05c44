package dev.deploy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.deploy.Pid;
import dev.deploy.Resources;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * A peer controls every byte of a control frame, so {@link Control#decode} must answer any bytes
 * with a message or a {@link ProtocolException}, never another exception.
 */
class ControlPropertyTest {
  @Property(tries = 3000)
  void givenRandomTypeAndPayload_whenDecoded_thenMessageOrProtocolException(
      @ForAll @IntRange(min = 0, max = 255) int type, @ForAll @Size(max = 120) byte[] payload) {
    Throwable thrown = catchThrowable(() -> Control.decode(new Frame(type, payload)));

    assertThat(thrown)
        .satisfiesAnyOf(
            t -> assertThat(t).isNull(), t -> assertThat(t).isInstanceOf(ProtocolException.class));
  }

  @Property(tries = 3000)
  void givenKnownTypeAndRandomPayload_whenDecoded_thenMessageOrProtocolException(
      @ForAll @IntRange(min = 1, max = 7) int type, @ForAll @Size(max = 120) byte[] payload) {
    Throwable thrown = catchThrowable(() -> Control.decode(new Frame(type, payload)));

    assertThat(thrown)
        .satisfiesAnyOf(
            t -> assertThat(t).isNull(), t -> assertThat(t).isInstanceOf(ProtocolException.class));
  }

  @Property(tries = 3000)
  void givenValidMessageWithOneByteChanged_whenDecoded_thenMessageOrProtocolException(
      @ForAll("messages") Control message,
      @ForAll @IntRange(min = 0, max = 10_000) int where,
      @ForAll byte value) {
    byte[] payload = message.encode();
    if (payload.length > 0) {
      payload[where % payload.length] = value;
    }

    Throwable thrown = catchThrowable(() -> Control.decode(new Frame(message.type(), payload)));

    assertThat(thrown)
        .satisfiesAnyOf(
            t -> assertThat(t).isNull(), t -> assertThat(t).isInstanceOf(ProtocolException.class));
  }

  @Property
  void givenAnyValidMessage_whenEncodedAndDecoded_thenEqualFields(
      @ForAll("messages") Control message) throws ProtocolException {
    Control decoded = Control.decode(new Frame(message.type(), message.encode()));

    assertThat(decoded).usingRecursiveComparison().isEqualTo(message);
  }

  @Provide
  Arbitrary<Control> messages() {
    Arbitrary<Long> ids = Arbitraries.longs();
    Arbitrary<byte[]> tasks = Arbitraries.bytes().array(byte[].class).ofMaxSize(40);
    Arbitrary<Control> hello = Combinators.combine(ids, pids()).as(Control.Hello::new);
    Arbitrary<Control> start =
        Combinators.combine(pids().injectNull(0.3), resources(), tasks.injectNull(0.3))
            .as(Control.Start::new);
    Arbitrary<Control> request =
        Combinators.combine(ids, resources(), tasks, Arbitraries.of(true, false))
            .as(Control.SpawnRequest::new);
    Arbitrary<Control> started = Combinators.combine(ids, pids()).as(Control.SpawnReply::started);
    Arbitrary<Control> noRoom = ids.map(Control.SpawnReply::noRoom);
    Arbitrary<Control> failed =
        Combinators.combine(
                ids,
                Arbitraries.strings().withCharRange(' ', '~').withChars('é', '✓').ofMaxLength(30))
            .as(Control.SpawnReply::failed);
    Arbitrary<Control> exiting = Arbitraries.integers().between(0, 255).map(Control.Exiting::new);
    Arbitrary<Control> fateQuery = Combinators.combine(ids, pids()).as(Control.FateQuery::new);
    Arbitrary<Control> fateReply =
        Combinators.combine(ids, Arbitraries.of(true, false)).as(Control.FateReply::new);
    return Arbitraries.oneOf(
        hello, start, request, started, noRoom, failed, exiting, fateQuery, fateReply);
  }

  private static Arbitrary<Pid> pids() {
    Arbitrary<byte[]> hosts =
        Arbitraries.oneOf(
            Arbitraries.bytes().array(byte[].class).ofSize(4),
            Arbitraries.bytes().array(byte[].class).ofSize(16));
    return Combinators.combine(
            hosts.filter(h -> dialable(h)),
            Arbitraries.integers().between(0, 65535),
            Arbitraries.longs())
        .as(Pid::of);
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

  private static Arbitrary<Resources> resources() {
    return Combinators.combine(
            Arbitraries.longs().between(Resources.MIN_MEMORY, Long.MAX_VALUE),
            Arbitraries.doubles().between(0, 1024))
        .as(Resources::new);
  }
}
