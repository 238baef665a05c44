package dev.deploy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FrameWriterTest {
  private final ExecutorService threads = Executors.newFixedThreadPool(4);

  @AfterEach
  void tearDown() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void givenLastFrameWritten_whenWriteOrTryWrite_thenWriteThrowsEndedTryWriteSkipsNothingWritten()
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    FrameWriter writer = new FrameWriter(bytes);
    writer.write(1, new byte[] {7});
    int[] ends = {0};

    assertThat(writer.writeLast(2, new byte[] {8}, () -> ends[0]++)).isTrue();
    assertThat(writer.writeLast(2, new byte[] {9}, () -> ends[0]++)).isFalse();

    assertThat(ends[0]).as("the end runs once").isEqualTo(1);
    assertThatThrownBy(() -> writer.write(1, new byte[] {8}))
        .isInstanceOf(FrameWriter.EndedException.class);
    assertThat(writer.tryWrite(1, new byte[] {9})).isFalse();
    assertThat(bytes.toByteArray()).containsExactly(0, 0, 0, 2, 1, 7, 0, 0, 0, 2, 2, 8);
    assertThat(writer.writingSince()).as("no write under way").isZero();
  }

  @Test
  void givenAFrameBeingWritten_whenWriteLast_thenTheLastFrameAndTheEndWaitForIt() throws Exception {
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    FrameWriter writer = new FrameWriter(held(bytes, writing, release));
    Future<?> frame = writeBeside(writer, new byte[] {1, 2, 3}, writing);
    assertThat(writer.writingSince()).as("a write under way").isNotZero();
    int[] atEnd = {-1};
    Future<Boolean> last =
        threads.submit(
            () ->
                writer.writeLast(
                    2,
                    new byte[] {4},
                    () -> {
                      atEnd[0] = bytes.size();
                    }));
    await().atMost(5, TimeUnit.SECONDS).until(writer::hasWaitingWriters);
    release.countDown();

    frame.get(5, TimeUnit.SECONDS);
    assertThat(last.get(5, TimeUnit.SECONDS)).isTrue();
    assertThat(atEnd[0]).as("bytes when the end ran: both frames, whole").isEqualTo(14);
  }

  /** Writes a frame of type 1 on another thread and returns once its write is under way. */
  private Future<?> writeBeside(FrameWriter writer, byte[] payload, CountDownLatch writing)
      throws InterruptedException {
    Future<?> frame =
        threads.submit(
            () -> {
              writer.write(1, payload);
              return null;
            });
    assertThat(writing.await(5, TimeUnit.SECONDS)).as("the frame's write began").isTrue();
    return frame;
  }

  /** A stream whose first write blocks until {@code release}; counts down {@code writing} then. */
  private static OutputStream held(
      ByteArrayOutputStream bytes, CountDownLatch writing, CountDownLatch release) {
    return new OutputStream() {
      @Override
      public void write(int b) {
        bytes.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        if (bytes.size() == 0) {
          writing.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        bytes.write(b, off, len);
      }
    };
  }

  @Test
  void givenAFrameBeingWritten_whenTimedTryWriteAndItEndsInTime_thenWrittenAfterIt()
      throws Exception {
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    FrameWriter writer = new FrameWriter(held(bytes, writing, release));
    Future<?> frame = writeBeside(writer, new byte[] {1}, writing);
    assertThat(writer.tryWrite(2, new byte[] {2})).as("untimed: skips").isFalse();
    Future<Boolean> timed =
        threads.submit(() -> writer.tryWrite(2, new byte[] {2}, TimeUnit.SECONDS.toNanos(5)));
    await().atMost(5, TimeUnit.SECONDS).until(writer::hasWaitingWriters);

    release.countDown();

    frame.get(5, TimeUnit.SECONDS);
    assertThat(timed.get(5, TimeUnit.SECONDS)).isTrue();
    assertThat(bytes.toByteArray()).containsExactly(0, 0, 0, 2, 1, 1, 0, 0, 0, 2, 2, 2);
  }

  @Test
  void givenAFrameStuckBeingWritten_whenTimedTryWrite_thenFalseAfterTheTimeAndNothingWritten()
      throws Exception {
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    FrameWriter writer = new FrameWriter(held(bytes, writing, release));
    Future<?> frame = writeBeside(writer, new byte[] {1}, writing);

    assertThat(writer.tryWrite(2, new byte[] {2}, TimeUnit.MILLISECONDS.toNanos(50))).isFalse();

    release.countDown();
    frame.get(5, TimeUnit.SECONDS);
    assertThat(bytes.toByteArray()).as("only the first frame").containsExactly(0, 0, 0, 2, 1, 1);
  }

  @Test
  void givenPayloadOverTheLimit_whenWrite_thenIllegalArgumentAndNothingWritten() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int tooLong = FrameReader.MAX_FRAME;

    assertThatThrownBy(() -> new FrameWriter(bytes).write(1, new byte[tooLong]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Integer.toString(tooLong));
    assertThat(bytes.size()).isZero();
  }

  @Test
  void givenFrame_whenWritten_thenFlushed() throws IOException {
    int[] flushes = {0};
    OutputStream out =
        new ByteArrayOutputStream() {
          @Override
          public void flush() {
            flushes[0]++;
          }
        };

    new FrameWriter(out).write(1, new byte[] {1});

    assertThat(flushes[0]).isEqualTo(1);
  }

  @Test
  void givenFourThreadsWritingAtOnce_whenReadBack_thenEveryFrameWholeAndEachThreadInOrder()
      throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    OutputStream slowOut =
        new OutputStream() {
          @Override
          public void write(int b) {
            synchronized (bytes) {
              bytes.write(b);
            }
          }
        };
    FrameWriter writer = new FrameWriter(slowOut);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> writers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int type = t;
      writers.add(
          threads.submit(
              () -> {
                start.await();
                for (int i = 0; i < 200; i++) {
                  byte[] payload = new byte[1 + i % 37];
                  payload[0] = (byte) i;
                  writer.write(type, payload);
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> w : writers) {
      w.get(5, TimeUnit.SECONDS);
    }

    FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes.toByteArray()));
    Map<Integer, Integer> next = new HashMap<>();
    Frame frame;
    while ((frame = reader.read()) != null) {
      int i = next.getOrDefault(frame.type(), 0);
      assertThat(frame.payload()).hasSize(1 + i % 37);
      assertThat(frame.payload()[0]).isEqualTo((byte) i);
      next.put(frame.type(), i + 1);
    }
    assertThat(next)
        .containsOnlyKeys(0, 1, 2, 3)
        .allSatisfy((type, n) -> assertThat(n).isEqualTo(200));
  }
}
