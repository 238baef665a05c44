package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.ChannelException.Reason;
import dev.deploy.Pid;
import dev.deploy.testing.LoopbackTables;
import dev.deploy.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a sender's exit tells its receivers: EXITED only when every value it sent them was
 * acknowledged, else LOST. The drain names the remotes it leaves values unacknowledged (for the
 * exit notice, so the fabric answers their fate queries with a death) and says no GOODBYE to them.
 * Found by the fault suite under 30 % loss: a receiver saw EXITED short of its values.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChannelExitFateTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final LoopbackTables tables = new LoopbackTables();
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void tearDown() {
    release.countDown();
    tables.close();
  }

  @Test
  void givenEverythingAcknowledged_whenSenderDrains_thenNothingUnfinishedAndReceiverSeesExited()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    out.send("a");
    out.send("b");

    List<Pid> unfinished = a.table().drain();

    assertThat(unfinished).isEmpty();
    assertThat(ChannelDeliveryTest.recv(in)).isEqualTo("a");
    assertThat(ChannelDeliveryTest.recv(in)).isEqualTo("b");
    ChannelFateTest.assertReason(() -> in.recv(Long.MAX_VALUE), Reason.EXITED);
  }

  /**
   * The sender's dial never got through (its handshakes timed out until the silence limit), so it
   * holds the receiver LOST with a value unsent; the receiver, alive all along, then dials it. The
   * sender's exit must not tell that receiver EXITED: it never got the value.
   */
  @Test
  void givenValueNeverAcknowledged_whenSenderDrainsAndEnds_thenNamedAndReceiverSeesLost()
      throws Exception {
    ManualClock clock = new ManualClock();
    LoopbackTables.Table a =
        tables.add(LoopbackTables.spec().clock(clock).fates(pid -> new CompletableFuture<>()));
    LoopbackTables.Table b = tables.add();
    stall(b); // accepts no connection: the sender's handshakes time out
    SendEnd out = a.table().openSender(b.pid());
    out.send("never delivered");
    Peer peer = TableProbe.peer(a.table(), b.pid());
    await()
        .atMost(WAIT)
        .until(
            () -> {
              clock.advance(Duration.ofMillis(500));
              a.wake();
              return peer.fate() != null;
            });
    release.countDown();
    ReceiveEnd in = b.table().openReceiver(a.pid()); // dials the sender, which accepts
    await().atMost(WAIT).until(() -> TableProbe.onLoop(a.loop(), () -> peer.transport != null));

    List<Pid> unfinished = a.table().drain();
    a.kill(); // its process ends

    assertThat(unfinished).containsExactly(b.pid());
    ChannelFateTest.assertReason(() -> in.recv(Long.MAX_VALUE), Reason.LOST);
  }

  /**
   * A send that failed before anything was queued (the remote was already held LOST) leaves nothing
   * unacknowledged, yet its receiver may never have had a connection: the drain names every remote
   * this process holds LOST, also one whose peer was forgotten since.
   */
  @Test
  void givenRemoteHeldLostBeforeAnySend_whenDrained_thenNamedAlsoAfterItsPeerIsForgotten()
      throws Exception {
    ManualClock clock = new ManualClock();
    LoopbackTables.Table a = tables.add(LoopbackTables.spec().clock(clock)); // fabric: LOST
    Pid unreachable = LoopbackTables.unusedPid();
    SendEnd out = a.table().openSender(unreachable);
    await()
        .atMost(WAIT)
        .until(
            () -> {
              clock.advance(Duration.ofMillis(100)); // the re-dials' pauses
              a.wake();
              return TableProbe.peer(a.table(), unreachable).fate() != null;
            });
    ChannelFateTest.assertReason(() -> out.send("never queued"), Reason.LOST);
    out.close();
    clock.advance(Duration.ofSeconds(31));
    a.wake();
    await().atMost(WAIT).until(() -> TableProbe.peerCount(a.table()) == 0);

    assertThat(a.table().drain()).containsExactly(unreachable);
  }

  /** Holds {@code t}'s loop thread until {@link #release} (or the test's end). */
  private void stall(LoopbackTables.Table t) throws InterruptedException {
    CountDownLatch stalled = new CountDownLatch(1);
    t.loop()
        .execute(
            () -> {
              stalled.countDown();
              try {
                release.await(20, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    assertThat(stalled.await(5, TimeUnit.SECONDS)).as("the loop took the stall").isTrue();
  }
}
