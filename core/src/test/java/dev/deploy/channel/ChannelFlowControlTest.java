package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.ChannelException;
import dev.deploy.ChannelException.Reason;
import dev.deploy.codec.Codec;
import dev.deploy.testing.LoopbackTables;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Credit-based flow control over loopback: a sender parks once the receiver's window is spent, the
 * receiving process holds no more than the window, reading releases the sender, and one huge value
 * does not stop the other direction.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChannelFlowControlTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Bytes of each value's payload; its encoding is a few bytes more. */
  private static final int VALUE_BYTES = 1000;

  private final LoopbackTables tables = new LoopbackTables();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).as("test threads ended").isTrue();
    tables.close();
  }

  @ParameterizedTest(name = "receiver open first: {0}")
  @ValueSource(booleans = {true, false})
  void givenReceiverThatNeverReads_whenSending_thenSenderParksAfterWindowAndQueueStaysBounded(
      boolean receiverOpenFirst) throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd early = receiverOpenFirst ? b.table().openReceiver(a.pid()) : null;
    int encoded = Peer.size(out.encode(numbered(0))); // a byte[] travels as is
    int total = 2 * Peer.WINDOW / encoded + 100;
    // A value may start while the credit left plus its own size is positive: one past the window.
    long allowed = (Peer.WINDOW + encoded - 1) / encoded + 1;
    AtomicInteger accepted = new AtomicInteger();
    AtomicReference<Thread> sender = new AtomicReference<>();

    Future<?> sending =
        threads.submit(
            () -> {
              sender.set(Thread.currentThread());
              for (int i = 0; i < total; i++) {
                out.send(numbered(i));
                accepted.incrementAndGet();
              }
              return null;
            });

    await().atMost(WAIT).until(() -> sender.get() != null);
    // Parked for good, not for a moment on the way (a send may wait briefly, e.g. for its turn
    // behind the loop): the same count, parked, for 200 ms.
    AtomicInteger last = new AtomicInteger(-1);
    await()
        .during(Duration.ofMillis(200))
        .atMost(WAIT)
        .until(
            () ->
                sender.get().getState() == Thread.State.WAITING
                    && last.getAndSet(accepted.get()) == accepted.get()
                    && TableProbe.queuedBytes(b.table(), a.pid()) == accepted.get() * encoded);
    assertThat((long) accepted.get())
        .as("values accepted before the window of %d bytes was spent", Peer.WINDOW)
        .isEqualTo(allowed);
    await()
        .during(Duration.ofMillis(300))
        .atMost(WAIT)
        .until(
            () ->
                sender.get().getState() == Thread.State.WAITING
                    && accepted.get() == allowed
                    && TableProbe.queuedBytes(b.table(), a.pid()) <= Peer.WINDOW + 2L * encoded);

    ReceiveEnd in = early != null ? early : b.table().openReceiver(a.pid());
    for (int i = 0; i < total; i++) {
      assertThat(number(ChannelDeliveryTest.recv(in))).as("value in order").isEqualTo(i);
    }
    sending.get(5, TimeUnit.SECONDS);
    assertThat(accepted).hasValue(total);
  }

  @Test
  void givenSpentWindow_whenTrySend_thenRefusedWithoutBlockingUntilReceiverReads()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    byte[] value = Codec.standard().encode(new byte[64 << 10]);
    int accepted = 0;
    while (out.trySendEncoded(value)) {
      accepted++;
    }

    // A value may start while the credit left plus its own size is positive: one past the window.
    assertThat(accepted).isEqualTo((Peer.WINDOW + value.length - 1) / value.length + 1);
    assertThat(out.ready()).isFalse();
    ReceiveEnd in = b.table().openReceiver(a.pid());
    for (int i = 0; i < accepted; i++) {
      ChannelDeliveryTest.recv(in);
    }
    await().atMost(WAIT).until(out::ready);
    assertThat(out.trySendEncoded(value)).isTrue();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void givenHugeValue_whenSent_thenArrivesIntactWhileOtherDirectionKeepsFlowing() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd big = a.table().openSender(b.pid());
    ReceiveEnd bigIn = b.table().openReceiver(a.pid());
    SendEnd small = b.table().openSender(a.pid());
    ReceiveEnd smallIn = a.table().openReceiver(b.pid());
    byte[] huge = new byte[64 << 20];
    ThreadLocalRandom.current().nextBytes(huge);
    long checksum = crc(huge);
    int smallCount = 5_000;

    CompletableFuture<Void> bigSent = new CompletableFuture<>();
    threads.submit(
        () -> {
          big.send(huge);
          bigSent.complete(null);
          return null;
        });
    Future<?> smallSent =
        threads.submit(
            () -> {
              for (int i = 0; i < smallCount; i++) {
                small.send(i);
              }
              return null;
            });
    for (int i = 0; i < smallCount; i++) {
      assertThat(ChannelDeliveryTest.recv(smallIn)).isEqualTo(i);
    }
    smallSent.get(5, TimeUnit.SECONDS);
    bigSent.get(20, TimeUnit.SECONDS);

    Object arrived = bigIn.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
    assertThat(arrived).as("the 64 MiB value within 10 s").isInstanceOf(byte[].class);
    byte[] bytes = (byte[]) arrived;
    assertThat(bytes.length).isEqualTo(huge.length);
    assertThat(crc(bytes)).as("CRC32 of the 64 MiB value").isEqualTo(checksum);
    small.send("after");
    assertThat(ChannelDeliveryTest.recv(smallIn)).isEqualTo("after");
  }

  @Test
  void givenSenderParkedOnCredit_whenRemoteKilled_thenSendThrowsLost() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    byte[] chunk = Codec.standard().encode(new byte[64 << 10]);
    while (out.trySendEncoded(chunk)) {
      // Spend B's window; B never reads.
    }
    AtomicReference<Thread> sender = new AtomicReference<>();
    Future<?> parked =
        threads.submit(
            () -> {
              sender.set(Thread.currentThread());
              out.sendEncoded(chunk);
              return null;
            });
    await().until(() -> sender.get() != null && sender.get().getState() == Thread.State.WAITING);

    b.kill();

    assertThatThrownBy(() -> parked.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(
            ChannelException.class, e -> assertThat(e.reason()).isEqualTo(Reason.LOST));
  }

  /**
   * A send still parked when its Sender is closed was never accepted: its value must not slip in
   * after the END and reach the Receiver of the next Sender's epoch.
   */
  @Test
  void givenSendParkedOnCredit_whenSenderClosed_thenValueDoesNotLeakIntoNextEpoch()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    byte[] chunk = Codec.standard().encode(new byte[64 << 10]);
    int accepted = 0;
    while (out.trySendEncoded(chunk)) {
      accepted++;
    }
    AtomicReference<Thread> sender = new AtomicReference<>();
    Future<?> parked =
        threads.submit(
            () -> {
              sender.set(Thread.currentThread());
              out.send("from the closed sender");
              return null;
            });
    await().until(() -> sender.get() != null && sender.get().getState() == Thread.State.WAITING);

    out.close();
    ReceiveEnd in = b.table().openReceiver(a.pid());
    for (int i = 0; i < accepted; i++) {
      ChannelDeliveryTest.recv(in);
    }
    ChannelFateTest.assertReason(() -> in.recv(Long.MAX_VALUE), Reason.EXITED);
    try {
      parked.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException refused) {
      // Refusing the parked send is fine too; delivering it into the next epoch is not.
    }
    in.close();
    SendEnd next = a.table().openSender(b.pid());
    next.send("from the new sender");
    ReceiveEnd again = b.table().openReceiver(a.pid());

    assertThat(ChannelDeliveryTest.recv(again)).isEqualTo("from the new sender");
  }

  /**
   * A value of many chunks with no other traffic on the connection: nothing but the sender's own
   * writes can move it along, so it must not wait for heartbeats or for frames from the remote.
   */
  @Test
  void givenMultiMegabyteValueAndIdleConnection_whenSent_thenArrivesWithinSeconds()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    byte[] value = new byte[4 << 20];
    ThreadLocalRandom.current().nextBytes(value);

    out.send(value);

    Object arrived = in.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
    assertThat(arrived).as("a 4 MiB value within 5 s on loopback").isInstanceOf(byte[].class);
    assertThat(crc((byte[]) arrived)).isEqualTo(crc(value));
  }

  private static byte[] numbered(int i) {
    byte[] value = new byte[VALUE_BYTES];
    ByteBuffer.wrap(value).putInt(i);
    return value;
  }

  private static int number(Object value) {
    return ByteBuffer.wrap((byte[]) value).getInt();
  }

  private static long crc(byte[] bytes) {
    CRC32 crc = new CRC32();
    crc.update(bytes);
    return crc.getValue();
  }
}
