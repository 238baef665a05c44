package dev.deploy.channel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.io.ShmFile;
import dev.deploy.io.ShmTransport;
import dev.deploy.io.Transport;
import dev.deploy.testing.LoopbackTables;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Over shared memory a receive whose spin found a value leaves the remote told that we look, so a
 * stream needs no doorbells; when the receiving thread then goes elsewhere, the next value must
 * still arrive (and be acknowledged, and make the channel ready for select) promptly, not at the
 * transport's once-a-second safety net.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChannelHeldAwakeTest {
  private final LoopbackTables tables = new LoopbackTables();

  @AfterEach
  void tearDown() {
    tables.close();
  }

  @Test
  void
      givenAReceiveWhoseSpinFoundAValue_whenTheThreadStopsReceiving_thenTheNextValueArrivesPromptly()
          throws Exception {
    Assumptions.assumeTrue(ShmFile.enabled(), "shared memory is off in this run");
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    out.send("warm the pair up");
    assertThat(in.recv(Long.MAX_VALUE)).isEqualTo("warm the pair up");
    Peer peer = TableProbe.peer(b.table(), a.pid());
    Transport t = peer.transport;
    assertThat(t).isInstanceOf(ShmTransport.class);
    // What a receive whose spin found its value leaves behind, then the thread goes elsewhere.
    assertThat(t.spinning()).isTrue();
    peer.holdAwake(t);

    long start = System.nanoTime();
    out.send(7L);
    while (!in.ready() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5)) {
      Thread.onSpinWait();
    }
    long took = System.nanoTime() - start;

    assertThat(in.ready()).as("the value arrived").isTrue();
    assertThat(took)
        .as("a value sent while the receiving thread is away arrives well before the 1 s tick")
        .isLessThan(TimeUnit.MILLISECONDS.toNanos(250));
    assertThat(in.recv(0)).isEqualTo(7L);
  }
}
