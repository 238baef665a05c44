package dev.deploy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.program.JarRef;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The daemon-to-daemon messages: every type round-trips field by field, and every malformed field
 * is a {@link ProtocolException} whose message names the field. Malformed payloads are built by
 * encoding a record with a bad value (records do not check) or by writing fields by hand.
 */
@Timeout(10)
class LinkTest {
  private static final Pid CHILD = Pid.of(new byte[] {10, 0, 0, 2}, 41_000, 0x1234_5678_9AL);
  private static final Pid PARENT =
      Pid.of(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 41_001, -5);
  private static final Resources SMALL = new Resources(256L << 20, 0.25);
  private static final byte[] TASK = {(byte) 0xCA, (byte) 0xFE, 0, 1};
  private static final String SHA_A = "0123456789abcdef".repeat(4);
  private static final String SHA_B = "fedcba9876543210".repeat(4);
  private static final List<JarRef> JARS =
      List.of(new JarRef(SHA_A, "app.jar", 12_345), new JarRef(SHA_B, "lib-ü.jar", 0));

  static Stream<Arguments> everyMessage() {
    return Stream.of(
        Arguments.of(
            "Hello", new Link.Hello(Link.Hello.PROTOCOL, "1.2.3-SNAPSHOT", Link.Role.WORKER)),
        Arguments.of(
            "AddProgram",
            new WorkerLink.AddProgram(
                7,
                "com.example.Main",
                List.of("a", "", "b c ✓"),
                List.of("-Xss1m", "-Dx=y"),
                List.of("HOME=/home/me", "EMPTY="),
                JARS)),
        Arguments.of(
            "AddProgram, empty lists",
            new WorkerLink.AddProgram(0, "M", List.of(), List.of(), List.of(), List.of())),
        Arguments.of("RemoveProgram", new WorkerLink.RemoveProgram(-3)),
        Arguments.of(
            "Launch of a main", new WorkerLink.Launch(1, 2, null, Resources.DEFAULT, null)),
        Arguments.of("Launch of a task", new WorkerLink.Launch(3, 4, PARENT, SMALL, TASK)),
        Arguments.of("Launch, empty task", new WorkerLink.Launch(3, 4, PARENT, SMALL, new byte[0])),
        Arguments.of("LaunchResult started", new WorkerLink.LaunchResult(5, CHILD, null)),
        Arguments.of("LaunchResult failed", new WorkerLink.LaunchResult(6, null, "no java: ✗")),
        Arguments.of(
            "EventOf Spawned of main", new Link.EventOf(1, new Event.Spawned(CHILD, null))),
        Arguments.of(
            "EventOf Spawned of a child", new Link.EventOf(1, new Event.Spawned(CHILD, PARENT))),
        Arguments.of(
            "EventOf Spawned with resources on a node",
            new Link.EventOf(
                1,
                new Event.Spawned(CHILD, PARENT, new Resources(1L << 30, 0.5), "10.0.0.2:7000"))),
        Arguments.of(
            "EventOf ChannelStats",
            new Link.EventOf(1, new Event.ChannelStats(CHILD, 3, 300, Long.MAX_VALUE, 0))),
        Arguments.of(
            "EventOf Waiting",
            new Link.EventOf(1, new Event.Waiting(PARENT, new Resources(1L << 30, 2), null, 0))),
        Arguments.of(
            "EventOf Waiting placed",
            new Link.EventOf(1, new Event.Waiting(PARENT, new Resources(1L << 30, 2), "b", 1200))),
        Arguments.of(
            "EventOf Output on fd 1",
            new Link.EventOf(1, new Event.Output(CHILD, 1, new byte[] {'h', 'i', '\n'}))),
        Arguments.of(
            "EventOf Output on fd 2, empty",
            new Link.EventOf(1, new Event.Output(CHILD, 2, new byte[0]))),
        Arguments.of("EventOf Eof fd 1", new Link.EventOf(2, new Event.Eof(CHILD, 1))),
        Arguments.of("EventOf Eof fd 2", new Link.EventOf(2, new Event.Eof(CHILD, 2))),
        Arguments.of(
            "EventOf Exit exited",
            new Link.EventOf(3, new Event.Exit(CHILD, ExitStatus.exited(42)))),
        Arguments.of(
            "EventOf Exit killed",
            new Link.EventOf(3, new Event.Exit(CHILD, ExitStatus.killed(9)))),
        Arguments.of(
            "EventOf Exit lost", new Link.EventOf(3, new Event.Exit(CHILD, ExitStatus.lost()))),
        Arguments.of(
            "EventOf Exit killed by memory limit",
            new Link.EventOf(3, new Event.Exit(CHILD, ExitStatus.killedByMemoryLimit(3L << 30)))),
        Arguments.of("Pending", new WorkerLink.Pending(8)),
        Arguments.of("Settled", new WorkerLink.Settled(9)),
        Arguments.of("Spawn that waits", new WorkerLink.Spawn(10, 11, PARENT, SMALL, TASK, true)),
        Arguments.of(
            "Spawn that does not wait",
            new WorkerLink.Spawn(-10, 11, CHILD, Resources.DEFAULT, new byte[0], false)),
        Arguments.of(
            "SpawnResult started",
            new WorkerLink.SpawnResult(12, SpawnOutcome.STARTED, CHILD, null)),
        Arguments.of(
            "SpawnResult no room",
            new WorkerLink.SpawnResult(13, SpawnOutcome.NO_ROOM, null, null)),
        Arguments.of(
            "SpawnResult failed",
            new WorkerLink.SpawnResult(14, SpawnOutcome.FAILED, null, "the machine was lost")),
        Arguments.of("CancelWaiting", new WorkerLink.CancelWaiting(PARENT)),
        Arguments.of("ReserveWarm", new WorkerLink.ReserveWarm(15, SMALL)),
        Arguments.of("WarmAnswer granted", new WorkerLink.WarmAnswer(16, true)),
        Arguments.of("WarmAnswer refused", new WorkerLink.WarmAnswer(17, false)),
        Arguments.of("ReleaseWarm", new WorkerLink.ReleaseWarm(SMALL)),
        Arguments.of("DropWarm", new WorkerLink.DropWarm()),
        Arguments.of("Fate", new WorkerLink.Fate(18, CHILD)),
        Arguments.of("Fate with its asker", new WorkerLink.Fate(19, CHILD, PARENT)),
        Arguments.of("FateAnswer exited", new WorkerLink.FateAnswer(19, ExitStatus.exited(0))),
        Arguments.of("FateAnswer killed", new WorkerLink.FateAnswer(20, ExitStatus.killed(15))),
        Arguments.of("FateAnswer lost", new WorkerLink.FateAnswer(21, ExitStatus.lost())),
        Arguments.of(
            "FateAnswer killed by memory limit",
            new WorkerLink.FateAnswer(22, ExitStatus.killedByMemoryLimit(256L << 20))),
        Arguments.of("JarWanted", new WorkerLink.JarWanted(SHA_A)),
        Arguments.of("JarChunk", new Link.JarChunk(SHA_B, new byte[] {1, 2, 3, (byte) 0xFF})),
        Arguments.of("JarChunk, empty", new Link.JarChunk(SHA_B, new byte[0])),
        Arguments.of("Ping", new Link.Ping()),
        Arguments.of("PauseOutput", new WorkerLink.PauseOutput(7, true)),
        Arguments.of(
            "DeployRequest with main class",
            new ClientLink.DeployRequest(
                "com.example.Main", List.of("x"), List.of("-ea"), List.of("A=1"), JARS)),
        Arguments.of(
            "DeployRequest, main class from the jar",
            new ClientLink.DeployRequest(
                null, List.of(), List.of(), List.of(), JARS.subList(0, 1))),
        Arguments.of("JarsWanted none", new ClientLink.JarsWanted(List.of())),
        Arguments.of("JarsWanted two", new ClientLink.JarsWanted(List.of(SHA_A, SHA_B))),
        Arguments.of("Done", new ClientLink.Done(130)),
        Arguments.of("Failed", new ClientLink.Failed("the program could not start")),
        Arguments.of("Kill", new ClientLink.Kill()),
        Arguments.of("Detach", new ClientLink.Detach()),
        Arguments.of("Started", new ClientLink.Started(Long.MAX_VALUE)),
        Arguments.of("ListDeployments", new ClientLink.ListDeployments()),
        Arguments.of("Deployments none", new ClientLink.Deployments(List.of())),
        Arguments.of(
            "Deployments three",
            new ClientLink.Deployments(
                List.of(
                    new ClientLink.Listed(
                        1,
                        "a.Main",
                        1_700_000_000_000L,
                        3,
                        4,
                        ClientLink.Listed.State.RUNNING,
                        0,
                        true),
                    new ClientLink.Listed(
                        2,
                        "b.Ü",
                        1_700_000_000_001L,
                        0,
                        1,
                        ClientLink.Listed.State.EXITED,
                        3,
                        false),
                    new ClientLink.Listed(
                        3, "c.C", 0, 0, 2, ClientLink.Listed.State.STOPPED, 137, true)))),
        Arguments.of("Stop", new ClientLink.Stop(42, 10_000)),
        Arguments.of("Stopped", new ClientLink.Stopped("sent SIGTERM to 2 processes")),
        Arguments.of("Attach", new ClientLink.Attach(42)),
        Arguments.of("TerminateProgram", new WorkerLink.TerminateProgram(9)),
        Arguments.of("Join", new WorkerLink.Join("n1", 8L << 30, 4_000, "10.0.0.2")),
        Arguments.of(
            "Join by host name", new WorkerLink.Join("node-7.rack_2:a", 64L << 20, 1, "n7")),
        Arguments.of("JoinAnswer accepted", new WorkerLink.JoinAnswer(true, null)),
        Arguments.of("Retire", new WorkerLink.Retire()),
        Arguments.of(
            "JoinAnswer refused", new WorkerLink.JoinAnswer(false, "the name n1 is in use")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyMessage")
  void givenMessage_whenEncodedAndDecoded_thenSameTypeAndEqualFields(String name, Link message)
      throws Exception {
    for (Link.Decoder<?> protocol : protocolsOf(message)) {
      Link decoded = protocol.decode(new Frame(message.type(), message.encode()));

      assertThat(decoded).isExactlyInstanceOf(message.getClass());
      assertThat(decoded.type()).isEqualTo(message.type());
      assertThat(decoded).usingRecursiveComparison().withStrictTypeChecking().isEqualTo(message);
    }
  }

  /** Returns the decoders of the protocols that have {@code message}: one, or both if shared. */
  static List<Link.Decoder<?>> protocolsOf(Link message) {
    List<Link.Decoder<?>> out = new java.util.ArrayList<>();
    if (message instanceof WorkerLink) {
      out.add(WorkerLink::decode);
    }
    if (message instanceof ClientLink) {
      out.add(ClientLink::decode);
    }
    return out;
  }

  /**
   * Decodes {@code frame} with the protocol that has its type: the deploy-bridge one for its own
   * types, else the master-worker one.
   */
  static Link decode(Frame frame) throws ProtocolException {
    return CLIENT_ONLY.contains(frame.type()) ? ClientLink.decode(frame) : WorkerLink.decode(frame);
  }

  private static final Set<Integer> CLIENT_ONLY =
      Set.of(
          ClientLink.DeployRequest.TYPE,
          ClientLink.JarsWanted.TYPE,
          ClientLink.Done.TYPE,
          ClientLink.Failed.TYPE,
          ClientLink.Kill.TYPE,
          ClientLink.Detach.TYPE,
          ClientLink.Started.TYPE,
          ClientLink.ListDeployments.TYPE,
          ClientLink.Deployments.TYPE,
          ClientLink.Stop.TYPE,
          ClientLink.Stopped.TYPE,
          ClientLink.Attach.TYPE);

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyMessage")
  void givenMessageOfOneProtocol_whenTheOtherDecodesIt_thenProtocolExceptionNamingTypeAndProtocol(
      String name, Link message) {
    Frame frame = new Frame(message.type(), message.encode());
    String type =
        "message type " + message.type() + " (" + message.getClass().getSimpleName() + ")";
    if (!(message instanceof ClientLink)) {
      assertThatThrownBy(() -> ClientLink.decode(frame))
          .isInstanceOf(ProtocolException.class)
          .hasMessage(
              type
                  + " belongs to the master-worker protocol, which the deploy-bridge protocol"
                  + " refuses");
    }
    if (!(message instanceof WorkerLink)) {
      assertThatThrownBy(() -> WorkerLink.decode(frame))
          .isInstanceOf(ProtocolException.class)
          .hasMessage(
              type
                  + " belongs to the deploy-bridge protocol, which the master-worker protocol"
                  + " refuses");
    }
  }

  @Test
  void givenLaunch_whenABridgeDecodesIt_thenRefusedAsTheMasterWorkerProtocols() {
    Frame launch =
        new Frame(WorkerLink.Launch.TYPE, new WorkerLink.Launch(1, 2, null, SMALL, TASK).encode());

    assertThatThrownBy(() -> ClientLink.decode(launch))
        .isInstanceOf(ProtocolException.class)
        .hasMessage(
            "message type 23 (Launch) belongs to the master-worker protocol, which the"
                + " deploy-bridge protocol refuses");
  }

  @Test
  void givenDeployRequest_whenAWorkerDecodesIt_thenRefusedAsTheDeployBridgeProtocols() {
    Frame request =
        new Frame(
            ClientLink.DeployRequest.TYPE,
            new ClientLink.DeployRequest(null, List.of(), List.of(), List.of(), JARS).encode());

    assertThatThrownBy(() -> WorkerLink.decode(request))
        .isInstanceOf(ProtocolException.class)
        .hasMessage(
            "message type 50 (DeployRequest) belongs to the deploy-bridge protocol, which the"
                + " master-worker protocol refuses");
  }

  @Test
  void givenStopWithNegativeGrace_whenDecoded_thenProtocolExceptionNamingTheGrace() {
    Frame frame = new Frame(ClientLink.Stop.TYPE, new ClientLink.Stop(1, -5).encode());

    assertThatThrownBy(() -> ClientLink.decode(frame))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("grace -5 is negative");
  }

  @Test
  void givenDeploymentsWithUnknownState_whenDecoded_thenProtocolExceptionNamingTheState() {
    byte[] bytes =
        new MessageOut()
            .i32(1)
            .i64(1)
            .string("a.M")
            .i64(0)
            .i32(0)
            .i32(0)
            .u8(7)
            .i32(0)
            .u8(0)
            .toByteArray();
    Frame frame = new Frame(ClientLink.Deployments.TYPE, bytes);

    assertThatThrownBy(() -> ClientLink.decode(frame))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("deployment state 7 is outside 0..2");
  }

  @Test
  void givenAttach_whenAWorkerDecodesIt_thenRefusedAsTheDeployBridgeProtocols() {
    Frame frame = new Frame(ClientLink.Attach.TYPE, new ClientLink.Attach(3).encode());

    assertThatThrownBy(() -> WorkerLink.decode(frame))
        .isInstanceOf(ProtocolException.class)
        .hasMessage(
            "message type 61 (Attach) belongs to the deploy-bridge protocol, which the"
                + " master-worker protocol refuses");
  }

  @Test
  void givenSharedMessages_whenEitherProtocolDecodesThem_thenBothTakeThem() throws Exception {
    List<Link> shared =
        List.of(
            new Link.Hello(Link.Hello.PROTOCOL, "1", Link.Role.DEPLOY),
            new Link.Ping(),
            new Link.EventOf(1, new Event.Eof(CHILD, 1)),
            new Link.JarChunk(SHA_A, new byte[] {1}));

    for (Link message : shared) {
      Frame frame = new Frame(message.type(), message.encode());
      assertThat(WorkerLink.decode(frame)).usingRecursiveComparison().isEqualTo(message);
      assertThat(ClientLink.decode(frame)).usingRecursiveComparison().isEqualTo(message);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyMessage")
  void givenMessage_whenSentThroughFrames_thenEqualFields(String name, Link message)
      throws Exception {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    new FrameWriter(wire).write(message.type(), message.encode());

    Frame frame = new FrameReader(new ByteArrayInputStream(wire.toByteArray())).read();

    assertThat(decode(frame)).usingRecursiveComparison().isEqualTo(message);
  }

  @Test
  void givenEveryMessageRecord_whenListed_thenEachHasARoundTripCase() {
    Set<Class<?>> covered =
        everyMessage().map(a -> a.get()[1].getClass()).collect(Collectors.toSet());

    Set<Class<?>> records = new java.util.HashSet<>();
    records.addAll(List.of(WorkerLink.class.getPermittedSubclasses()));
    records.addAll(List.of(ClientLink.class.getPermittedSubclasses()));

    assertThat(Link.class.getPermittedSubclasses())
        .containsExactlyInAnyOrder(WorkerLink.class, ClientLink.class);
    assertThat(covered).containsExactlyInAnyOrderElementsOf(records);
  }

  @Test
  void givenEveryMessageRecord_whenTypesCompared_thenNoTwoShareATypeByte() {
    Map<Class<?>, Integer> typeOf =
        everyMessage()
            .map(a -> (Link) a.get()[1])
            .collect(Collectors.toMap(Object::getClass, Link::type, (x, y) -> x));

    assertThat(typeOf.values()).doesNotHaveDuplicates();
  }

  @Test
  void givenLaunchWithTask_whenDecoded_thenTaskBytesAndParentFieldByField() throws Exception {
    WorkerLink.Launch decoded =
        (WorkerLink.Launch)
            decode(
                new Frame(
                    WorkerLink.Launch.TYPE,
                    new WorkerLink.Launch(3, 4, PARENT, SMALL, TASK).encode()));

    assertThat(decoded.order()).isEqualTo(3);
    assertThat(decoded.program()).isEqualTo(4);
    assertThat(decoded.parent()).isEqualTo(PARENT);
    assertThat(decoded.resources()).isEqualTo(SMALL);
    assertThat(decoded.task()).containsExactly(TASK);
  }

  @Test
  void givenExitKilledByMemoryLimit_whenDecoded_thenLimitKeptAndPlainKillUnchangedOnTheWire()
      throws Exception {
    Link.EventOf oom =
        (Link.EventOf)
            decode(
                new Frame(
                    Link.EventOf.TYPE,
                    new Link.EventOf(
                            3, new Event.Exit(CHILD, ExitStatus.killedByMemoryLimit(5L << 30)))
                        .encode()));

    assertThat(((Event.Exit) oom.event()).status().memoryLimit()).isEqualTo(5L << 30);
    byte[] plain = new Link.EventOf(3, new Event.Exit(CHILD, ExitStatus.killed(9))).encode();
    assertThat(plain[plain.length - 1]).as("the old out-of-memory byte, 0, ends it").isZero();
  }

  @Test
  void givenOutOfMemoryMarkWithLimitZero_whenDecoded_thenProtocolExceptionNamingIt() {
    byte[] bytes =
        new MessageOut()
            .i64(3)
            .u8(4)
            .pid(CHILD)
            .u8(ExitStatus.Kind.KILLED.ordinal())
            .i32(9)
            .u8(1)
            .i64(0)
            .toByteArray();

    assertThatThrownBy(() -> decode(new Frame(Link.EventOf.TYPE, bytes)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("memory limit 0 B");
  }

  @Test
  void givenAddProgram_whenDecoded_thenListsKeepTheirOrder() throws Exception {
    WorkerLink.AddProgram sent =
        new WorkerLink.AddProgram(
            7, "Main", List.of("b", "a", "b"), List.of("-Xss1m"), List.of("A=1", "B=2"), JARS);

    WorkerLink.AddProgram decoded =
        (WorkerLink.AddProgram) decode(new Frame(WorkerLink.AddProgram.TYPE, sent.encode()));

    assertThat(decoded.program()).isEqualTo(7);
    assertThat(decoded.mainClass()).isEqualTo("Main");
    assertThat(decoded.arguments()).containsExactly("b", "a", "b");
    assertThat(decoded.options()).containsExactly("-Xss1m");
    assertThat(decoded.environment()).containsExactly("A=1", "B=2");
    assertThat(decoded.jars()).containsExactlyElementsOf(JARS);
  }

  @Test
  void givenEventOfOutput_whenDecoded_thenPidFdAndBytesFieldByField() throws Exception {
    byte[] data = {0, (byte) 0x80, '\n'};
    Link.EventOf decoded =
        (Link.EventOf)
            decode(
                new Frame(
                    Link.EventOf.TYPE,
                    new Link.EventOf(9, new Event.Output(CHILD, 2, data)).encode()));

    assertThat(decoded.program()).isEqualTo(9);
    Event.Output output = (Event.Output) decoded.event();
    assertThat(output.pid()).isEqualTo(CHILD);
    assertThat(output.fd()).isEqualTo(2);
    assertThat(output.data()).containsExactly(data);
  }

  // ------------------------------------------------------------- malformed

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyMessage")
  void givenMessageCutShort_whenDecoded_thenProtocolExceptionAtEveryCut(String name, Link message) {
    byte[] whole = message.encode();
    for (int length = 0; length < whole.length; length++) {
      Frame cut = new Frame(message.type(), Arrays.copyOf(whole, length));

      assertThatThrownBy(() -> decode(cut))
          .as("%s cut to %d of %d bytes", name, length, whole.length)
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("ends inside");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyMessage")
  void givenMessageWithTrailingBytes_whenDecoded_thenProtocolExceptionNamingTheType(
      String name, Link message) {
    byte[] whole = message.encode();
    Frame longer = new Frame(message.type(), Arrays.copyOf(whole, whole.length + 3));

    assertThatThrownBy(() -> decode(longer))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("message type " + message.type())
        .hasMessageContaining("3 unexpected bytes");
  }

  @ParameterizedTest(name = "type {0}")
  @ValueSource(ints = {0, 1, 19, 45, 49, 62, 99, 255})
  void givenUnknownType_whenDecoded_thenProtocolExceptionNamingIt(int type) {
    assertThatThrownBy(() -> WorkerLink.decode(new Frame(type, new byte[8])))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("unknown message type " + type);
    assertThatThrownBy(() -> ClientLink.decode(new Frame(type, new byte[8])))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("unknown message type " + type);
  }

  @ParameterizedTest(name = "sha \"{0}\"")
  @ValueSource(
      strings = {
        "",
        "0123456789abcdef",
        "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
        "../../../../etc/passwd"
      })
  void givenJarWantedWithBadSha256_whenDecoded_thenProtocolExceptionNamingTheSha(String sha) {
    Frame frame = new Frame(WorkerLink.JarWanted.TYPE, new WorkerLink.JarWanted(sha).encode());

    assertThatThrownBy(() -> decode(frame))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("SHA-256");
  }

  @Test
  void givenJarChunkWithUppercaseSha256_whenDecoded_thenProtocolExceptionNamingTheSha() {
    Frame frame =
        new Frame(
            Link.JarChunk.TYPE,
            new Link.JarChunk(SHA_A.toUpperCase(java.util.Locale.ROOT), new byte[] {1}).encode());

    assertThatThrownBy(() -> decode(frame))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("SHA-256");
  }

  @Test
  void givenJarsWantedWithOneBadSha256_whenDecoded_thenProtocolExceptionNamingTheSha() {
    Frame frame =
        new Frame(
            ClientLink.JarsWanted.TYPE, new ClientLink.JarsWanted(List.of(SHA_A, "nope")).encode());

    assertThatThrownBy(() -> decode(frame))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("SHA-256");
  }

  @ParameterizedTest(name = "fd {0}")
  @ValueSource(ints = {0, 3, 255})
  void givenOutputEventOnFdOtherThan1Or2_whenDecoded_thenProtocolExceptionNamingTheFd(int fd) {
    Frame frame =
        new Frame(
            Link.EventOf.TYPE,
            new Link.EventOf(1, new Event.Output(CHILD, fd, new byte[] {1})).encode());

    assertThatThrownBy(() -> decode(frame))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("fd " + fd + " is neither 1 nor 2");
  }

  @ParameterizedTest(name = "fd {0}")
  @ValueSource(ints = {0, 3})
  void givenEofEventOnFdOtherThan1Or2_whenDecoded_thenProtocolExceptionNamingTheFd(int fd) {
    Frame frame =
        new Frame(Link.EventOf.TYPE, new Link.EventOf(1, new Event.Eof(CHILD, fd)).encode());

    assertThatThrownBy(() -> decode(frame))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("fd " + fd + " is neither 1 nor 2");
  }

  @Test
  void givenChannelStatsEventWithNegativeBytes_whenDecoded_thenProtocolExceptionNamingTheField() {
    byte[] payload =
        new MessageOut().i64(1).u8(6).pid(CHILD).i64(1).i64(-8).i64(0).i64(0).toByteArray();

    assertThatThrownBy(() -> decode(new Frame(Link.EventOf.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("bytes sent -8 is negative");
  }

  @ParameterizedTest(name = "kind {0}")
  @ValueSource(ints = {0, 7, 255})
  void givenUnknownEventKind_whenDecoded_thenProtocolExceptionNamingIt(int kind) {
    byte[] payload = new MessageOut().i64(1).u8(kind).pid(CHILD).toByteArray();

    assertThatThrownBy(() -> decode(new Frame(Link.EventOf.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("unknown event kind " + kind);
  }

  @ParameterizedTest(name = "kind {0}")
  @ValueSource(ints = {3, 4, 255})
  void givenFateAnswerWithUnknownExitKind_whenDecoded_thenProtocolExceptionNamingTheField(
      int kind) {
    byte[] payload = new WorkerLink.FateAnswer(1, ExitStatus.exited(0)).encode();
    payload[8] = (byte) kind; // after the 8-byte request id

    assertThatThrownBy(() -> decode(new Frame(WorkerLink.FateAnswer.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("status kind " + kind);
  }

  @Test
  void givenExitEventWithUnknownExitKind_whenDecoded_thenProtocolExceptionNamingTheField() {
    byte[] payload = new Link.EventOf(1, new Event.Exit(CHILD, ExitStatus.exited(0))).encode();
    int kindAt = new MessageOut().i64(1).u8(4).pid(CHILD).toByteArray().length;
    payload[kindAt] = 3;

    assertThatThrownBy(() -> decode(new Frame(Link.EventOf.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("status kind 3");
  }

  @ParameterizedTest(name = "count {0}")
  @ValueSource(ints = {Link.MAX_JARS + 1, Integer.MAX_VALUE, -1, Integer.MIN_VALUE})
  void givenAddProgramWithJarCountOutOfRange_whenDecoded_thenProtocolExceptionNamingIt(int n) {
    byte[] payload =
        new MessageOut()
            .i64(1)
            .string("Main")
            .strings(List.of())
            .strings(List.of())
            .strings(List.of())
            .i32(n)
            .toByteArray();

    assertThatThrownBy(() -> decode(new Frame(WorkerLink.AddProgram.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("jar count " + n + " is outside 0.." + Link.MAX_JARS);
  }

  @Test
  void givenDeployRequestWithJarCountOverMax_whenDecoded_thenProtocolExceptionNamingIt() {
    byte[] payload =
        new MessageOut()
            .optionalString(null)
            .strings(List.of())
            .strings(List.of())
            .strings(List.of())
            .i32(Link.MAX_JARS + 1)
            .toByteArray();

    assertThatThrownBy(() -> decode(new Frame(ClientLink.DeployRequest.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("jar count " + (Link.MAX_JARS + 1));
  }

  @Test
  void givenJarsWantedWithCountOverMax_whenDecoded_thenProtocolExceptionNamingIt() {
    byte[] payload = new MessageOut().i32(Link.MAX_JARS + 1).toByteArray();

    assertThatThrownBy(() -> decode(new Frame(ClientLink.JarsWanted.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("jars count " + (Link.MAX_JARS + 1));
  }

  @Test
  void givenAddProgramWithArgumentCountOverMax_whenDecoded_thenProtocolExceptionNamingIt() {
    byte[] payload = new MessageOut().i64(1).string("Main").i32(Link.MAX_ARGS + 1).toByteArray();

    assertThatThrownBy(() -> decode(new Frame(WorkerLink.AddProgram.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("arguments count " + (Link.MAX_ARGS + 1));
  }

  @Test
  void givenAddProgramWithJarNamedAPath_whenDecoded_thenProtocolExceptionNamingTheJar() {
    byte[] payload =
        new MessageOut()
            .i64(1)
            .string("Main")
            .strings(List.of())
            .strings(List.of())
            .strings(List.of())
            .i32(1)
            .string(SHA_A)
            .string("../evil.jar")
            .i64(1)
            .toByteArray();

    assertThatThrownBy(() -> decode(new Frame(WorkerLink.AddProgram.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageStartingWith("jar 0: ")
        .hasMessageContaining("name");
  }

  @Test
  void givenDeployRequestWithNegativeJarSize_whenDecoded_thenProtocolExceptionNamingTheSize() {
    byte[] payload =
        new MessageOut()
            .optionalString("Main")
            .strings(List.of())
            .strings(List.of())
            .strings(List.of())
            .i32(2)
            .string(SHA_A)
            .string("a.jar")
            .i64(1)
            .string(SHA_B)
            .string("b.jar")
            .i64(-1)
            .toByteArray();

    assertThatThrownBy(() -> decode(new Frame(ClientLink.DeployRequest.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageStartingWith("jar 1: ")
        .hasMessageContaining("size");
  }

  @Test
  void givenAddProgramWithBadJarSha_whenDecoded_thenProtocolExceptionNamingTheSha() {
    byte[] payload =
        new MessageOut()
            .i64(1)
            .string("Main")
            .strings(List.of())
            .strings(List.of())
            .strings(List.of())
            .i32(1)
            .string("XYZ")
            .string("a.jar")
            .i64(1)
            .toByteArray();

    assertThatThrownBy(() -> decode(new Frame(WorkerLink.AddProgram.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageStartingWith("jar 0: ")
        .hasMessageContaining("sha256");
  }

  @ParameterizedTest(name = "outcome {0}")
  @ValueSource(ints = {3, 255})
  void givenUnknownSpawnOutcome_whenDecoded_thenProtocolExceptionNamingIt(int outcome) {
    byte[] payload = new MessageOut().i64(1).u8(outcome).u8(0).u8(0).toByteArray();

    assertThatThrownBy(() -> decode(new Frame(WorkerLink.SpawnResult.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("unknown spawn outcome " + outcome);
  }

  @Test
  void givenFateWithHostOfFiveBytes_whenDecoded_thenProtocolExceptionNamingThePid() {
    byte[] payload = new MessageOut().i64(1).bytes(new byte[5]).i32(80).i64(2).toByteArray();

    assertThatThrownBy(() -> decode(new Frame(WorkerLink.Fate.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("pid host has 5 bytes");
  }

  @Test
  void givenReserveWarmWithTooLittleMemory_whenDecoded_thenProtocolExceptionNamingResources() {
    byte[] payload = new MessageOut().i64(1).i64(1).f64(1).toByteArray();

    assertThatThrownBy(() -> decode(new Frame(WorkerLink.ReserveWarm.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageStartingWith("resources: ");
  }

  @Test
  void givenReleaseWarmWithNaNCpu_whenDecoded_thenProtocolExceptionNamingResources() {
    byte[] payload = new MessageOut().i64(1L << 30).f64(Double.NaN).toByteArray();

    assertThatThrownBy(() -> decode(new Frame(WorkerLink.ReleaseWarm.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageStartingWith("resources: ")
        .hasMessageContaining("NaN");
  }

  @Test
  void givenJarChunkWithHugeDataLength_whenDecoded_thenProtocolExceptionWithoutAllocating() {
    byte[] payload = new MessageOut().string(SHA_A).i32(Integer.MAX_VALUE).toByteArray();

    assertThatThrownBy(() -> decode(new Frame(Link.JarChunk.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("ends inside data");
  }

  @Test
  void givenFailedWithNegativeMessageLength_whenDecoded_thenProtocolExceptionNamingTheField() {
    byte[] payload = new MessageOut().i32(-1).toByteArray();

    assertThatThrownBy(() -> decode(new Frame(ClientLink.Failed.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("message");
  }

  // ---------------------------------------------------------------- Join

  private static byte[] join(String name, long memory, long cpuMillis, String host) {
    return new MessageOut().string(name).i64(memory).i64(cpuMillis).string(host).toByteArray();
  }

  static Stream<Arguments> badJoins() {
    return Stream.of(
        Arguments.of("empty name", join("", 1L << 30, 1000, "h"), "the node name \"\""),
        Arguments.of("name with a space", join("a b", 1L << 30, 1000, "h"), "the node name"),
        Arguments.of("name with a slash", join("../x", 1L << 30, 1000, "h"), "the node name"),
        Arguments.of("name of 64", join("n".repeat(64), 1L << 30, 1000, "h"), "the node name"),
        Arguments.of("name from a dash", join("-n", 1L << 30, 1000, "h"), "the node name"),
        Arguments.of("tiny memory", join("n", 1, 1000, "h"), "memory of 1 B"),
        Arguments.of("negative memory", join("n", -1, 1000, "h"), "memory of -1 B"),
        Arguments.of("no cpu", join("n", 1L << 30, 0, "h"), "cpu of 0 thousandths"),
        Arguments.of("negative cpu", join("n", 1L << 30, -5, "h"), "cpu of -5"),
        Arguments.of(
            "too much cpu", join("n", 1L << 30, Long.MAX_VALUE, "h"), "outside 1..1000000 cores"),
        Arguments.of("wildcard host", join("n", 1L << 30, 1000, "0.0.0.0"), "\"0.0.0.0\""),
        Arguments.of("empty host", join("n", 1L << 30, 1000, ""), "advertised host \"\""),
        Arguments.of("host with a newline", join("n", 1L << 30, 1000, "h\nx"), "advertised host"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badJoins")
  void givenJoinWithABadField_whenDecoded_thenProtocolExceptionNamingIt(
      String name, byte[] payload, String says) {
    assertThatThrownBy(() -> decode(new Frame(WorkerLink.Join.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining(says);
  }

  @Test
  void givenJoinCut_whenDecoded_thenProtocolExceptionNamingTheField() {
    byte[] payload = new MessageOut().string("n1").i64(1L << 30).toByteArray();

    assertThatThrownBy(() -> decode(new Frame(WorkerLink.Join.TYPE, payload)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("cpu millis");
  }

  @Test
  void givenCapacityWithFractionOfACore_whenJoinMade_thenThousandthsKept() {
    WorkerLink.Join join = WorkerLink.Join.of("n1", new Resources(1L << 30, 2.5), "10.0.0.2");

    assertThat(join.cpuMillis()).isEqualTo(2_500);
    assertThat(join.capacity()).isEqualTo(new Resources(1L << 30, 2.5));
  }
}
