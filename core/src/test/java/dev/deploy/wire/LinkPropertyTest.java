package dev.deploy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.program.JarRef;
import dev.deploy.testing.Gen;
import dev.deploy.testing.RandomCases;
import java.util.List;
import org.junit.jupiter.api.Timeout;

/**
 * A worker, a master or a deploy client controls every byte of a link frame, so {@link
 * WorkerLink#decode} and {@link ClientLink#decode} must answer any bytes with a message or a {@link
 * ProtocolException}: never another exception, and never an {@link OutOfMemoryError} from a length
 * prefix larger than the payload ({@code catchThrowable} catches errors too, so one would fail the
 * property).
 */
class LinkPropertyTest {
  /** Every type byte {@link WorkerLink#decode} or {@link ClientLink#decode} knows. */
  private static final List<Integer> TYPES =
      List.of(
          Link.Hello.TYPE,
          WorkerLink.AddProgram.TYPE,
          WorkerLink.RemoveProgram.TYPE,
          WorkerLink.Launch.TYPE,
          WorkerLink.LaunchResult.TYPE,
          Link.EventOf.TYPE,
          WorkerLink.Pending.TYPE,
          WorkerLink.Settled.TYPE,
          WorkerLink.Spawn.TYPE,
          WorkerLink.SpawnResult.TYPE,
          WorkerLink.CancelWaiting.TYPE,
          WorkerLink.ReserveWarm.TYPE,
          WorkerLink.WarmAnswer.TYPE,
          WorkerLink.ReleaseWarm.TYPE,
          WorkerLink.DropWarm.TYPE,
          WorkerLink.Fate.TYPE,
          WorkerLink.FateAnswer.TYPE,
          WorkerLink.JarWanted.TYPE,
          Link.JarChunk.TYPE,
          Link.Ping.TYPE,
          ClientLink.DeployRequest.TYPE,
          ClientLink.JarsWanted.TYPE,
          ClientLink.Done.TYPE,
          ClientLink.Failed.TYPE,
          ClientLink.Kill.TYPE,
          WorkerLink.Join.TYPE,
          WorkerLink.JoinAnswer.TYPE,
          WorkerLink.Retire.TYPE,
          WorkerLink.PauseOutput.TYPE);

  @RandomCases(3000)
  @Timeout(10)
  void givenRandomTypeAndPayload_whenDecoded_thenMessageOrProtocolException(Gen gen) {
    int type = gen.intBetween(0, 255);
    byte[] payload = gen.bytes(0, 200);

    assertMessageOrProtocolException(type, payload);
  }

  @RandomCases(5000)
  @Timeout(10)
  void givenKnownTypeAndRandomPayload_whenDecoded_thenMessageOrProtocolException(Gen gen) {
    int type = gen.oneOf(TYPES);
    byte[] payload = gen.bytes(0, 200);

    assertMessageOrProtocolException(type, payload);
  }

  @RandomCases(3000)
  @Timeout(10)
  void givenKnownTypeAndPayloadOfHugeLengths_whenDecoded_thenMessageOrProtocolException(Gen gen) {
    int type = gen.oneOf(TYPES);
    List<Integer> words = hugeInts(gen);
    MessageOut out = new MessageOut();
    words.forEach(out::i32);

    assertMessageOrProtocolException(type, out.toByteArray());
  }

  @RandomCases(5000)
  @Timeout(10)
  void givenValidMessageWithOneByteChanged_whenDecoded_thenMessageOrProtocolException(Gen gen) {
    Link message = message(gen);
    int where = gen.intBetween(0, 100_000);
    byte value = gen.anyByte();
    byte[] payload = message.encode();
    if (payload.length > 0) {
      payload[where % payload.length] = value;
    }

    assertMessageOrProtocolException(message.type(), payload);
  }

