package dev.deploy.channel;

import static dev.deploy.channel.ChannelFateTest.assertReason;
import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.ChannelException;
import dev.deploy.ChannelException.Reason;
import dev.deploy.testing.LoopbackTables;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The lifetime rule: a remote Sender's close (END) ends a Receiver only when that Receiver took a
 * value of that Sender's, or when nobody took one and the remote had heard of this Receiver (and of
 * no later one) when it closed. Each case forces the order of its race with a causal message (a
 * value on the other direction), so that both orders are covered without sleeping.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChannelLifetimeTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final LoopbackTables tables = new LoopbackTables();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).as("test threads ended").isTrue();
    tables.close();
  }

  private static Object recv(ReceiveEnd in) throws Exception {
    return ChannelDeliveryTest.recv(in);
  }

  /**
   * Case (a): both sides close both ends and open new ones with other types. The old Sender's END
   * reaches the other side after its new Receiver exists; {@code heard} says whether the closing
   * side had already heard of that new Receiver (causally: a value sent after it opened arrived
   * first) or not.
   */
  @ParameterizedTest(name = "closer heard of the new receiver: {0}")
  @ValueSource(booleans = {true, false})
  void givenBothSidesReopenWithOtherTypes_whenOldEndArrivesLate_thenNewReceiversGetNewValues(
      boolean heard) throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd aOut = a.table().openSender(b.pid());
    ReceiveEnd aIn = a.table().openReceiver(b.pid());
    SendEnd bOut = b.table().openSender(a.pid());
    ReceiveEnd bIn = b.table().openReceiver(a.pid());
    aOut.send("a1");
    bOut.send("b1");
    assertThat(recv(bIn)).isEqualTo("a1");
    assertThat(recv(aIn)).isEqualTo("b1");

    // b re-opens its Receiver before a's old Sender closes.
    bIn.close();
    ReceiveEnd bIn2 = b.table().openReceiver(a.pid());
    if (heard) {
      bOut.send("b opened a new Receiver"); // behind b's RECEIVER frame on the connection
      assertThat(recv(aIn)).isEqualTo("b opened a new Receiver");
    }
    aOut.close();
    aIn.close();
    SendEnd aOut2 = a.table().openSender(b.pid());
    ReceiveEnd aIn2 = a.table().openReceiver(b.pid());
    bOut.close();
    SendEnd bOut2 = b.table().openSender(a.pid());
    aOut2.send(7L);
    bOut2.send(8L);

    assertThat(recv(bIn2)).isEqualTo(7L);
    assertThat(recv(aIn2)).isEqualTo(8L);
    aOut2.close();
    assertReason(() -> bIn2.recv(Long.MAX_VALUE), Reason.EXITED);
  }

  /** Case (b): the Receiver closes and re-opens while the remote's Sender stays open. */
  @Test
  void givenSenderStaysOpen_whenReceiverReopens_thenNewReceiverGetsLaterValues() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    out.send(1);
    assertThat(recv(in)).isEqualTo(1);

    in.close();
    out.send(2);
    ReceiveEnd again = b.table().openReceiver(a.pid());
    out.send(3);

    assertThat(recv(again)).isEqualTo(2);
    assertThat(recv(again)).isEqualTo(3);
    out.close();
    assertReason(() -> again.recv(Long.MAX_VALUE), Reason.EXITED);
  }

  /** Case (c): two Senders, one after the other, before the Receiver exists. */
  @ParameterizedTest(name = "values already arrived: {0}")
  @ValueSource(booleans = {true, false})
  void givenSenderClosedAndReopenedBeforeReceiver_whenReceive_thenFirstValuesExitedThenSecond(
      boolean arrived) throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd first = a.table().openSender(b.pid());
    first.send("one");
    first.send("two");
    first.close();
    SendEnd second = a.table().openSender(b.pid());
    second.send(3L);
    if (arrived) {
      await().atMost(WAIT).until(() -> TableProbe.queuedBytes(b.table(), a.pid()) > 0);
    }

    ReceiveEnd in = b.table().openReceiver(a.pid());
    assertThat(recv(in)).isEqualTo("one");
    assertThat(recv(in)).isEqualTo("two");
    assertReason(() -> in.recv(Long.MAX_VALUE), Reason.EXITED);
    in.close();
    ReceiveEnd next = b.table().openReceiver(a.pid());

    assertThat(recv(next)).isEqualTo(3L);
  }

  /**
   * Case (d): a Receiver open while the remote closes a Sender that sent nothing, whether that
   * Sender was opened before or after the Receiver.
   */
  @ParameterizedTest(name = "sender opened first: {0}")
  @ValueSource(booleans = {true, false})
  void givenReceiverOpen_whenRemoteClosesSenderThatSentNothing_thenExited(boolean senderFirst)
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd early = senderFirst ? a.table().openSender(b.pid()) : null;
    ReceiveEnd aIn = a.table().openReceiver(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    SendEnd go = b.table().openSender(a.pid());
    go.send("go");
    assertThat(recv(aIn)).isEqualTo("go"); // a has heard of b's Receiver
    SendEnd out = early != null ? early : a.table().openSender(b.pid());

    out.close();

    assertReason(() -> in.recv(Long.MAX_VALUE), Reason.EXITED);
  }

  /** Review finding: a recv blocked on a Receiver that this process closes. */
  @Test
  void givenRecvBlocked_whenReceiverClosed_thenThrowsAndNextReceiverGetsTheValue()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    out.send("first");
    assertThat(recv(in)).isEqualTo("first");
    java.util.concurrent.CompletableFuture<Thread> receiving =
        new java.util.concurrent.CompletableFuture<>();
    Future<Object> blocked =
        threads.submit(
            () -> {
              receiving.complete(Thread.currentThread());
              return in.recv(Long.MAX_VALUE);
            });
    Thread t = receiving.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> t.getState() == Thread.State.WAITING); // parked in recv

    in.close();

    assertThatThrownBy(() -> blocked.get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(
            ChannelException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.EXITED);
              assertThat(e.getMessage()).contains("this process closed its Receiver");
            });
    ReceiveEnd next = b.table().openReceiver(a.pid());
    out.send("second");
    assertThat(recv(next)).isEqualTo("second");
  }
}
