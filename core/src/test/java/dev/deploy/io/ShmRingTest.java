package dev.deploy.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.wire.ProtocolException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shared-memory ring alone, against a direct buffer: frames come out whole and in order across
 * many laps, the wake-up words are claimed once, and a broken length closes instead of reading out
 * of bounds.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ShmRingTest {
  private static final int CAPACITY = 256 << 10;

  /** Two views of one region, as the two processes have. */
  private final ByteBuffer region =
      ByteBuffer.allocateDirect(ShmRing.size(CAPACITY) + 8192)
          .alignedSlice(4096)
          .limit(ShmRing.size(CAPACITY))
          .slice();

  private final ShmRing producer = new ShmRing(region.duplicate(), CAPACITY);
  private final ShmRing consumer = new ShmRing(region.duplicate(), CAPACITY);

  @Test
  void givenFramesOfManySizes_whenWrittenAndReadOverManyLaps_thenEachArrivesWholeAndInOrder()
      throws Exception {
    List<Integer> sent = new ArrayList<>();
    List<Integer> got = new ArrayList<>();
    int next = 0;
    for (int round = 0; round < 200; round++) {
      // Write frames until the ring has no room for the next one, then read everything.
      while (true) {
        int size = 5 + (next * 7919) % (Framing.MAX_FRAME - 8);
        if (!put(next, size)) {
          break;
        }
        sent.add(next++);
      }
      consumer.read(
          (type, payload) -> {
            int n = payload.getInt();
            assertThat(type).isEqualTo(n & 0x3F);
            assertThat(payload.remaining()).isEqualTo((n * 7919) % (Framing.MAX_FRAME - 8));
            got.add(n);
          });
    }
    assertThat(got).isEqualTo(sent);
    assertThat(sent.size()).as("frames over 200 laps of a 256 KiB ring").isGreaterThan(400);
  }

  /** Puts frame {@code n} of {@code size} bytes (length field's value); false when no room. */
  private boolean put(int n, int size) {
    for (int attempt = 0; attempt < 2; attempt++) {
      ByteBuffer room = producer.claim();
      if (room.remaining() >= Framing.LENGTH + size) {
        Framing.putHeader(room, n & 0x3F, size - Framing.TYPE).putInt(n);
        room.position(Framing.LENGTH + size);
        producer.commit(room.position());
        return true;
      }
      if (!producer.endsAtEnd() || !producer.wrap()) {
        return false;
      }
      producer.commit(0);
    }
    return false;
  }

  @Test
  void givenConsumerAsleep_whenTwoCommits_thenOnlyTheFirstClaimsTheWakeUpUntilItArmsAgain()
      throws Exception {
    assertThat(put(1, 9)).isTrue(); // commit inside put
    ByteBuffer room = producer.claim();
    Framing.putHeader(room, 2, 0);
    assertThat(producer.commit(room.position())).as("the wake-up was claimed already").isFalse();

    consumer.read((type, payload) -> {});
    assertThat(consumer.arm()).as("nothing came after the read").isFalse();
    room = producer.claim();
    Framing.putHeader(room, 3, 0);
    assertThat(producer.commit(room.position())).as("asleep again: wake it").isTrue();
  }

  @Test
  void givenConsumerSpinning_whenCommit_thenNoWakeUp() {
    consumer.awake();
    ByteBuffer room = producer.claim();
    Framing.putHeader(room, 2, 0);
    assertThat(producer.commit(room.position())).isFalse();
  }

  @Test
  void givenProducerWaitingForRoom_whenConsumerReads_thenTheReadClaimsWakingIt() throws Exception {
    while (put(5, Framing.MAX_FRAME)) {}
    assertThat(producer.awaitRoom()).as("no room came meanwhile").isFalse();

    int n = consumer.read((type, payload) -> {});

    assertThat(n & ShmRing.WAKE_PRODUCER).isNotZero();
    assertThat(n & ~ShmRing.WAKE_PRODUCER).isGreaterThan(1);
    assertThat(put(6, Framing.MAX_FRAME)).isTrue();
  }

  @Test
  void givenLengthBeyondWhatWasPublished_whenRead_thenProtocolExceptionNamingIt() {
    ByteBuffer room = producer.claim();
    room.putInt(1000).put((byte) 4); // claims 1000 bytes, publishes 5
    producer.commit(room.position());

    assertThatThrownBy(() -> consumer.read((type, payload) -> {}))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("frame length 1000");
  }
}
