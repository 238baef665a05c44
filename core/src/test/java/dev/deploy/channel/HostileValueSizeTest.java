package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.ChannelException.Reason;
import dev.deploy.Pid;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An authenticated peer that lies about sizes: a first chunk claiming ~2 GiB costs the receiver no
 * more than the credit it granted (the array grows with what arrives), and a value sent without
 * credit drops the connection.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HostileValueSizeTest {
  private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();
  private final TableUnderAttack attack;

  HostileValueSizeTest() throws Exception {
    attack = new TableUnderAttack();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    attack.close();
  }

  @Test
  void givenFirstChunkClaimingTwoGiB_whenReceived_thenAllocatesOnlyTheCreditAndServesOn()
      throws Exception {
    Pid fake = RawPeer.fakePid();
    RawPeer raw = track(RawPeer.dialAccepted(attack.pid(), attack.key(), fake));
    byte[] chunk = new byte[1000];

    raw.frame(
        Frames.DATA,
        ByteBuffer.allocate(1 + 4 + chunk.length)
            .put((byte) (Frames.FIRST | Frames.RAW))
            .putInt(Peer.MAX_VALUE)
            .put(chunk)
            .array());

    await().until(() -> assemblingBytes(fake) > 0);
    assertThat(assemblingBytes(fake))
        .as("bytes allocated for a value claiming %d", Peer.MAX_VALUE)
        .isLessThanOrEqualTo(Peer.WINDOW);
    attack.assertStillServesFriend();
  }

  /**
   * Not hostile, but the same bound from the other side: a large value whose credit the receiver
   * granted after the sender's last value is sized by that credit at its first chunk. Before, the
   * arrival side's copy of the grants was refreshed only for a value that looked over the credit,
   * so here the array started at one chunk's size and grew (a copy of what came each time): 12% of
   * the bytes a stream of 1 MiB values copied into the receiver (docs/benchmarks.md).
   */
  @Test
  void givenCreditGrantedAfterLastValue_whenLargeValueStarts_thenArraySizedForWholeValue()
      throws Exception {
    Pid fake = RawPeer.fakePid();
    RawPeer raw = track(RawPeer.dialAccepted(attack.pid(), attack.key(), fake));
    ReceiveEnd in = attack.target().table().openReceiver(fake);
    for (int i = 0; i < Peer.WINDOW / Frames.CHUNK; i++) {
      raw.frame(Frames.DATA, rawValue(Frames.CHUNK)); // the whole window: credit 0 left
    }
    for (int i = 0; i < Peer.WINDOW / Frames.CHUNK; i++) {
      assertThat(ChannelDeliveryTest.recv(in)).as("value %d", i).isNotNull();
    }
    long credit = 0;
    while (credit < Peer.WINDOW) { // the grants for the values taken
      dev.deploy.wire.Frame f = raw.readFrame();
      if (f.type() == Frames.CREDIT) {
        credit += ByteBuffer.wrap(f.payload()).getInt();
      }
    }
    int total = 2 * Frames.CHUNK;
    byte[] chunk = new byte[1000];

    raw.frame(
        Frames.DATA,
        ByteBuffer.allocate(1 + 4 + chunk.length)
            .put((byte) (Frames.FIRST | Frames.RAW))
            .putInt(total)
            .put(chunk)
            .array());

    await().until(() -> assemblingBytes(fake) > 0);
    assertThat(assemblingBytes(fake)).as("bytes allocated at the first chunk").isEqualTo(total);
  }

  @Test
  void givenValueSentWithoutCredit_whenReceived_thenDroppedAndLostAfterWhatCameBefore()
      throws Exception {
    Pid fake = RawPeer.fakePid();
    RawPeer raw = track(RawPeer.dialAccepted(attack.pid(), attack.key(), fake));
    ReceiveEnd in = attack.target().table().openReceiver(fake);

    for (int i = 0; i < Peer.WINDOW / Frames.CHUNK; i++) {
      raw.frame(Frames.DATA, rawValue(Frames.CHUNK)); // the whole window: credit 0 left
    }
    raw.frame(Frames.DATA, rawValue(1)); // allowed: credit 0 plus its size is positive
    raw.frame(Frames.DATA, rawValue(1)); // credit -1 plus 1 is not

    raw.awaitDropped();
    for (int i = 0; i < Peer.WINDOW / Frames.CHUNK + 1; i++) {
      assertThat(ChannelDeliveryTest.recv(in)).as("value %d, sent with credit", i).isNotNull();
    }
    ChannelFateTest.assertReason(() -> in.recv(Long.MAX_VALUE), Reason.LOST);
    attack.assertStillServesFriend();
  }

  /** A DATA payload: one whole raw value of {@code size} bytes. */
  private static byte[] rawValue(int size) {
    return ByteBuffer.allocate(1 + size)
        .put((byte) (Frames.FIRST | Frames.LAST | Frames.RAW))
        .array();
  }

  /** Returns the length of the array the target assembles a value from {@code remote} in. */
  private int assemblingBytes(Pid remote) {
    return TableProbe.onLoop(
        attack.target().loop(),
        () -> {
          byte[] a = (byte[]) TableProbe.field(Peer.class, "assembling", peerOf(remote));
          return a == null ? 0 : a.length;
        });
  }

  private Peer peerOf(Pid remote) {
    return TableProbe.peer(attack.target().table(), remote);
  }

  private <T extends AutoCloseable> T track(T c) {
    toClose.add(c);
    return c;
  }
}
