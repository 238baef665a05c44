package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.testing.LoopbackTables;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two processes open Senders to each other at the same moment, so both dial: the ACCEPT/REJECT
 * tie-break must leave exactly one TCP connection carrying both directions, with every value
 * delivered, whichever pid orders lower. Fifty rounds, fresh tables each.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimultaneousDialTest {
  private static final int ROUNDS = 50;
  private static final int VALUES = 100;
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final ExecutorService threads = Executors.newCachedThreadPool();
  private LoopbackTables tables;

  @AfterEach
  void tearDown() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).as("test threads ended").isTrue();
    if (tables != null) {
      tables.close();
    }
  }

  @Test
  void givenBothSidesOpenSendersAtOnce_whenTheyDial_thenOneConnectionCarriesAllValues()
      throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      tables = new LoopbackTables();
      long low = (1L << 40) + round;
      long high = (2L << 40) + round;
      boolean aLower = round % 2 == 0;
      LoopbackTables.Table a = tables.add(LoopbackTables.spec().pidKey(aLower ? low : high));
      LoopbackTables.Table b = tables.add(LoopbackTables.spec().pidKey(aLower ? high : low));
      CyclicBarrier gate = new CyclicBarrier(2);

      Future<List<Object>> atA = threads.submit(() -> exchange(a, b, gate));
      Future<List<Object>> atB = threads.submit(() -> exchange(b, a, gate));

      assertThat(atA.get(WAIT.toSeconds(), TimeUnit.SECONDS))
          .as("round %d: values at A", round)
          .containsExactlyElementsOf(expected(b));
      assertThat(atB.get(WAIT.toSeconds(), TimeUnit.SECONDS))
          .as("round %d: values at B", round)
          .containsExactlyElementsOf(expected(a));
      await().atMost(WAIT).until(() -> a.openConnections() == 1 && b.openConnections() == 1);
      TableProbe.Link ab = TableProbe.link(a.table(), a.loop(), b.pid());
      TableProbe.Link ba = TableProbe.link(b.table(), b.loop(), a.pid());
      assertThat(ab).as("round %d: A's connection", round).isNotNull();
      assertThat(ba).as("round %d: B's connection", round).isNotNull();
      assertThat(ab.local()).as("round %d: the same TCP connection", round).isEqualTo(ba.remote());
      assertThat(ab.remote()).isEqualTo(ba.local());
      assertThat(TableProbe.dialling(a.table(), a.loop(), b.pid())).isFalse();
      assertThat(TableProbe.dialling(b.table(), b.loop(), a.pid())).isFalse();
      tables.close();
      tables = null;
    }
  }

  /** Opens both ends to {@code remote} at the gate, sends, and returns what arrived. */
  private static List<Object> exchange(
      LoopbackTables.Table self, LoopbackTables.Table remote, CyclicBarrier gate) throws Exception {
    gate.await(5, TimeUnit.SECONDS);
    SendEnd out = self.table().openSender(remote.pid());
    ReceiveEnd in = self.table().openReceiver(remote.pid());
    for (Object v : expected(self)) {
      out.send(v);
    }
    List<Object> got = new ArrayList<>();
    for (int i = 0; i < VALUES; i++) {
      got.add(ChannelDeliveryTest.recv(in));
    }
    return got;
  }

  private static List<Object> expected(LoopbackTables.Table from) {
    List<Object> values = new ArrayList<>();
    for (int i = 0; i < VALUES; i++) {
      values.add(from.pid() + ":" + i);
    }
    return values;
  }
}
