package dev.deploy.channel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.ChannelException.Reason;
import dev.deploy.Pid;
import dev.deploy.io.Connection;
import dev.deploy.security.Handshake;
import dev.deploy.wire.MessageOut;
import java.nio.ByteBuffer;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * Whatever bytes a connection sends — before the handshake, as its first frame, or once attached —
 * a table drops it, delivers nothing it sent, and keeps serving a legitimate peer (checked after
 * every try). Each try is a fresh raw socket to the table's listening port.
 *
 * <p>jqwik does not honour JUnit's {@code @Timeout}; every blocking step here is bounded instead:
 * raw reads by {@link RawPeer#READ_TIMEOUT_MILLIS}, receives by explicit deadlines.
 */
class HostileBytesPropertyTest {
  private TableUnderAttack attack;

  @BeforeProperty
  void startTables() throws Exception {
    attack = new TableUnderAttack();
  }

  @AfterProperty
  void stopTables() {
    attack.close();
  }

  @Property(tries = 100)
  void givenRandomBytes_whenSentBeforeHandshake_thenDroppedAndNothingDelivered(
      @ForAll @Size(min = Handshake.HEADER + Handshake.PROOF, max = 400) byte[] bytes)
      throws Exception {
    try (RawPeer raw = RawPeer.connect(attack.pid())) {
      raw.raw(bytes);

      raw.awaitDropped();
    }
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  @Property(tries = 100)
  void givenAuthenticatedDialer_whenFirstFrameHasAnotherType_thenDroppedAndNothingDelivered(
      @ForAll @IntRange(min = 2, max = 255) int type, @ForAll @Size(max = 300) byte[] payload)
      throws Exception {
    try (RawPeer raw = RawPeer.connect(attack.pid())) {
      raw.handshake(attack.key(), true);

      raw.frame(type, payload);

      raw.awaitDropped();
    }
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  @Property(tries = 100)
  void givenAuthenticatedDialer_whenFrameLengthOutsideLimits_thenDroppedAndNothingDelivered(
      @ForAll int length, @ForAll @Size(max = 64) byte[] rest) throws Exception {
    Assume.that(length < 1 || length > Connection.MAX_FRAME);
    try (RawPeer raw = RawPeer.connect(attack.pid())) {
      raw.handshake(attack.key(), true);

      raw.raw(ByteBuffer.allocate(4 + rest.length).putInt(length).put(rest).array());

      raw.awaitDropped();
    }
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  @Property(tries = 50)
  void givenAuthenticatedDialer_whenIdentCutShortThenEof_thenDroppedAndNothingDelivered(
      @ForAll @IntRange(min = 1, max = 24) int missing) throws Exception {
    byte[] ident =
        HostileBytesTest.frame(Frames.IDENT, new MessageOut().pid(RawPeer.fakePid()).toByteArray());
    try (RawPeer raw = RawPeer.connect(attack.pid())) {
      raw.handshake(attack.key(), true);

      raw.raw(Arrays.copyOf(ident, Math.max(0, ident.length - missing)));
      raw.shutdownOutput();

      raw.awaitDropped();
    }
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  @Property(tries = 100)
  void givenAttachedFakePeer_whenGarbageFrame_thenDroppedLostAndNothingDelivered(
      @ForAll("garbageFrames") byte[] frame) throws Exception {
    Pid fake = RawPeer.fakePid();
    try (RawPeer raw = RawPeer.dialAccepted(attack.pid(), attack.key(), fake)) {
      ReceiveEnd in = attack.target().table().openReceiver(fake);

      raw.raw(frame);

      raw.awaitDropped();
      ChannelFateTest.assertReason(() -> in.recv(Long.MAX_VALUE), Reason.LOST);
    }
    attack.assertStillServesFriend();
  }

  /** Frames no honest peer sends once attached: unknown types and malformed known ones. */
  @Provide
  Arbitrary<byte[]> garbageFrames() {
    Arbitrary<byte[]> payloads = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
    Arbitrary<Integer> unknownTypes =
        Arbitraries.oneOf(
            Arbitraries.integers().between(Frames.IDENT, Frames.REJECT),
            Arbitraries.integers().between(Frames.GOODBYE + 1, 255));
    Arbitrary<byte[]> unknown =
        Combinators.combine(unknownTypes, payloads).as(HostileBytesTest::frame);
    Arbitrary<byte[]> badAck =
        Arbitraries.longs()
            .filter(n -> n != 0)
            .map(
                n -> HostileBytesTest.frame(Frames.ACK, ByteBuffer.allocate(8).putLong(n).array()));
    Arbitrary<byte[]> badCredit =
        Arbitraries.integers()
            .lessOrEqual(0)
            .map(
                n ->
                    HostileBytesTest.frame(
                        Frames.CREDIT, ByteBuffer.allocate(4).putInt(n).array()));
    Arbitrary<byte[]> wrongSize =
        Combinators.combine(
                Arbitraries.of(Frames.ACK, Frames.CREDIT),
                payloads.filter(p -> p.length != 4 && p.length != 8))
            .as(HostileBytesTest::frame);
    Arbitrary<byte[]> middleChunk =
        Combinators.combine(Arbitraries.integers().between(0, 255), payloads)
            .as(
                (flags, rest) -> {
                  byte[] payload = new byte[1 + rest.length];
                  payload[0] = (byte) (flags & ~Frames.FIRST);
                  System.arraycopy(rest, 0, payload, 1, rest.length);
                  return HostileBytesTest.frame(Frames.DATA, payload);
                });
    return Arbitraries.oneOf(unknown, badAck, badCredit, wrongSize, middleChunk);
  }

  @Property(tries = 20)
  void givenAttachedFakePeer_whenValidValuesThenGarbage_thenValuesThenLost(
      @ForAll @IntRange(min = 1, max = 20) int values, @ForAll("garbageFrames") byte[] garbage)
      throws Exception {
    Pid fake = RawPeer.fakePid();
    try (RawPeer raw = RawPeer.dialAccepted(attack.pid(), attack.key(), fake)) {
      ReceiveEnd in = attack.target().table().openReceiver(fake);
      for (int i = 0; i < values; i++) {
        raw.value(i);
      }
      raw.awaitAck(values);

      raw.raw(garbage);

      raw.awaitDropped();
      for (int i = 0; i < values; i++) {
        assertThat(ChannelDeliveryTest.recv(in)).isEqualTo(i);
      }
      ChannelFateTest.assertReason(() -> in.recv(Long.MAX_VALUE), Reason.LOST);
    }
    attack.assertStillServesFriend();
  }
}
