package dev.deploy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.program.JarRef;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * A worker, a master or a deploy client controls every byte of a link frame, so {@link
 * WorkerLink#decode} and {@link ClientLink#decode} must answer any bytes with a message or a {@link
 * ProtocolException}: never another exception, and never an {@link OutOfMemoryError} from a length
 * prefix larger than the payload ({@code catchThrowable} catches errors too, so one would fail the
 * property). jqwik does not honour JUnit's {@code @Timeout}; the properties are pure computation on
 * short arrays.
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

  @Property(tries = 3000)
  void givenRandomTypeAndPayload_whenDecoded_thenMessageOrProtocolException(
      @ForAll @IntRange(min = 0, max = 255) int type, @ForAll @Size(max = 200) byte[] payload) {
    assertMessageOrProtocolException(type, payload);
  }

  @Property(tries = 5000)
  void givenKnownTypeAndRandomPayload_whenDecoded_thenMessageOrProtocolException(
      @ForAll("types") int type, @ForAll @Size(max = 200) byte[] payload) {
    assertMessageOrProtocolException(type, payload);
  }

  @Property(tries = 3000)
  void givenKnownTypeAndPayloadOfHugeLengths_whenDecoded_thenMessageOrProtocolException(
      @ForAll("types") int type, @ForAll("hugeInts") List<Integer> words) {
    MessageOut out = new MessageOut();
    words.forEach(out::i32);

    assertMessageOrProtocolException(type, out.toByteArray());
  }

  @Property(tries = 5000)
  void givenValidMessageWithOneByteChanged_whenDecoded_thenMessageOrProtocolException(
      @ForAll("messages") Link message,
      @ForAll @IntRange(min = 0, max = 100_000) int where,
      @ForAll byte value) {
    byte[] payload = message.encode();
    if (payload.length > 0) {
      payload[where % payload.length] = value;
    }

    assertMessageOrProtocolException(message.type(), payload);
  }

  @Property(tries = 3000)
  void givenValidMessageWithALengthReplaced_whenDecoded_thenMessageOrProtocolException(
      @ForAll("messages") Link message,
      @ForAll @IntRange(min = 0, max = 100_000) int where,
      @ForAll("hugeInts") List<Integer> lengths) {
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

  @Property(tries = 2000)
  void givenValidMessageCutShort_whenDecoded_thenProtocolException(
      @ForAll("messages") Link message, @ForAll @IntRange(min = 0, max = 100_000) int where) {
    byte[] whole = message.encode();
    if (whole.length == 0) {
      return;
    }
    byte[] cut = java.util.Arrays.copyOf(whole, where % whole.length);

    assertThat(catchThrowable(() -> LinkTest.decode(new Frame(message.type(), cut))))
        .isInstanceOf(ProtocolException.class);
  }

  @Property(tries = 2000)
  void givenAnyValidMessage_whenEncodedAndDecoded_thenEqualFields(@ForAll("messages") Link message)
      throws ProtocolException {
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

  @Provide
  Arbitrary<Integer> types() {
    return Arbitraries.of(TYPES);
  }

  /** Words that, read as a length or a count, are far larger than any payload here. */
  @Provide
  Arbitrary<List<Integer>> hugeInts() {
    Arbitrary<Integer> word =
        Arbitraries.oneOf(
            Arbitraries.of(
                Integer.MAX_VALUE, Integer.MIN_VALUE, -1, Link.MAX_JARS, Link.MAX_ARGS, 1 << 30),
            Arbitraries.integers().between(1 << 20, Integer.MAX_VALUE),
            Arbitraries.integers().between(0, 300));
    return word.list().ofMaxSize(12);
  }

  @Provide
  Arbitrary<Link> messages() {
    Arbitrary<Long> ids = Arbitraries.longs();
    Arbitrary<String> texts =
        Arbitraries.strings().withCharRange(' ', '~').withChars('é', '✓', '\n').ofMaxLength(20);
    Arbitrary<List<String>> lists = texts.list().ofMaxSize(4);
    Arbitrary<byte[]> blobs = Arbitraries.bytes().array(byte[].class).ofMaxSize(40);
    Arbitrary<Integer> fds = Arbitraries.of(1, 2);
    Arbitrary<List<JarRef>> jars = jars().list().ofMaxSize(3);
    Arbitrary<Event> events =
        Arbitraries.oneOf(
            Combinators.combine(pids(), pids().injectNull(0.3)).as(Event.Spawned::new),
            Combinators.combine(pids(), fds, blobs).as(Event.Output::new),
            Combinators.combine(pids(), fds).as(Event.Eof::new),
            Combinators.combine(pids(), statuses()).as(Event.Exit::new));
    return Arbitraries.oneOf(
        List.<Arbitrary<? extends Link>>of(
            Combinators.combine(
                    Arbitraries.integers(), texts, Arbitraries.integers().between(0, 255))
                .as(Link.Hello::new),
            Combinators.combine(ids, texts, lists, lists, lists, jars)
                .as(WorkerLink.AddProgram::new),
            ids.map(WorkerLink.RemoveProgram::new),
            Combinators.combine(
                    ids, ids, pids().injectNull(0.3), resources(), blobs.injectNull(0.3))
                .as(WorkerLink.Launch::new),
            Combinators.combine(ids, pids().injectNull(0.5), texts.injectNull(0.5))
                .as(WorkerLink.LaunchResult::new),
            Combinators.combine(ids, events).as(Link.EventOf::new),
            ids.map(WorkerLink.Pending::new),
            ids.map(WorkerLink.Settled::new),
            Combinators.combine(ids, ids, pids(), resources(), blobs, Arbitraries.of(true, false))
                .as(WorkerLink.Spawn::new),
            Combinators.combine(
                    ids,
                    Arbitraries.integers().between(0, 2),
                    pids().injectNull(0.5),
                    texts.injectNull(0.5))
                .as(WorkerLink.SpawnResult::new),
            pids().map(WorkerLink.CancelWaiting::new),
            Combinators.combine(ids, resources()).as(WorkerLink.ReserveWarm::new),
            Combinators.combine(ids, Arbitraries.of(true, false)).as(WorkerLink.WarmAnswer::new),
            resources().map(WorkerLink.ReleaseWarm::new),
            Arbitraries.just(new WorkerLink.DropWarm()),
            Combinators.combine(ids, pids()).as(WorkerLink.Fate::new),
            Combinators.combine(ids, statuses()).as(WorkerLink.FateAnswer::new),
            shas().map(WorkerLink.JarWanted::new),
            Combinators.combine(shas(), blobs).as(Link.JarChunk::new),
            Arbitraries.just(new Link.Ping()),
            Combinators.combine(ids, Arbitraries.of(true, false)).as(WorkerLink.PauseOutput::new),
            Combinators.combine(texts.injectNull(0.3), lists, lists, lists, jars)
                .as(ClientLink.DeployRequest::new),
            shas().list().ofMaxSize(4).map(ClientLink.JarsWanted::new),
            Arbitraries.integers().map(ClientLink.Done::new),
            texts.map(ClientLink.Failed::new),
            Arbitraries.just(new ClientLink.Kill()),
            Combinators.combine(
                    Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(63),
                    Arbitraries.longs().between(64L << 20, Long.MAX_VALUE),
                    Arbitraries.longs().between(1, WorkerLink.Join.MAX_CPU_MILLIS),
                    Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(40))
                .as(WorkerLink.Join::new),
            Combinators.combine(Arbitraries.of(true, false), texts.injectNull(0.5))
                .as(WorkerLink.JoinAnswer::new),
            Arbitraries.just(new WorkerLink.Retire())));
  }

  private static Arbitrary<String> shas() {
    return Arbitraries.strings().withChars("0123456789abcdef").ofLength(64);
  }

  private static Arbitrary<JarRef> jars() {
    Arbitrary<String> names =
        Arbitraries.strings()
            .withCharRange('a', 'z')
            .withChars('-', '.', 'ü')
            .ofMinLength(1)
            .ofMaxLength(30)
            .filter(n -> !n.equals(".") && !n.equals(".."));
    return Combinators.combine(shas(), names, Arbitraries.longs().greaterOrEqual(0))
        .as(JarRef::new);
  }

  private static Arbitrary<ExitStatus> statuses() {
    return Arbitraries.oneOf(
        Arbitraries.integers().map(ExitStatus::exited),
        Arbitraries.integers().between(1, 64).map(ExitStatus::killed),
        Arbitraries.just(ExitStatus.lost()));
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
