package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.ChannelException;
import dev.deploy.ChannelException.Reason;
import dev.deploy.Pid;
import dev.deploy.testing.LoopbackTables;
import dev.deploy.testing.ManualClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connections exist only while a channel needs them: once neither side has a channel with the other
 * and nothing is in flight, the pair agrees to close the connection, and a new channel dials again
 * with the books (credit, counts) carried over.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ChannelIdleTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final LoopbackTables tables = new LoopbackTables();
  private final ManualClock clock = new ManualClock();

  @AfterEach
  void tearDown() {
    tables.close();
  }

  private void passIdleTime(LoopbackTables.Table... ts) {
    // A quarter second at a time: heartbeats keep both sides alive, and each is read within a
    // step of being written. At a second a step, a heartbeat put off to the next tick but one and
    // read a step late left 4 s between reads on a healthy connection now and then, and the
    // stall watch (3.5 s) dialled again: two connections where the test expects one (CI, TCP).
    for (int i = 0; i < 28; i++) {
      clock.advance(Duration.ofMillis(250));
      for (LoopbackTables.Table t : ts) {
        t.wake();
      }
    }
  }

  /** Acks wait up to 2 ms (of the loop's clock) for a frame to ride on: let that time pass. */
  private void awaitAcked(LoopbackTables.Table a, LoopbackTables.Table b) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              clock.advance(Duration.ofMillis(3));
              a.wake();
              b.wake();
              return !TableProbe.peer(a.table(), b.pid()).busy();
            });
  }

  @Test
  void givenChannelsClosedAndEverythingAcked_whenIdleFiveSeconds_thenConnectionClosedOnBothSides()
      throws Exception {
    LoopbackTables.Table a = tables.add(LoopbackTables.spec().clock(clock));
    LoopbackTables.Table b = tables.add(LoopbackTables.spec().clock(clock));
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    out.send("x");
    assertThat(in.recv(Long.MAX_VALUE)).isEqualTo("x");
    out.close();
    assertThatThrownBy(() -> in.recv(Long.MAX_VALUE)).isInstanceOf(ChannelException.class);
    in.close();
    awaitAcked(a, b);

    passIdleTime(a, b);

    // More loop time while waiting, a second per look: a loaded machine may have run a side's
    // last tick before the 5 s were up, or had the other side say "not yet" (then it asks again 5 s
    // later). Heartbeats each second keep both sides inside the 10 s silence limit.
    AtomicInteger more = new AtomicInteger();
    try {
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                if (more.getAndIncrement() < 7) {
                  clock.advance(Duration.ofSeconds(1));
                  a.wake();
                  b.wake();
                }
                return a.openConnections() == 0 && b.openConnections() == 0;
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          "not closed by agreement at "
              + clock.getAsLong()
              + " ns: "
              + TableProbe.describe(a.table(), b.pid())
              + "; "
              + TableProbe.describe(b.table(), a.pid()),
          e);
    }

    SendEnd again = a.table().openSender(b.pid());
    ReceiveEnd reopened = b.table().openReceiver(a.pid());
    again.send("y");
    assertThat(reopened.recv(System.nanoTime() + WAIT.toNanos())).isEqualTo("y");
  }

  @Test
  void givenOpenReceiverWithoutTraffic_whenIdleFiveSeconds_thenConnectionKept() throws Exception {
    LoopbackTables.Table a = tables.add(LoopbackTables.spec().clock(clock));
    LoopbackTables.Table b = tables.add(LoopbackTables.spec().clock(clock));
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    out.send("x");
    assertThat(in.recv(Long.MAX_VALUE)).isEqualTo("x");
    out.close();
    awaitAcked(a, b);

    passIdleTime(a, b);

    // One connection each, not none: kept, not closed as idle. (A re-dial of a connection the
    // stall watch took for stalled, which the manual clock's steps sometimes make look so, swaps
    // it for a new one: two for a moment, then one again.)
    await().atMost(WAIT).until(() -> a.openConnections() == 1 && b.openConnections() == 1);
  }

  @Test
  void givenRemoteGoneAndChannelsClosed_whenThirtySecondsPass_thenItsPeerIsForgotten()
      throws Exception {
    LoopbackTables.Table a = tables.add(LoopbackTables.spec().clock(clock));
    LoopbackTables.Table b = tables.add(LoopbackTables.spec().clock(clock));
    ReceiveEnd in = a.table().openReceiver(b.pid());
    SendEnd out = b.table().openSender(a.pid());
    out.send("x");
    assertThat(in.recv(Long.MAX_VALUE)).isEqualTo("x");

    b.kill();
    assertThatThrownBy(() -> in.recv(Long.MAX_VALUE)).isInstanceOf(ChannelException.class);
    in.close();
    assertThat(a.table().peerCount()).isEqualTo(1);
    for (int i = 0; i < 31; i++) {
      clock.advance(Duration.ofSeconds(1));
      a.wake();
    }

    await().atMost(WAIT).until(() -> a.table().peerCount() == 0);
  }

  /**
   * CI finding (the fault suite, 1 run in about 10): a child sent "done" to its parent and exited
   * while the parent still read other children; the parent's periodic prune forgot the exited
   * remote together with the value nobody had taken yet, and the Receiver opened 13 s later was
   * told EXITED with the value missing.
   */
  @Test
  void givenRemoteExitedWithValuesUnread_whenThirtySecondsPass_thenValuesStillReceived()
      throws Exception {
    LoopbackTables.Table a = tables.add(LoopbackTables.spec().clock(clock));
    LoopbackTables.Table b = tables.add(LoopbackTables.spec().clock(clock));
    SendEnd out = b.table().openSender(a.pid());
    out.send("done");
    out.close();
    awaitAcked(b, a);
    assertThat(b.table().drain()).isEmpty(); // nothing unacknowledged; GOODBYE: b exits cleanly
    b.kill();
    await().atMost(WAIT).until(() -> TableProbe.peer(a.table(), b.pid()).fate() == Reason.EXITED);

    for (int i = 0; i < 61; i++) {
      clock.advance(Duration.ofSeconds(1));
      a.wake();
    }
    // Two prune ticks have run on a's loop by the time a task queued after them runs.
    CompletableFuture<Void> after = new CompletableFuture<>();
    a.loop().execute(() -> after.complete(null));
    after.get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);

    ReceiveEnd in = a.table().openReceiver(b.pid());
    assertThat(in.recv(System.nanoTime() + WAIT.toNanos())).isEqualTo("done");
    assertThatThrownBy(() -> in.recv(System.nanoTime() + WAIT.toNanos()))
        .isInstanceOfSatisfying(
            ChannelException.class, e -> assertThat(e.reason()).isEqualTo(Reason.EXITED));
  }

  /**
   * Review finding: between this side's "we are idle" and its close after IDLE_OK, a send used to
   * be written on the closing connection, after the IDLE_OK, where the remote never reads it: the
   * value was never acknowledged and the sender's exit drain waited forever.
   */
  @Test
  void givenIdleAgreed_whenSendBeforeTheClose_thenNothingWrittenOnTheClosingConnection()
      throws Exception {
    LoopbackTables.Table t = tables.add();
    dev.deploy.Pid fake = RawPeer.fakePid();
    try (RawPeer raw = RawPeer.dialAccepted(t.pid(), tables.key(), fake)) {
      Peer p = TableProbe.peer(t.table(), fake);
      java.util.concurrent.CompletableFuture<SendEnd> sent =
          new java.util.concurrent.CompletableFuture<>();
      p.idleAgreed =
          () -> {
            try {
              SendEnd out = t.table().openSender(fake); // a user thread, in the window
              out.send("slipped in");
              sent.complete(out);
            } catch (Exception | AssertionError e) {
              sent.completeExceptionally(e);
            }
          };

      raw.frame(Frames.IDLE, new byte[0]);

      assertThat(raw.readFrame().type()).as("the answer to IDLE").isEqualTo(Frames.IDLE_OK);
      sent.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      java.util.List<Integer> after = new java.util.ArrayList<>();
      try {
        while (true) {
          after.add(raw.readFrame().type());
        }
      } catch (java.io.IOException closed) {
        // The table closed the connection, as agreed.
      }
      assertThat(after).as("frames after IDLE_OK").doesNotContain(Frames.DATA);
    }
  }

  /**
   * The flaky whole-suite failure, made deterministic. The side that agrees to close (IDLE_OK) used
   * to close its socket at once; a heartbeat of the asker's that had come in unread made the kernel
   * answer with a reset, and the asker's next write (its own heartbeat) then failed before it read
   * the IDLE_OK: a connection lost, not closed by agreement, so its channels were LOST. Here the
   * asker is a raw peer whose heartbeat lands while the table agrees; after the IDLE_OK it must
   * still be able to write, and then read a clean end, and the table must not count it lost.
   */
  @Test
  void givenAskersHeartbeatUnreadWhenTableAgrees_whenAskerWritesBeforeReadingIdleOk_thenNoReset()
      throws Exception {
    LoopbackTables.Table b = tables.add(LoopbackTables.spec().clock(clock));
    Pid fake = RawPeer.fakePid();
    try (RawPeer a = RawPeer.dialAccepted(b.pid(), tables.key(), fake)) {
      byte[] heartbeat = {0, 0, 0, 1, 0}; // length 1, type 0
      CountDownLatch stepDone = new CountDownLatch(1);
      TableProbe.peer(b.table(), fake).idleAgreed =
          () -> {
            try {
              a.raw(heartbeat); // on loopback, in the table's receive queue when this returns
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            b.loop().execute(stepDone::countDown); // runs once the table's close step is done
          };

      a.frame(Frames.IDLE, new byte[0]);
      assertThat(stepDone.await(5, TimeUnit.SECONDS)).as("the table agreed and closed").isTrue();

      assertThat(attempt(() -> a.raw(heartbeat)))
          .as("the asker's heartbeat, written before it read the IDLE_OK")
          .isEqualTo("ok");
      assertThat(a.readFrame().type()).isEqualTo(Frames.IDLE_OK);
      assertThat(attempt(() -> a.read(1)))
          .as("what follows the IDLE_OK")
          .startsWith("java.io.EOFException");
    }
    await().atMost(WAIT).until(() -> b.openConnections() == 0);
    assertThat(TableProbe.peer(b.table(), fake).fate()).as("closed by agreement").isNull();
  }

  interface IoStep {
    void run() throws IOException;
  }

  /** "ok", or what {@code step} threw. */
  private static String attempt(IoStep step) {
    try {
      step.run();
      return "ok";
    } catch (IOException e) {
      return e.toString();
    }
  }
}
