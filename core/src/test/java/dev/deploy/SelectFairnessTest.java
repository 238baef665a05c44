package dev.deploy;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.ChannelException.Reason;
import dev.deploy.channel.ReceiveEnd;
import dev.deploy.channel.SendEnd;
import dev.deploy.codec.Codec;
import dev.deploy.testing.ChannelEnds;
import dev.deploy.testing.LoopbackTables;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Select} over channels between tables on loopback: uniform choice among ready operations (a
 * chi-square test), mixed send and receive operations, failed channels as ready operations, and the
 * timeout form. The facades are built with {@link ChannelEnds}, as there is no process runtime in a
 * unit test.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SelectFairnessTest {
  /** Chi-square with 2 degrees of freedom exceeds this with probability 0.001. */
  private static final double CHI_SQUARE_2DF_P001 = 13.816;

  private final LoopbackTables tables = new LoopbackTables();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).as("test threads ended").isTrue();
    tables.close();
  }

  @Test
  void givenThreeReceiversAlwaysReady_whenThirtyThousandSelects_thenEachChosenUniformly()
      throws Exception {
    int selects = 30_000;
    int perSender = 15_000;
    LoopbackTables.Table a = tables.add();
    List<Receiver<Integer>> receivers = new ArrayList<>();
    List<Future<?>> drained = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      LoopbackTables.Table remote = tables.add();
      receivers.add(ChannelEnds.receiver(a.table().openReceiver(remote.pid())));
      SendEnd out = remote.table().openSender(a.pid());
      drained.add(
          threads.submit(
              () -> {
                for (int i = 0; i < perSender; i++) {
                  out.send(i);
                }
                remote.table().drain(); // returns once A acknowledged every value
                return null;
              }));
    }
    for (Future<?> f : drained) {
      f.get(20, TimeUnit.SECONDS);
    }
    int[] chosen = new int[3];
    int[] expectedNext = new int[3];
    Select.Selectable[] ops = new Select.Selectable[3];
    for (int s = 0; s < 3; s++) {
      int index = s;
      ops[s] =
          Select.recv(
              receivers.get(s),
              v -> {
                assertThat(v).as("next value of receiver %d", index).isEqualTo(expectedNext[index]);
                expectedNext[index]++;
              });
    }

    for (int i = 0; i < selects; i++) {
      chosen[Select.select(ops)]++;
    }

    double expected = selects / 3.0;
    double chiSquare = 0;
    for (int count : chosen) {
      chiSquare += (count - expected) * (count - expected) / expected;
    }
    assertThat(chiSquare)
        .as("chi-square of choices %d/%d/%d", chosen[0], chosen[1], chosen[2])
        .isLessThan(CHI_SQUARE_2DF_P001);
    assertThat(expectedNext).containsExactly(chosen);
  }

  @Test
  void givenSendAndRecvBothReady_whenSelectRepeatedly_thenBothChosenAndEachDoesItsWork()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    LoopbackTables.Table c = tables.add();
    Receiver<Integer> fromB = ChannelEnds.receiver(a.table().openReceiver(b.pid()));
    Sender<Integer> toC = ChannelEnds.sender(a.table().openSender(c.pid()));
    ReceiveEnd atC = c.table().openReceiver(a.pid());
    SendEnd bOut = b.table().openSender(a.pid());
    for (int i = 0; i < 1_000; i++) {
      bOut.send(i);
    }
    b.table().drain(); // returns once A acknowledged every value: the recv stays ready
    AtomicInteger supplied = new AtomicInteger();
    AtomicInteger sent = new AtomicInteger();
    List<Integer> received = new ArrayList<>();
    int[] chosen = new int[2];

    for (int i = 0; i < 400; i++) {
      chosen[
          Select.select(
              Select.recv(fromB, received::add),
              Select.send(toC, supplied::getAndIncrement, sent::incrementAndGet))]++;
    }

    assertThat(chosen[0]).as("recv chosen").isPositive();
    assertThat(chosen[1]).as("send chosen").isPositive();
    assertThat(chosen[0] + chosen[1]).isEqualTo(400);
    assertThat(received).hasSize(chosen[0]);
    for (int i = 0; i < received.size(); i++) {
      assertThat(received.get(i)).isEqualTo(i);
    }
    assertThat(sent).hasValue(chosen[1]);
    assertThat(supplied).as("values supplied only when the send was chosen").hasValue(chosen[1]);
    for (int i = 0; i < chosen[1]; i++) {
      assertThat(atC.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(10))).isEqualTo(i);
    }
  }

  /**
   * A select's operations may be built once and passed to every select of a loop, as the value
   * supplier makes each send fresh; a reused send must not repeat the value it sent last time.
   */
  @Test
  void givenSendOpReusedAcrossSelects_whenChosenEachTime_thenSuppliesAFreshValueEachTime()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table c = tables.add();
    Sender<Integer> toC = ChannelEnds.sender(a.table().openSender(c.pid()));
    ReceiveEnd atC = c.table().openReceiver(a.pid());
    AtomicInteger supplied = new AtomicInteger();
    Select.Selectable send = Select.send(toC, supplied::getAndIncrement, () -> {});

    for (int i = 0; i < 3; i++) {
      assertThat(Select.select(send)).isZero();
    }

    assertThat(supplied).as("supplier calls").hasValue(3);
    List<Object> got = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      got.add(atC.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(10)));
    }
    assertThat(got).containsExactly(0, 1, 2);
  }

  @Test
  void givenSendBlockedByCredit_whenSelectWithReadyRecv_thenRecvChosenAndNothingSupplied()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    LoopbackTables.Table c = tables.add();
    SendEnd toCEnd = a.table().openSender(c.pid());
    byte[] chunk = Codec.standard().encode(new byte[64 << 10]);
    while (toCEnd.trySendEncoded(chunk)) {
      // Spend C's window; C never reads.
    }
    Sender<byte[]> toC = ChannelEnds.sender(toCEnd);
    ReceiveEnd fromBEnd = a.table().openReceiver(b.pid());
    Receiver<String> fromB = ChannelEnds.receiver(fromBEnd);
    SendEnd bOut = b.table().openSender(a.pid());
    AtomicInteger supplied = new AtomicInteger();

    for (int i = 0; i < 20; i++) {
      bOut.send("v" + i);
      AtomicReference<String> got = new AtomicReference<>();
      int which =
          Select.select(
              Select.send(
                  toC,
                  () -> {
                    supplied.incrementAndGet();
                    return new byte[1];
                  },
                  () -> {}),
              Select.recv(fromB, got::set));

      assertThat(which).isEqualTo(1);
      assertThat(got).hasValue("v" + i);
    }
    assertThat(supplied).hasValue(0);
  }

  @Test
  void givenFailedChannel_whenSelect_thenItsOpIsReadyAndGoesToErrorHandler() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    Pid ghost = LoopbackTables.unusedPid();
    Receiver<String> fromGhost = ChannelEnds.receiver(a.table().openReceiver(ghost));
    Sender<String> toGhost = ChannelEnds.sender(a.table().openSender(ghost));
    Receiver<String> fromB = ChannelEnds.receiver(a.table().openReceiver(b.pid()));
    List<ChannelException> errors = new ArrayList<>();
    await().until(() -> fromGhost.end().ready());

    int first =
        Select.select(
            Select.recv(fromB, v -> {}, errors::add), Select.recv(fromGhost, v -> {}, errors::add));
    int second =
        Select.select(
            Select.recv(fromB, v -> {}, errors::add),
            Select.send(toGhost, () -> "x", () -> {}, errors::add));

    assertThat(first).isEqualTo(1);
    assertThat(second).isEqualTo(1);
    assertThat(errors)
        .hasSize(2)
        .allSatisfy(
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.LOST);
              assertThat(e.remote()).isEqualTo(ghost);
            });
  }

  @Test
  void givenFailedChannelWithoutErrorHandler_whenSelect_thenSelectThrowsIt() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    Pid ghost = LoopbackTables.unusedPid();
    Receiver<String> fromGhost = ChannelEnds.receiver(a.table().openReceiver(ghost));
    Receiver<String> fromB = ChannelEnds.receiver(a.table().openReceiver(b.pid()));

    assertThatThrownBy(
            () -> Select.select(Select.recv(fromB, v -> {}), Select.recv(fromGhost, v -> {})))
        .isInstanceOfSatisfying(
            ChannelException.class, e -> assertThat(e.reason()).isEqualTo(Reason.LOST));
  }

  @Test
  void givenNothingReady_whenSelectWithTimeout_thenMinusOneAfterTheTimeout() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    Receiver<String> fromB = ChannelEnds.receiver(a.table().openReceiver(b.pid()));
    b.table().openSender(a.pid());
    long start = System.nanoTime();

    int which = Select.select(Duration.ofMillis(200), Select.recv(fromB, v -> {}));

    long elapsed = System.nanoTime() - start;
    assertThat(which).isEqualTo(-1);
    assertThat(elapsed).isBetween(TimeUnit.MILLISECONDS.toNanos(200), TimeUnit.SECONDS.toNanos(5));
    assertThat(Select.select(Duration.ZERO, Select.recv(fromB, v -> {}))).isEqualTo(-1);
  }

  @Test
  void givenValueReady_whenSelectWithZeroTimeout_thenItsIndexAtOnce() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    Receiver<String> fromB = ChannelEnds.receiver(a.table().openReceiver(b.pid()));
    b.table().openSender(a.pid()).send("ready");
    await().until(() -> fromB.end().ready());
    AtomicReference<String> got = new AtomicReference<>();

    int which = Select.select(Duration.ZERO, Select.recv(fromB, got::set));

    assertThat(which).isZero();
    assertThat(got).hasValue("ready");
  }

  @Test
  void givenSelectBlockedOnEmptyChannels_whenValueArrives_thenWakesWithThatIndex()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    LoopbackTables.Table c = tables.add();
    Receiver<String> fromB = ChannelEnds.receiver(a.table().openReceiver(b.pid()));
    Receiver<String> fromC = ChannelEnds.receiver(a.table().openReceiver(c.pid()));
    SendEnd cOut = c.table().openSender(a.pid());
    CompletableFuture<String> got = new CompletableFuture<>();
    Future<Integer> which =
        threads.submit(
            () ->
                Select.select(
                    Select.recv(fromB, got::complete), Select.recv(fromC, got::complete)));
    assertThat(got).isNotDone();

    cOut.send("from c");

    assertThat(which.get(10, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(got.get(1, TimeUnit.SECONDS)).isEqualTo("from c");
  }
}
