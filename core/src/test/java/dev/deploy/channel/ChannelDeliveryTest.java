package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.ChannelException;
import dev.deploy.ChannelException.Reason;
import dev.deploy.testing.LoopbackTables;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Values between two tables over real loopback sockets: delivery before the Receiver exists, order,
 * both directions at once, reopened ends, and the one-end-per-pid rules of docs/api.md.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ChannelDeliveryTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final LoopbackTables tables = new LoopbackTables();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  record Reading(int sensor, double value, List<String> tags) {}

  @AfterEach
  void tearDown() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).as("test threads ended").isTrue();
    tables.close();
  }

  @Test
  void givenNothingComing_whenRecvWaits_thenItStopsSpinningAndParksUntilAValueComes()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    java.util.concurrent.atomic.AtomicReference<Thread> receiver =
        new java.util.concurrent.atomic.AtomicReference<>();
    Future<Object> received =
        threads.submit(
            () -> {
              receiver.set(Thread.currentThread());
              return in.recv(Long.MAX_VALUE);
            });

    // A spin lasts 100 us at most; then the thread parks instead of burning its core.
    await()
        .atMost(WAIT)
        .until(() -> receiver.get() != null && receiver.get().getState() == Thread.State.WAITING);
    out.send("late");

    assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo("late");
  }

  @Test
  void givenNoReceiverYet_whenSend_thenDeliveredOnceCreated() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    Reading reading = new Reading(7, 21.5, List.of("kitchen"));
    out.send("first");
    out.send(reading);
    out.send(Map.of("k", 3L));
    await().atMost(WAIT).until(() -> TableProbe.queuedBytes(b.table(), a.pid()) > 0);

    ReceiveEnd in = b.table().openReceiver(a.pid());

    assertThat(recv(in)).isEqualTo("first");
    assertThat(recv(in)).isEqualTo(reading);
    assertThat(recv(in)).isEqualTo(Map.of("k", 3L));
  }

  @Test
  void givenHundredThousandValues_whenSent_thenReceivedInOrder() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    int count = 100_000;

    Future<?> sending =
        threads.submit(
            () -> {
              for (int i = 0; i < count; i++) {
                out.send(i);
              }
              return null;
            });

    for (int i = 0; i < count; i++) {
      Object v = recv(in);
      if (!Integer.valueOf(i).equals(v)) {
        assertThat(v).as("value number %d", i).isEqualTo(i);
      }
    }
    sending.get(5, TimeUnit.SECONDS);
    assertThat(in.recv(0)).as("nothing after the last value").isSameAs(ReceiveEnd.NONE);
  }

  @Test
  void givenBothDirections_whenSendingAtOnce_thenAllArriveOverOneConnection() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd aToB = a.table().openSender(b.pid());
    SendEnd bToA = b.table().openSender(a.pid());
    ReceiveEnd atB = b.table().openReceiver(a.pid());
    ReceiveEnd atA = a.table().openReceiver(b.pid());
    int count = 20_000;

    List<Future<List<Object>>> received = new ArrayList<>();
    threads.submit(() -> sendAll(aToB, "a", count));
    threads.submit(() -> sendAll(bToA, "b", count));
    received.add(threads.submit(() -> recvAll(atB, count)));
    received.add(threads.submit(() -> recvAll(atA, count)));

    List<Object> fromA = received.get(0).get(15, TimeUnit.SECONDS);
    List<Object> fromB = received.get(1).get(15, TimeUnit.SECONDS);
    assertThat(fromA).containsExactlyElementsOf(expected("a", count));
    assertThat(fromB).containsExactlyElementsOf(expected("b", count));
    TableProbe.Link ab = TableProbe.link(a.table(), a.loop(), b.pid());
    TableProbe.Link ba = TableProbe.link(b.table(), b.loop(), a.pid());
    assertThat(ab).isNotNull();
    assertThat(ba).isNotNull();
    assertThat(ab.local()).as("one TCP connection for both directions").isEqualTo(ba.remote());
    assertThat(ab.remote()).isEqualTo(ba.local());
  }

  @Test
  void givenReceiverClosedAndReopenedWithAnotherType_whenMoreSent_thenNewReceiverGetsThem()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd numbers = b.table().openReceiver(a.pid());
    out.send(1);
    assertThat(recv(numbers)).isEqualTo(1);

    numbers.close();
    ReceiveEnd readings = b.table().openReceiver(a.pid());
    Reading later = new Reading(2, 0.5, List.of());
    out.send(later);

    assertThat(recv(readings)).isEqualTo(later);
    assertThatThrownBy(() -> numbers.recv(0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Receiver to " + a.pid() + " is closed");
  }

  @Test
  void givenSenderClosedAndReopenedBeforeReceiverExists_whenReceive_thenEpochEndsWithExited()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd first = a.table().openSender(b.pid());
    first.send("one");
    first.close();
    SendEnd second = a.table().openSender(b.pid());
    second.send(2);

    ReceiveEnd in = b.table().openReceiver(a.pid());
    assertThat(recv(in)).isEqualTo("one");
    assertThatThrownBy(() -> recv(in))
        .isInstanceOfSatisfying(
            ChannelException.class, e -> assertThat(e.reason()).isEqualTo(Reason.EXITED));
    in.close();
    ReceiveEnd again = b.table().openReceiver(a.pid());

    assertThat(recv(again)).isEqualTo(2);
  }

  @Test
  void givenOpenSender_whenSecondSenderToSamePid_thenIllegalStateNamingPid() {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd first = a.table().openSender(b.pid());

    assertThatThrownBy(() -> a.table().openSender(b.pid()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Sender to " + b.pid() + " already exists");
    first.close();
    assertThat(a.table().openSender(b.pid()).remote()).isEqualTo(b.pid());
  }

  @Test
  void givenOpenReceiver_whenSecondReceiverFromSamePid_thenIllegalStateNamingPid() {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    ReceiveEnd first = a.table().openReceiver(b.pid());

    assertThatThrownBy(() -> a.table().openReceiver(b.pid()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Receiver to " + b.pid() + " already exists");
    first.close();
    assertThat(a.table().openReceiver(b.pid()).remote()).isEqualTo(b.pid());
  }

  @Test
  void givenOwnPid_whenOpenSenderOrReceiver_thenCannotCreateChannelToItself() {
    LoopbackTables.Table a = tables.add();

    assertThatThrownBy(() -> a.table().openSender(a.pid()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot create a channel to itself");
    assertThatThrownBy(() -> a.table().openReceiver(a.pid()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot create a channel to itself");
  }

  @Test
  void givenUnserialisableValue_whenSend_thenIllegalArgumentNamingClassAndChannelStillWorks()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());

    assertThatThrownBy(() -> out.send(new Thread()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.Thread");
    out.send("after");

    assertThat(recv(in)).isEqualTo("after");
  }

  private static Void sendAll(SendEnd out, String prefix, int count) throws Exception {
    for (int i = 0; i < count; i++) {
      out.send(prefix + i);
    }
    return null;
  }

  private static List<Object> recvAll(ReceiveEnd in, int count) throws Exception {
    List<Object> values = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      values.add(recv(in));
    }
    return values;
  }

  private static List<Object> expected(String prefix, int count) {
    List<Object> values = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      values.add(prefix + i);
    }
    return values;
  }

  /** Receives one value, failing (never hanging) when none comes within {@link #WAIT}. */
  static Object recv(ReceiveEnd in) throws Exception {
    Object v = in.recv(System.nanoTime() + WAIT.toNanos());
    assertThat(v).as("a value within %s", WAIT).isNotSameAs(ReceiveEnd.NONE);
    return v;
  }
}
