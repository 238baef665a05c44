package dev.deploy.channel;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.ChannelException.Reason;
import dev.deploy.Pid;
import dev.deploy.io.Connection;
import dev.deploy.security.AuthenticationException;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.Credential;
import dev.deploy.security.FrameProtection;
import dev.deploy.security.Handshake;
import dev.deploy.testing.LoopbackTables;
import dev.deploy.testing.ManualClock;
import dev.deploy.wire.MessageOut;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Connections that misbehave, before the handshake, after it but before IDENT, once attached, and
 * on a connection the table dialled: each is dropped (the raw socket sees EOF or a reset), nothing
 * it sent reaches a receiver, and the table goes on serving a legitimate peer. The random-bytes
 * versions are in {@link HostileBytesPropertyTest}.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HostileBytesTest {
  private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();
  private final TableUnderAttack attack;

  HostileBytesTest() throws Exception {
    attack = new TableUnderAttack();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    attack.close();
  }

  // ---------------------------------------------------------------- before the handshake

  @Test
  void givenWrongClusterKey_whenHandshake_thenDroppedAndNothingDelivered() throws Exception {
    RawPeer raw = track(RawPeer.connect(attack.pid()));

    assertThatThrownBy(
            () ->
                raw.handshake(
                    new Credential(ClusterKey.generate(), LoopbackTables.DEPLOYMENT), true))
        .isInstanceOf(AuthenticationException.class);
    try {
      raw.ident(RawPeer.fakePid()).value("smuggled");
    } catch (IOException alreadyDropped) {
      // The table may have closed before these frames went out.
    }

    raw.awaitDropped();
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  @Test
  void givenRecordedSession_whenReplayedOnNewConnection_thenDroppedAndNothingDeliveredTwice()
      throws Exception {
    Pid fake = RawPeer.fakePid();
    RawPeer original = track(RawPeer.dialAccepted(attack.pid(), attack.key(), fake));
    ReceiveEnd in = attack.target().table().openReceiver(fake);
    original.value("once");
    original.awaitAck(1);
    byte[] recorded = original.written();
    original.close();

    RawPeer replay = track(RawPeer.connect(attack.pid()));
    replay.raw(recorded);

    replay.awaitDropped();
    assertThat(ChannelDeliveryTest.recv(in)).isEqualTo("once");
    ChannelFateTest.assertReason(() -> in.recv(Long.MAX_VALUE), Reason.LOST);
    attack.assertStillServesFriend();
  }

  @Test
  void givenTablesHelloReflected_whenSentBack_thenDropped() throws Exception {
    RawPeer raw = track(RawPeer.connect(attack.pid()));
    byte[] tableHello = raw.read(Handshake.HEADER);

    raw.raw(tableHello);

    raw.awaitDropped();
    attack.assertStillServesFriend();
  }

  @Test
  void givenTablesProofReflected_whenSentBack_thenDropped() throws Exception {
    RawPeer raw = track(RawPeer.connect(attack.pid()));
    raw.read(Handshake.HEADER);
    raw.raw(
        Handshake.dialer(
                Handshake.Role.PROCESS,
                ClusterKey.generate(),
                LoopbackTables.DEPLOYMENT,
                Handshake.Role.PROCESS,
                ChannelTable.target(attack.pid()),
                FrameProtection.Mode.NONE)
            .hello());
    byte[] tableProof = raw.read(Handshake.PROOF);

    raw.raw(tableProof);

    raw.awaitDropped();
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  /**
   * A process exited and its port is free: whoever takes it is dialled by every process that still
   * sends to the old pid, and relays that connection to another process of the same deployment. The
   * other process sees the dialler meant another pid and hangs up after its hello.
   */
  @Test
  void givenSquatterOnAnExitedPidsPort_whenItRelaysADialToAnotherProcess_thenRefused()
      throws Exception {
    LoopbackTables.Table dialler = attack.tables().add();
    java.net.ServerSocket squatted = new java.net.ServerSocket(0, 8, LoopbackTables.LOOPBACK);
    toClose.add(squatted);
    Pid exited = Pid.of(LoopbackTables.LOOPBACK.getAddress(), squatted.getLocalPort(), 0x5eedL);
    dev.deploy.testing.Relay relay = dev.deploy.testing.Relay.once(squatted, attack.address());
    toClose.add(relay);

    dialler.table().openSender(exited).sendAsync("meant for the exited process");

    assertThat(relay.fromVictim().get(15, java.util.concurrent.TimeUnit.SECONDS))
        .as("the process's bytes: its hello, then the end")
        .hasSize(Handshake.HEADER);
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  static Stream<Arguments> foreignProtocols() {
    byte[] otherVersion =
        Handshake.dialer(
                Handshake.Role.PROCESS,
                ClusterKey.generate(),
                LoopbackTables.DEPLOYMENT,
                Handshake.Role.PROCESS,
                new byte[0],
                FrameProtection.Mode.NONE)
            .hello();
    otherVersion[4] = 1;
    byte[] tls = new byte[64];
    tls[0] = 0x16;
    tls[1] = 0x03;
    tls[2] = 0x01;
    return Stream.of(
        Arguments.of(
            "HTTP", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n".getBytes(US_ASCII)),
        Arguments.of(
            "SSH banner", "SSH-2.0-OpenSSH_9.6 and some more bytes to fill\r\n".getBytes(US_ASCII)),
        Arguments.of("TLS record", tls),
        Arguments.of("deploy protocol version 1", otherVersion),
        Arguments.of("zeros", new byte[Handshake.HEADER + Handshake.PROOF]));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("foreignProtocols")
  void givenForeignProtocolBytes_whenSentToListener_thenDropped(String name, byte[] bytes)
      throws Exception {
    RawPeer raw = track(RawPeer.connect(attack.pid()));

    raw.raw(bytes);

    raw.awaitDropped();
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  @Test
  void givenConnectionThatNeverAuthenticates_whenTenSecondsPassOnLoopClock_thenDropped()
      throws Exception {
    ManualClock clock = new ManualClock();
    LoopbackTables.Table slow = attack.tables().add(LoopbackTables.spec().clock(clock));
    RawPeer raw = track(RawPeer.connect(slow.pid()));
    raw.read(Handshake.HEADER);

    clock.advance(Duration.ofSeconds(11));
    slow.wake();

    raw.awaitDropped();
  }

  // ---------------------------------------------------------------- after the handshake

  static Stream<Arguments> badFirstFrames() {
    byte[] ident = new MessageOut().pid(RawPeer.fakePid()).toByteArray();
    byte[] truncatedIdent = Arrays.copyOf(ident, ident.length - 3);
    byte[] longIdent = Arrays.copyOf(ident, ident.length + 1);
    byte[] fiveByteHost = new MessageOut().bytes(new byte[5]).i32(1).i64(1).toByteArray();
    return Stream.of(
        Arguments.of("length over MAX_FRAME", header(Connection.MAX_FRAME + 1, Frames.IDENT)),
        Arguments.of("length 0", ByteBuffer.allocate(5).putInt(0).array()),
        Arguments.of("length 0xffffffff", ByteBuffer.allocate(5).putInt(-1).array()),
        Arguments.of("unknown type 200", frame(200, new byte[] {1, 2, 3})),
        Arguments.of("DATA before IDENT", frame(Frames.DATA, new byte[] {3, 1})),
        Arguments.of("ACCEPT from the dialler", frame(Frames.ACCEPT, new byte[0])),
        Arguments.of("GOODBYE before IDENT", frame(Frames.GOODBYE, new byte[0])),
        Arguments.of("IDENT cut short", frame(Frames.IDENT, truncatedIdent)),
        Arguments.of("IDENT with a byte too many", frame(Frames.IDENT, longIdent)),
        Arguments.of("IDENT with a 5-byte host", frame(Frames.IDENT, fiveByteHost)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFirstFrames")
  void givenAuthenticatedDialer_whenFirstFrameIsBad_thenDroppedAndNothingDelivered(
      String name, byte[] bytes) throws Exception {
    RawPeer raw = track(RawPeer.connect(attack.pid()));
    raw.handshake(attack.key(), true);

    raw.raw(bytes);

    raw.awaitDropped();
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  @Test
  void givenAuthenticatedDialer_whenFrameCutShortThenEof_thenDroppedAndNothingDelivered()
      throws Exception {
    RawPeer raw = track(RawPeer.connect(attack.pid()));
    raw.handshake(attack.key(), true);
    byte[] ident = frame(Frames.IDENT, new MessageOut().pid(RawPeer.fakePid()).toByteArray());

    raw.raw(Arrays.copyOf(ident, ident.length - 4));
    raw.shutdownOutput();

    raw.awaitDropped();
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  @Test
  void givenIdentClaimingTablesOwnPid_whenSent_thenDropped() throws Exception {
    RawPeer raw = track(RawPeer.connect(attack.pid()));
    raw.handshake(attack.key(), true);

    byte[] ident = frame(Frames.IDENT, new MessageOut().pid(attack.target().pid()).toByteArray());
    byte[] data = frame(Frames.DATA, new byte[] {3, 1});

    raw.raw(concat(ident, data));

    raw.awaitDropped();
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  // ---------------------------------------------------------------- once attached

  static Stream<Arguments> badAttachedFrames() {
    return Stream.of(
        Arguments.of("unknown type 99", frame(99, new byte[] {0})),
        Arguments.of("a second IDENT", frame(Frames.IDENT, new byte[0])),
        Arguments.of("REJECT after ACCEPT", frame(Frames.REJECT, new byte[0])),
        Arguments.of("ACK of values never sent", frame(Frames.ACK, longBytes(5))),
        Arguments.of("ACK of 3 bytes", frame(Frames.ACK, new byte[3])),
        Arguments.of("CREDIT 0", frame(Frames.CREDIT, intBytes(0))),
        Arguments.of("negative CREDIT", frame(Frames.CREDIT, intBytes(-5))),
        Arguments.of("CREDIT of 2 bytes", frame(Frames.CREDIT, new byte[2])),
        Arguments.of("DATA without flags", frame(Frames.DATA, new byte[0])),
        Arguments.of("DATA chunk without FIRST", frame(Frames.DATA, new byte[] {0, 1, 2})),
        Arguments.of("DATA LAST without FIRST", frame(Frames.DATA, new byte[] {2, 1, 2})),
        Arguments.of(
            "two FIRST chunks",
            concat(frame(Frames.DATA, new byte[] {1, 1}), frame(Frames.DATA, new byte[] {1, 1}))),
        Arguments.of("length over MAX_FRAME", header(Connection.MAX_FRAME + 1, Frames.DATA)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badAttachedFrames")
  void givenAttachedFakePeer_whenBadFrame_thenDroppedLostAndNothingDelivered(
      String name, byte[] bytes) throws Exception {
    Pid fake = RawPeer.fakePid();
    RawPeer raw = track(RawPeer.dialAccepted(attack.pid(), attack.key(), fake));
    ReceiveEnd in = attack.target().table().openReceiver(fake);

    raw.raw(bytes);

    raw.awaitDropped();
    ChannelFateTest.assertReason(() -> in.recv(Long.MAX_VALUE), Reason.LOST);
    attack.assertStillServesFriend();
  }

  @Test
  void givenIdentClaimingConnectedFriendsPid_whenSent_thenRejectedAndFriendUnaffected()
      throws Exception {
    LoopbackTables.Table friend = attack.tables().add();
    SendEnd out = friend.table().openSender(attack.target().pid());
    ReceiveEnd in = attack.target().table().openReceiver(friend.pid());
    out.send("real");
    assertThat(ChannelDeliveryTest.recv(in)).isEqualTo("real");
    RawPeer raw = track(RawPeer.connect(attack.pid()));
    raw.handshake(attack.key(), true);

    raw.ident(friend.pid());

    assertThat(raw.readFrame().type()).isEqualTo(Frames.REJECT);
    raw.awaitDropped();
    out.send("still real");
    assertThat(ChannelDeliveryTest.recv(in)).isEqualTo("still real");
  }

  // ---------------------------------------------------------------- on a connection it dialled

  @Test
  void givenDialledPeerSendsDataBeforeAccept_whenTableDials_thenDroppedAndReceiverLost()
      throws Exception {
    ServerSocketChannel server = fakeServer();
    Pid fake = pidOf(server);
    ReceiveEnd in = attack.target().table().openReceiver(fake);
    RawPeer raw = track(RawPeer.accept(server));
    raw.handshake(attack.key(), false);
    assertThat(raw.readFrameAfterOffer().type())
        .as("the dialler's first frame after any shared-memory offer")
        .isEqualTo(Frames.IDENT);

    raw.value("smuggled before ACCEPT");

    raw.awaitDropped();
    assertThat(TableProbe.queuedBytes(attack.target().table(), fake)).isZero();
    ChannelFateTest.assertReason(() -> in.recv(Long.MAX_VALUE), Reason.LOST, Duration.ofSeconds(3));
    attack.assertStillServesFriend();
  }

  @Test
  void givenImpostorWithoutKeyAtRemoteAddress_whenTableDials_thenLostWithoutAskingFabric()
      throws Exception {
    List<Pid> asked = new CopyOnWriteArrayList<>();
    LoopbackTables.Table t =
        attack
            .tables()
            .add(
                LoopbackTables.spec()
                    .fates(
                        pid -> {
                          asked.add(pid);
                          return CompletableFuture.completedFuture(Reason.EXITED);
                        }));
    ServerSocketChannel server = fakeServer();
    Pid fake = pidOf(server);
    ReceiveEnd in = t.table().openReceiver(fake);
    RawPeer raw = track(RawPeer.accept(server));

    assertThatThrownBy(
            () ->
                raw.handshake(
                    new Credential(ClusterKey.generate(), LoopbackTables.DEPLOYMENT), false))
        .isInstanceOf(AuthenticationException.class);

    raw.awaitDropped();
    ChannelFateTest.assertReason(() -> in.recv(Long.MAX_VALUE), Reason.LOST);
    assertThat(asked).isEmpty();
  }

  // ---------------------------------------------------------------- helpers

  private RawPeer track(RawPeer raw) {
    toClose.add(raw);
    return raw;
  }

  private ServerSocketChannel fakeServer() throws Exception {
    ServerSocketChannel server =
        ServerSocketChannel.open().bind(new InetSocketAddress(LoopbackTables.LOOPBACK, 0));
    toClose.add(server);
    return server;
  }

  private static Pid pidOf(ServerSocketChannel server) throws Exception {
    int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
    return Pid.of(LoopbackTables.LOOPBACK.getAddress(), port, 77);
  }

  static byte[] frame(int type, byte[] payload) {
    return ByteBuffer.allocate(5 + payload.length)
        .putInt(1 + payload.length)
        .put((byte) type)
        .put(payload)
        .array();
  }

  static byte[] header(int length, int type) {
    return ByteBuffer.allocate(5).putInt(length).put((byte) type).array();
  }

  private static byte[] longBytes(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  private static byte[] intBytes(int v) {
    return ByteBuffer.allocate(4).putInt(v).array();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    return ByteBuffer.allocate(a.length + b.length).put(a).put(b).array();
  }
}