  @RandomCases(3000)
  @Timeout(10)
  void givenValidMessageWithALengthReplaced_whenDecoded_thenMessageOrProtocolException(Gen gen) {
    Link message = message(gen);
    int where = gen.intBetween(0, 100_000);
    List<Integer> lengths = hugeInts(gen);
    byte[] payload = message.encode();
    if (payload.length >= 4) {
      int at = where % (payload.length - 3);
      int v = lengths.isEmpty() ? Integer.MAX_VALUE : lengths.get(0);
      payload[at] = (byte) (v >>> 24);
      payload[at + 1] = (byte) (v >>> 16);
      payload[at + 2] = (byte) (v >>> 8);
      payload[at + 3] = (byte) v;
    }

    assertMessageOrProtocolException(message.type(), payload);
  }

  @RandomCases(2000)
  @Timeout(10)
  void givenValidMessageCutShort_whenDecoded_thenProtocolException(Gen gen) {
    Link message = message(gen);
    int where = gen.intBetween(0, 100_000);
    byte[] whole = message.encode();
    if (whole.length == 0) {
      return;
    }
    byte[] cut = java.util.Arrays.copyOf(whole, where % whole.length);

    assertThat(catchThrowable(() -> LinkTest.decode(new Frame(message.type(), cut))))
        .isInstanceOf(ProtocolException.class);
  }

  @RandomCases(2000)
  @Timeout(10)
  void givenAnyValidMessage_whenEncodedAndDecoded_thenEqualFields(Gen gen)
      throws ProtocolException {
    Link message = message(gen);

    Link decoded = LinkTest.decode(new Frame(message.type(), message.encode()));

    assertThat(decoded).isExactlyInstanceOf(message.getClass());
    assertThat(decoded).usingRecursiveComparison().isEqualTo(message);
  }

  private static void assertMessageOrProtocolException(int type, byte[] payload) {
    for (Link.Decoder<?> protocol :
        List.<Link.Decoder<?>>of(WorkerLink::decode, ClientLink::decode)) {
      Throwable thrown = catchThrowable(() -> protocol.decode(new Frame(type, payload)));

      assertThat(thrown)
          .satisfiesAnyOf(
              t -> assertThat(t).isNull(),
              t -> assertThat(t).isExactlyInstanceOf(ProtocolException.class));
    }
  }

  /** Up to 12 words that, read as a length or a count, are far larger than any payload here. */
  private static List<Integer> hugeInts(Gen gen) {
    return gen.list(
        0,
        12,
        () ->
            gen.either(
                () ->
                    gen.oneOf(
                        Integer.MAX_VALUE,
                        Integer.MIN_VALUE,
                        -1,
                        Link.MAX_JARS,
                        Link.MAX_ARGS,
                        1 << 30),
                () -> gen.intBetween(1 << 20, Integer.MAX_VALUE),
                () -> gen.intBetween(0, 300)));
  }

