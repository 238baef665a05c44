package dev.deploy.channel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.testing.LoopbackTables;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A send after a pause on an open connection is written by the sending thread itself; what does not
 * fit in one buffer (a large value) must still go out at once, finished by the I/O loop.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChannelWriteThroughTest {
  private final LoopbackTables tables = new LoopbackTables();

  @AfterEach
  void tearDown() {
    tables.close();
  }

  /**
   * Waits longer than ChannelTable's write-through gap (10 µs) since the last send, on the clock it
   * reads: the next send counts as one after a pause.
   */
  private static void pauseAfterSend() {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
    while (System.nanoTime() < until) {
      Thread.onSpinWait();
    }
  }

  @Test
  void givenTheSendersLoopBusy_whenAValueIsSentAfterAPause_thenTheSendingThreadWritesIt()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    out.send("warm the connection up");
    assertThat(in.recv(Long.MAX_VALUE)).isEqualTo("warm the connection up");
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    a.loop()
        .execute(
            () -> {
              busy.countDown();
              try {
                release.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    try {
      busy.await();
      pauseAfterSend();

      out.send("written by the sender");
      Object got = in.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));

      assertThat(got)
          .as("a value sent after a pause arrives while the sender's I/O loop cannot write it")
          .isEqualTo("written by the sender");
    } finally {
      release.countDown();
    }
  }

  @Test
  void givenOpenIdleConnection_whenLargeValueSentAfterPause_thenArrivesPromptly() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    out.send("warm the connection up");
    assertThat(in.recv(Long.MAX_VALUE)).isEqualTo("warm the connection up");
    pauseAfterSend(); // the next send is written by this thread

    for (int round = 0; round < 3; round++) {
      byte[] big = new byte[(4 << 20) + round];
      Arrays.fill(big, (byte) round);
      long start = System.nanoTime();
      out.send(big);
      Object got = in.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));

      assertThat(got).isInstanceOf(byte[].class);
      assertThat((byte[]) got).isEqualTo(big);
      assertThat(System.nanoTime() - start)
          .as("a 4 MiB value on an idle loopback connection takes well under a second")
          .isLessThan(TimeUnit.SECONDS.toNanos(1));
      pauseAfterSend();
    }
  }
}
