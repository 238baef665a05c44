package dev.deploy.channel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.io.Transport;
import dev.deploy.testing.LoopbackTables;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An acknowledgement rides on frames going anyway, or goes alone when its timer asks: a write of
 * the receiving side with nothing else to say (over shared memory its loop writes after every
 * doorbell) must not carry an ACK alone, which cost the sender a doorbell and a wake-up of its loop
 * about once per thousand values of a stream. Yet everything is acknowledged within milliseconds.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChannelAckTest {
  private final LoopbackTables tables = new LoopbackTables();

  @AfterEach
  void tearDown() {
    tables.close();
  }

  @Test
  void givenValuesReceivedAndUnacknowledged_whenTheReceiverWritesNothingElse_thenNoAckGoesAlone()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    Peer receiving = TableProbe.peer(b.table(), a.pid());

    // Each attempt: a value arrives, then on b's loop (so its ACK timer cannot run in between) a
    // write with nothing else to write. An attempt whose ACK already went (the timer was quicker
    // than this test's thread) proves nothing; the next one tries again.
    long[] beforeAndAfter = null;
    for (int attempt = 0; attempt < 200 && beforeAndAfter == null; attempt++) {
      out.send(attempt);
      assertThat(in.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(5))).isEqualTo(attempt);
      CompletableFuture<long[]> look = new CompletableFuture<>();
      b.loop()
          .execute(
              () -> {
                long received = (long) TableProbe.field(Peer.class, "received", receiving);
                long acked = (long) TableProbe.field(Peer.class, "ackSent", receiving);
                if (acked == received) {
                  look.complete(null);
                  return;
                }
                Transport t = receiving.transport;
                t.flush();
                look.complete(
                    new long[] {acked, (long) TableProbe.field(Peer.class, "ackSent", receiving)});
              });
      beforeAndAfter = look.get(5, TimeUnit.SECONDS);
    }

    assertThat(beforeAndAfter).as("an attempt found its value not yet acknowledged").isNotNull();
    assertThat(beforeAndAfter[1])
        .as("a write with nothing else to say carries no ACK alone")
        .isEqualTo(beforeAndAfter[0]);
    Peer sending = TableProbe.peer(a.table(), b.pid());
    assertThat(sending.awaitAcked(System.nanoTime() + TimeUnit.SECONDS.toNanos(2)))
        .as("the ACK timer acknowledges everything within milliseconds")
        .isTrue();
  }
}
