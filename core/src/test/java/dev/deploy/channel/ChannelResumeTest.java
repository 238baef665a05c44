package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.ChannelException;
import dev.deploy.ChannelException.Reason;
import dev.deploy.io.SilenceLimit;
import dev.deploy.testing.LoopbackTables;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A TCP connection that stalls (nothing arrives either way, nothing closes: lost segments waiting
 * in TCP's back-off) is dialled again and the pair resumes on the new connection where its
 * acknowledgements stopped: no value lost, none twice, order kept, no LOST. A remote that is truly
 * out of reach is still LOST at the silence limit. Every connection goes through a {@link
 * FreezingProxy}, both ways, over TCP (no shared memory), with a 3 s silence limit (heartbeats
 * every 300 ms, a stall after 1.05 s).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChannelResumeTest {
  private static final SilenceLimit LIMIT = SilenceLimit.parse("test", "3s");

  private final LoopbackTables tables = new LoopbackTables();
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<FreezingProxy> proxies = new ArrayList<>();
  private LoopbackTables.Table a;
  private LoopbackTables.Table b;
  private FreezingProxy toA;
  private FreezingProxy toB;

  @AfterEach
  void tearDown() throws Exception {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).as("test threads ended").isTrue();
    tables.close();
    for (FreezingProxy p : proxies) {
      p.close();
    }
  }

  /** Two tables over TCP, each dialling the other through its own proxy. */
  /** A channel from {@code from} to {@code to}, its first value already through. */
  record Stream(SendEnd out, ReceiveEnd in) {}

  private static Stream flowing(LoopbackTables.Table from, LoopbackTables.Table to)
      throws Exception {
    SendEnd out = from.table().openSender(to.pid());
    ReceiveEnd in = to.table().openReceiver(from.pid());
    out.send(value(0));
    assertValue((byte[]) ChannelDeliveryTest.recv(in), 0);
    return new Stream(out, in);
  }

  private void twoTablesThroughProxies() throws Exception {
    a = tables.add(LoopbackTables.spec().silence(LIMIT));
    b = tables.add(LoopbackTables.spec().silence(LIMIT));
    toA = proxy(a);
    toB = proxy(b);
    a.table().tcpOnly = true;
    b.table().tcpOnly = true;
    a.table().route = pid -> pid.equals(b.pid()) ? toB.address() : pid.address();
    b.table().route = pid -> pid.equals(a.pid()) ? toA.address() : pid.address();
  }

  private FreezingProxy proxy(LoopbackTables.Table t) throws Exception {
    FreezingProxy p = new FreezingProxy(t.address());
    proxies.add(p);
    return p;
  }

  private int dials() {
    return toA.accepted() + toB.accepted();
  }

  @Test
  void givenStreamsBothWays_whenTheConnectionFreezesTwice_thenEveryValueArrivesOnceInOrder()
      throws Exception {
    twoTablesThroughProxies();
    int n = 3_000;
    SendEnd ab = a.table().openSender(b.pid());
    SendEnd ba = b.table().openSender(a.pid());
    ReceiveEnd atB = b.table().openReceiver(a.pid());
    ReceiveEnd atA = a.table().openReceiver(b.pid());
    Future<?> sendingAb = threads.submit(() -> stream(ab, n));
    Future<?> sendingBa = threads.submit(() -> stream(ba, n));
    Future<Integer> readingA = threads.submit(() -> readAll(atA, n));

    // b reads on this thread; the connection freezes after 1/3 and after 2/3 of the values.
    for (int i = 0; i < n; i++) {
      if (i == n / 3 || i == 2 * n / 3) {
        int before = dials();
        toA.freeze();
        toB.freeze();
        // A re-dial goes out once the stall is seen; the values below then come on it.
        await().atMost(Duration.ofSeconds(20)).until(() -> dials() > before);
      }
      Object v = atB.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(20));
      assertThat(v).as("value %d within 20 s", i).isNotSameAs(ReceiveEnd.NONE);
      assertStreamed((byte[]) v, i);
    }
    assertThat(readingA.get(30, TimeUnit.SECONDS)).isEqualTo(n);
    sendingAb.get(30, TimeUnit.SECONDS);
    sendingBa.get(30, TimeUnit.SECONDS);
    assertThat(TableProbe.peer(a.table(), b.pid()).fate()).isNull();
    assertThat(TableProbe.peer(b.table(), a.pid()).fate()).isNull();
  }

  @Test
  void givenValuesWrittenIntoAFrozenConnection_whenResumed_thenTheUnacknowledgedAreSentAgain()
      throws Exception {
    twoTablesThroughProxies();
    Stream stream = flowing(a, b);
    SendEnd out = stream.out();
    ReceiveEnd in = stream.in();
    Peer sender = TableProbe.peer(a.table(), b.pid());
    await().until(() -> !sender.owes()); // acknowledged: nothing in flight
    int before = dials();

    toA.freeze();
    toB.freeze();
    for (int i = 1; i <= 100; i++) {
      // Within the window, into the frozen connection: never arrive there, never acknowledged.
      out.send(value(i));
    }
    assertThat(sender.owes()).as("values in flight, unacknowledged").isTrue();

    for (int i = 1; i <= 100; i++) {
      Object v = in.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(20));
      assertThat(v).as("value %d within 20 s", i).isNotSameAs(ReceiveEnd.NONE);
      assertValue((byte[]) v, i);
    }
    assertThat(dials()).as("connections through the proxies").isGreaterThan(before);
    assertThat(in.recv(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200)))
        .as("nothing twice")
        .isSameAs(ReceiveEnd.NONE);
    await().until(() -> !sender.owes());
    assertThat(sender.fate()).isNull();
  }

  @Test
  void givenTheRemoteOutOfReach_whenEveryDialFreezesToo_thenLostAtTheSilenceLimit()
      throws Exception {
    twoTablesThroughProxies();
    ReceiveEnd in = flowing(a, b).in(); // its Sender stays open
    int before = dials();

    long frozeAt = System.nanoTime();
    toA.freezeAll();
    toB.freezeAll();
    assertThatThrownBy(() -> in.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(20)))
        .isInstanceOfSatisfying(
            ChannelException.class, e -> assertThat(e.reason()).isEqualTo(Reason.LOST));
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozeAt);
    assertThat(tookMillis)
        .as("LOST at the silence limit of %s, not sooner, nor much later", LIMIT)
        .isBetween(LIMIT.millis() - 400, LIMIT.millis() + 2_000);
    assertThat(dials()).as("re-dials tried meanwhile").isGreaterThan(before);
    await().until(() -> TableProbe.peer(a.table(), b.pid()).fate() == Reason.LOST);
  }

  @Test
  void givenTheRemoteKilledBehindAFrozenConnection_whenRedialsAreRefused_thenLostAtTheLimit()
      throws Exception {
    twoTablesThroughProxies();
    ReceiveEnd in = flowing(b, a).in(); // its Sender stays open

    long frozeAt = System.nanoTime();
    toA.freeze();
    toB.freeze(); // a never hears of the kill on this connection; its re-dials are refused
    b.kill();
    assertThatThrownBy(() -> in.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(20)))
        .isInstanceOfSatisfying(
            ChannelException.class, e -> assertThat(e.reason()).isEqualTo(Reason.LOST));
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozeAt);
    assertThat(tookMillis).isBetween(LIMIT.millis() - 400, LIMIT.millis() + 2_000);
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Sends {@code n} values: 2 KiB ones, and every 97th one of 100 KiB (in chunks, and lent: its
   * array is overwritten right after the send returns, which a kept copy must not see).
   */
  private static Void stream(SendEnd out, int n) throws Exception {
    byte[] big = new byte[100 << 10];
    for (int i = 0; i < n; i++) {
      if (i % 97 == 0) {
        fill(big, i);
        out.send(big);
        java.util.Arrays.fill(big, (byte) -1);
      } else {
        out.send(value(i));
      }
    }
    return null;
  }

  private static Integer readAll(ReceiveEnd in, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      Object v = in.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(20));
      assertThat(v).as("value %d within 20 s", i).isNotSameAs(ReceiveEnd.NONE);
      assertStreamed((byte[]) v, i);
    }
    return n;
  }

  private static byte[] value(int i) {
    byte[] v = new byte[2 << 10];
    fill(v, i);
    return v;
  }

  private static void fill(byte[] v, int i) {
    ByteBuffer.wrap(v).putInt(i);
    java.util.Arrays.fill(v, 4, v.length, (byte) i);
  }

  private static void assertStreamed(byte[] v, int i) {
    assertValue(v, i);
    assertThat(v).hasSize(i % 97 == 0 ? 100 << 10 : 2 << 10);
  }

  private static void assertValue(byte[] v, int i) {
    int got = ByteBuffer.wrap(v).getInt();
    assertThat(got).as("the value in order").isEqualTo(i);
    for (int k = 4; k < v.length; k++) {
      if (v[k] != (byte) i) {
        throw new AssertionError("value " + i + " byte " + k + " is " + v[k]);
      }
    }
  }
}
