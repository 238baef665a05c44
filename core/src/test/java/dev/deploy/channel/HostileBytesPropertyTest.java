package dev.deploy.channel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.ChannelException.Reason;
import dev.deploy.Pid;
import dev.deploy.io.Connection;
import dev.deploy.security.Handshake;
import dev.deploy.testing.Gen;
import dev.deploy.testing.RandomCases;
import dev.deploy.wire.MessageOut;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whatever bytes a connection sends — before the handshake, as its first frame, or once attached —
 * a table drops it, delivers nothing it sent, and keeps serving a legitimate peer (checked after
 * every try). Each try is a fresh raw socket to the table's listening port.
 *
 * <p>Each test method gets its own tables, shared by its cases (one class instance serves them
 * all); they are closed when the next method starts and after the last. Every blocking step is
 * bounded: raw reads by {@link RawPeer#READ_TIMEOUT_MILLIS}, receives by explicit deadlines, and
 * each case by its {@code @Timeout}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileBytesPropertyTest {
  private TableUnderAttack attack;

  /** The test method {@link #attack} serves; a new method gets new tables. */
  private String attackFor = "";

  @BeforeEach
  void startTablesForEachMethod(TestInfo test) throws Exception {
    String method = test.getTestMethod().orElseThrow().getName();
    if (!method.equals(attackFor)) {
      stopTables();
      attackFor = method;
      attack = new TableUnderAttack();
    }
  }

  @AfterAll
  void stopTables() {
    if (attack != null) {
      attack.close();
      attack = null;
    }
  }

  @RandomCases(100)
  @Timeout(30)
  void givenRandomBytes_whenSentBeforeHandshake_thenDroppedAndNothingDelivered(Gen gen)
      throws Exception {
    byte[] bytes = gen.bytes(Handshake.HEADER + Handshake.PROOF, 400);
    try (RawPeer raw = RawPeer.connect(attack.pid())) {
      raw.raw(bytes);

      raw.awaitDropped();
    }
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  @RandomCases(100)
  @Timeout(30)
  void givenAuthenticatedDialer_whenFirstFrameHasAnotherType_thenDroppedAndNothingDelivered(Gen gen)
      throws Exception {
    int type = gen.intBetween(2, 255);
    byte[] payload = gen.bytes(0, 300);
    try (RawPeer raw = RawPeer.connect(attack.pid())) {
      raw.handshake(attack.key(), true);

      raw.frame(type, payload);

      raw.awaitDropped();
    }
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  @RandomCases(100)
  @Timeout(30)
  void givenAuthenticatedDialer_whenFrameLengthOutsideLimits_thenDroppedAndNothingDelivered(Gen gen)
      throws Exception {
    int length = gen.anyInt();
    while (length >= 1 && length <= Connection.MAX_FRAME) {
      length = gen.anyInt();
    }
    byte[] rest = gen.bytes(0, 64);
    try (RawPeer raw = RawPeer.connect(attack.pid())) {
      raw.handshake(attack.key(), true);

      raw.raw(ByteBuffer.allocate(4 + rest.length).putInt(length).put(rest).array());

      raw.awaitDropped();
    }
    attack.assertLearnedNoPeer();
    attack.assertStillServesFriend();
  }

  /** Every cut, 1 to 24 bytes short: few enough to try them all. */
  static IntStream missingBytes() {
    return IntStream.rangeClosed(1, 24);
  }

  @ParameterizedTest(name = "{0} bytes missing")
  @MethodSource("missingBytes")
  @Timeout(30)
  void givenAuthenticatedDialer_whenIdentCutShortThenEof_thenDroppedAndNothingDelivered(int missing)
      throws Exception {
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

  @RandomCases(100)
  @Timeout(30)
  void givenAttachedFakePeer_whenGarbageFrame_thenDroppedLostAndNothingDelivered(Gen gen)
      throws Exception {
    byte[] frame = garbageFrame(gen);
    Pid fake = RawPeer.fakePid();
    try (RawPeer raw = RawPeer.dialAccepted(attack.pid(), attack.key(), fake)) {
      ReceiveEnd in = attack.target().table().openReceiver(fake);

      raw.raw(frame);

      raw.awaitDropped();
      ChannelFateTest.assertReason(() -> in.recv(Long.MAX_VALUE), Reason.LOST);
    }
    attack.assertStillServesFriend();
  }

  /**
   * A frame no honest peer sends once attached, each kind as likely as the others: an unknown or
   * out-of-place type, an ack of a non-zero count, a credit of zero or less, an ack or credit of
   * the wrong size, a data chunk that says it is not the first. The idle and receiver types (9 to
   * 12) get a quarter of the draws above GOODBYE, as jqwik's bias towards a range's low end gave
   * them; an IDLE_NO case takes about 10 s before the drop.
   */
  private static byte[] garbageFrame(Gen gen) {
    return gen.either(
        () ->
            HostileBytesTest.frame(
                gen.either(
                    () -> gen.intBetween(Frames.IDENT, Frames.REJECT),
                    () ->
                        gen.chance(0.25)
                            ? gen.intBetween(Frames.IDLE, Frames.RECEIVER)
                            : gen.intBetween(Frames.GOODBYE + 1, 255)),
                gen.bytes(0, 200)),
        () -> {
          long n = gen.anyLong();
          while (n == 0) {
            n = gen.anyLong();
          }
          return HostileBytesTest.frame(Frames.ACK, ByteBuffer.allocate(8).putLong(n).array());
        },
        () ->
            HostileBytesTest.frame(
                Frames.CREDIT,
                ByteBuffer.allocate(4).putInt(gen.intBetween(Integer.MIN_VALUE, 0)).array()),
        () -> {
          int type = gen.oneOf(Frames.ACK, Frames.CREDIT);
          byte[] payload = gen.bytes(0, 200);
          while (payload.length == 4 || payload.length == 8) {
            payload = gen.bytes(0, 200);
          }
          return HostileBytesTest.frame(type, payload);
        },
        () -> {
          int flags = gen.intBetween(0, 255);
          byte[] rest = gen.bytes(0, 200);
          byte[] payload = new byte[1 + rest.length];
          payload[0] = (byte) (flags & ~Frames.FIRST);
          System.arraycopy(rest, 0, payload, 1, rest.length);
          return HostileBytesTest.frame(Frames.DATA, payload);
        });
  }

  @RandomCases(20)
  @Timeout(60)
  void givenAttachedFakePeer_whenValidValuesThenGarbage_thenValuesThenLost(Gen gen)
      throws Exception {
    int values = gen.intBetween(1, 20);
    byte[] garbage = garbageFrame(gen);
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
