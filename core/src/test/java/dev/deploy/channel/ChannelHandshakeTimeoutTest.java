package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.ChannelException.Reason;
import dev.deploy.io.Connection;
import dev.deploy.security.ClusterKey;
import dev.deploy.testing.LoopbackTables;
import dev.deploy.testing.ManualClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A handshake that does not finish within its deadline (a lossy network retransmitting the connect
 * or the proofs) is not a wrong key: the dialler dials again and its values arrive. A wrong key
 * still ends the pair at once. Found by the fault suite under 30 % packet loss, where such a dial
 * used to settle the remote LOST with no further attempt.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChannelHandshakeTimeoutTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final LoopbackTables tables = new LoopbackTables();
  private final LoopbackTables strangers = new LoopbackTables(ClusterKey.generate());
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void tearDown() {
    release.countDown();
    tables.close();
    strangers.close();
  }

  @Test
  void givenAcceptorStallsTheFirstHandshake_whenDeadlinePasses_thenDialsAgainAndValuesArrive()
      throws Exception {
    ManualClock clock = new ManualClock();
    LoopbackTables.Table a =
        tables.add(
            LoopbackTables.spec()
                .clock(clock)
                .fates(pid -> new CompletableFuture<>())); // alive: no answer until it ends
    LoopbackTables.Table b = tables.add();
    stall(b); // its kernel still completes the TCP connect; nobody answers the hello
    SendEnd out = a.table().openSender(b.pid());
    out.send("a");
    out.send("b");
    Peer peer = TableProbe.peer(a.table(), b.pid());
    Connection first =
        await()
            .atMost(WAIT)
            .until(() -> TableProbe.onLoop(a.loop(), () -> peer.dialing), c -> c != null);

    await()
        .atMost(WAIT)
        .until(
            () -> {
              clock.advance(Duration.ofMillis(500)); // to the handshake deadline, not past 20 s
              a.wake();
              return TableProbe.onLoop(
                  a.loop(),
                  () -> peer.fate() != null || (peer.dialing != null && peer.dialing != first));
            });
    assertThat(peer.fate()).as("not settled by a handshake that only timed out").isNull();
    release.countDown();

    ReceiveEnd in = b.table().openReceiver(a.pid());
    assertThat(ChannelDeliveryTest.recv(in)).isEqualTo("a");
    assertThat(ChannelDeliveryTest.recv(in)).isEqualTo("b");
    out.send("c");
    assertThat(ChannelDeliveryTest.recv(in)).isEqualTo("c");
  }

  @Test
  void givenHandshakesKeepTimingOut_whenSilenceLimitPassesAfterTheFirst_thenLost()
      throws Exception {
    Duration lostAfter = lostWhileUnreachable(LoopbackTables.spec(), Duration.ofMillis(500));

    assertThat(lostAfter)
        .as("a handshake's deadline and then the silence limit")
        .isGreaterThanOrEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void givenSilenceLimitOfTwoSeconds_whenHandshakesKeepTimingOut_thenLostAfterTwoLimitsNotTwenty()
      throws Exception {
    Duration lostAfter =
        lostWhileUnreachable(
            LoopbackTables.spec().silence(dev.deploy.io.SilenceLimit.parse("test", "2s")),
            Duration.ofMillis(100));

    assertThat(lostAfter)
        .as("a handshake bounded by the 2 s limit, then re-dials for one more limit")
        .isBetween(Duration.ofSeconds(4), Duration.ofSeconds(6));
  }

  /**
   * Sends to a remote whose loop never answers a hello, moving {@code spec}'s (manual) clock by
   * {@code step} until the remote is settled; asserts it is LOST and returns the clock time that
   * took.
   */
  private Duration lostWhileUnreachable(LoopbackTables.Spec spec, Duration step) throws Exception {
    ManualClock clock = new ManualClock();
    LoopbackTables.Table a = tables.add(spec.clock(clock).fates(pid -> new CompletableFuture<>()));
    LoopbackTables.Table b = tables.add();
    stall(b);
    SendEnd out = a.table().openSender(b.pid());
    out.send("a");
    Peer peer = TableProbe.peer(a.table(), b.pid());
    long start = clock.getAsLong();

    await()
        .atMost(WAIT)
        .until(
            () -> {
              clock.advance(step);
              a.wake();
              return peer.fate() != null;
            });

    assertThat(peer.fate()).isEqualTo(Reason.LOST);
    return Duration.ofNanos(clock.getAsLong() - start);
  }

  @Test
  void givenAcceptorWithAnotherKey_whenDialled_thenLostAtOnceWithoutAnswerOrTime()
      throws Exception {
    LoopbackTables.Table a =
        tables.add(
            LoopbackTables.spec()
                .clock(new ManualClock()) // never moves: no deadline, no silence limit
                .fates(pid -> new CompletableFuture<>())); // never answers
    LoopbackTables.Table stranger = strangers.add();
    SendEnd out = a.table().openSender(stranger.pid());
    Peer peer = TableProbe.peer(a.table(), stranger.pid());

    await().atMost(WAIT).until(() -> peer.fate() != null);
    assertThat(peer.fate()).isEqualTo(Reason.LOST);
    ChannelFateTest.assertReason(() -> out.send("x"), Reason.LOST);
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