  /** Any link message, each kind as likely as the others. */
  private static Link message(Gen gen) {
    return gen.either(
        () -> new Link.Hello(gen.anyInt(), text(gen), Link.Role.values()[gen.intBetween(0, 3)]),
        () ->
            new WorkerLink.AddProgram(
                gen.anyLong(), text(gen), texts(gen), texts(gen), texts(gen), jars(gen)),
        () -> new WorkerLink.RemoveProgram(gen.anyLong()),
        () ->
            new WorkerLink.Launch(
                gen.anyLong(),
                gen.anyLong(),
                gen.orNull(0.3, () -> pid(gen)),
                resources(gen),
                gen.orNull(0.3, () -> blob(gen))),
        () ->
            new WorkerLink.LaunchResult(
                gen.anyLong(), gen.orNull(0.5, () -> pid(gen)), gen.orNull(0.5, () -> text(gen))),
        () -> new Link.EventOf(gen.anyLong(), event(gen)),
        () -> new WorkerLink.Pending(gen.anyLong()),
        () -> new WorkerLink.Settled(gen.anyLong()),
        () ->
            new WorkerLink.Spawn(
                gen.anyLong(), gen.anyLong(), pid(gen), resources(gen), blob(gen), gen.bool()),
        () ->
            new WorkerLink.SpawnResult(
                gen.anyLong(),
                SpawnOutcome.values()[gen.intBetween(0, 2)],
                gen.orNull(0.5, () -> pid(gen)),
                gen.orNull(0.5, () -> text(gen))),
        () -> new WorkerLink.CancelWaiting(pid(gen)),
        () -> new WorkerLink.ReserveWarm(gen.anyLong(), resources(gen)),
        () -> new WorkerLink.WarmAnswer(gen.anyLong(), gen.bool()),
        () -> new WorkerLink.ReleaseWarm(resources(gen)),
        () -> new WorkerLink.DropWarm(),
        () -> new WorkerLink.Fate(gen.anyLong(), pid(gen)),
        () -> new WorkerLink.FateAnswer(gen.anyLong(), status(gen)),
        () -> new WorkerLink.JarWanted(sha(gen)),
        () -> new Link.JarChunk(sha(gen), blob(gen)),
        () -> new Link.Ping(),
        () -> new WorkerLink.PauseOutput(gen.anyLong(), gen.bool()),
        () ->
            new ClientLink.DeployRequest(
                gen.orNull(0.3, () -> text(gen)), texts(gen), texts(gen), texts(gen), jars(gen)),
        () -> new ClientLink.JarsWanted(gen.list(0, 4, () -> sha(gen))),
        () -> new ClientLink.Done(gen.anyInt()),
        () -> new ClientLink.Failed(text(gen)),
        () -> new ClientLink.Kill(),
        () ->
            new WorkerLink.Join(
                gen.string(1, 63, Gen.range('a', 'z')),
                gen.longBetween(64L << 20, Long.MAX_VALUE),
                gen.longBetween(1, WorkerLink.Join.MAX_CPU_MILLIS),
                gen.string(1, 40, Gen.range('a', 'z'))),
        () -> new WorkerLink.JoinAnswer(gen.bool(), gen.orNull(0.5, () -> text(gen))),
        () -> new WorkerLink.Retire());
  }

  /** Printable ASCII, two non-ASCII characters and a newline; up to 20 chars. */
  private static String text(Gen gen) {
    return gen.string(0, 20, Gen.range(' ', '~') + "é✓\n");
  }

  private static List<String> texts(Gen gen) {
    return gen.list(0, 4, () -> text(gen));
  }

  private static byte[] blob(Gen gen) {
    return gen.bytes(0, 40);
  }

  private static Event event(Gen gen) {
    return gen.either(
        () -> new Event.Spawned(pid(gen), gen.orNull(0.3, () -> pid(gen))),
        () -> new Event.Output(pid(gen), gen.oneOf(1, 2), blob(gen)),
        () -> new Event.Eof(pid(gen), gen.oneOf(1, 2)),
        () -> new Event.Exit(pid(gen), status(gen)),
        () ->
            new Event.ChannelStats(
                pid(gen),
                gen.longBetween(0, Long.MAX_VALUE),
                gen.longBetween(0, Long.MAX_VALUE),
                gen.longBetween(0, Long.MAX_VALUE),
                gen.longBetween(0, Long.MAX_VALUE)));
  }

  private static String sha(Gen gen) {
    return gen.string(64, 64, "0123456789abcdef");
  }

  private static List<JarRef> jars(Gen gen) {
    return gen.list(
        0, 3, () -> new JarRef(sha(gen), jarName(gen), gen.longBetween(0, Long.MAX_VALUE)));
  }

  /** A jar's file name: 1 to 30 of a-z, '-', '.' and 'ü', but not "." or "..". */
  private static String jarName(Gen gen) {
    String name;
    do {
      name = gen.string(1, 30, Gen.range('a', 'z') + "-.ü");
    } while (name.equals(".") || name.equals(".."));
    return name;
  }

  private static ExitStatus status(Gen gen) {
    return gen.either(
        () -> ExitStatus.exited(gen.anyInt()),
        () -> ExitStatus.killed(gen.intBetween(1, 64)),
        ExitStatus::lost);
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
