package dev.deploy.channel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.testing.LoopbackTables;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The values and bytes a table counts for /metrics: sent when queued, received when taken. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ChannelCountersTest {
  private final LoopbackTables tables = new LoopbackTables();

  @AfterEach
  void tearDown() {
    tables.close();
  }

  @Test
  void givenRawAndEncodedValues_whenSentAndTaken_thenBothSidesCountValuesAndBytes()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());

    out.send(new byte[100]);
    out.send(new byte[1_000]);
    out.send("encoded");
    for (int i = 0; i < 3; i++) {
      in.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
    }

    long[] sent = a.table().counters().totals();
    long[] received = b.table().counters().totals();
    assertThat(sent[0]).isEqualTo(3);
    assertThat(sent[1]).isGreaterThan(1_100);
    assertThat(sent[2]).isZero();
    assertThat(received[0]).isZero();
    assertThat(received[2]).isEqualTo(3);
    assertThat(received[3]).isEqualTo(sent[1]);
  }
}
