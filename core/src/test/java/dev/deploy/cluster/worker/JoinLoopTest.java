package dev.deploy.cluster.worker;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Resources;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.cluster.link.LinkPairs;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import dev.deploy.testing.ManualClock;
import dev.deploy.util.HostPort;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JoinLoop} with a fake dialler, a manual clock and a pause that moves the clock by the
 * redial second instead of waiting: when it retries, how long each dial may take, when it gives up,
 * and what a refusal, an accepted join, a retirement and a lost link do. Where a join gets through,
 * the test plays the master on a loopback link.
 */
@Timeout(20)
class JoinLoopTest {
  private static final String MASTER = "127.0.0.1:7";
  private static final Resources CAPACITY = new Resources(2L << 30, 2);

  @TempDir Path dir;

  private final ManualClock clock = new ManualClock();
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private final List<AutoCloseable> open = new ArrayList<>();

  /** The deadline of each dial, in ms, oldest first. */
  private final List<Long> dials = new CopyOnWriteArrayList<>();

  private final AtomicInteger pauses = new AtomicInteger();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    timers.shutdownNow();
  }

  private WorkerDaemon.JoinOptions options(Optional<Duration> exitAfter) throws IOException {
    return new WorkerDaemon.JoinOptions(
        ClusterKey.generate(),
        new HostPort("127.0.0.1", 7),
        "w1",
        CAPACITY,
        Optional.empty(),
        Optional.empty(),
        new JarCache(dir.resolve("cache")),
        1L << 30,
        false,
        0,
        exitAfter);
  }

  /** A loop whose dials go to {@code dialer} and whose pause moves the clock a second. */
  private JoinLoop loop(Optional<Duration> exitAfter, JoinLoop.Dialer dialer, Runnable onPause)
      throws IOException {
    JoinLoop[] self = new JoinLoop[1];
    self[0] =
        new JoinLoop(
            options(exitAfter),
            timers,
            clock,
            (address, key, deadline) -> {
              dials.add(deadline);
              return dialer.join(address, key, deadline);
            },
            () -> {
              pauses.incrementAndGet();
              clock.advance(Duration.ofMillis(JoinLoop.REDIAL_MILLIS));
              onPause.run();
            });
    open.add(self[0]);
    return self[0];
  }

  private static JoinLoop.Dialer refused() {
    return (address, key, deadline) -> {
      throw new ConnectException("Connection refused");
    };
  }

  /** A dialler whose link's other end the test gets, as the master. */
  private JoinLoop.Dialer linkTo(CompletableFuture<LinkConnection<WorkerLink>> masterEnd) {
    return (address, key, deadline) -> {
      LinkPairs.Pair<WorkerLink, WorkerLink> pair =
          LinkPairs.of(WorkerLink::decode, WorkerLink::decode);
      open.add(pair);
      masterEnd.complete(pair.right());
      return pair.left();
    };
  }

  /** Reads the join on {@code master} and answers it. */
  private static WorkerLink.Join answer(
      CompletableFuture<LinkConnection<WorkerLink>> master, WorkerLink.JoinAnswer answer)
      throws Exception {
    LinkConnection<WorkerLink> m = master.get(10, TimeUnit.SECONDS);
    WorkerLink.Join join = (WorkerLink.Join) m.read();
    m.send(answer);
    return join;
  }

  @Test
  void givenMasterUnreachable_whenExitAfterPasses_thenItGivesUpSayingWhy() throws Exception {
    JoinLoop loop = loop(Optional.of(Duration.ofSeconds(5)), refused(), () -> {});

    loop.run();

    assertThat(loop.gaveUp().getNow(null))
        .isEqualTo(
            "the master at "
                + MASTER
                + " stayed unreachable for 5.0 s (cannot reach the master at "
                + MASTER
                + ": Connection refused); no process of it is left here");
    assertThat(pauses.get()).as("a second between attempts").isEqualTo(5);
    assertThat(dials).hasSize(6);
    assertThat(loop.fabric()).as("no link, no fabric").isNull();
  }

  @Test
  void givenExitAfter_whenDialling_thenNoDialOutlastsTheGiveUpButEachHasAtLeastASecond()
      throws Exception {
    JoinLoop loop = loop(Optional.of(Duration.ofSeconds(5)), refused(), () -> {});

    loop.run();

    assertThat(dials).containsExactly(5_000L, 4_000L, 3_000L, 2_000L, 1_000L, 1_000L);
  }

  @Test
  void givenNoExitAfter_whenUnreachable_thenItKeepsTryingUntilClosed() throws Exception {
    JoinLoop[] loop = new JoinLoop[1];
    loop[0] =
        loop(
            Optional.empty(),
            refused(),
            () -> {
              if (pauses.get() == 20) {
                loop[0].close();
              }
            });

    loop[0].run();

    assertThat(loop[0].gaveUp()).isNotDone();
    assertThat(dials).hasSize(20).containsOnly((long) LinkConnection.HANDSHAKE_MILLIS);
  }

  @Test
  void givenMasterRefusesTheJoin_whenItFailsAfterwards_thenTheGiveUpCountsFromTheRefusal()
      throws Exception {
    CompletableFuture<LinkConnection<WorkerLink>> master = new CompletableFuture<>();
    JoinLoop.Dialer link = linkTo(master);
    AtomicInteger attempt = new AtomicInteger();
    JoinLoop loop =
        loop(
            Optional.of(Duration.ofSeconds(3)),
            (address, key, deadline) ->
                attempt.incrementAndGet() == 2
                    ? link.join(address, key, deadline)
                    : refused().join(address, key, deadline),
            () -> {});
    CompletableFuture<Void> running =
        CompletableFuture.runAsync(loop, dev.deploy.testing.TestThreads.POOL);

    WorkerLink.Join join = answer(master, new WorkerLink.JoinAnswer(false, "the name w1 is taken"));

    running.get(10, TimeUnit.SECONDS);
    assertThat(join).isEqualTo(WorkerLink.Join.of("w1", CAPACITY, "127.0.0.1"));
    // Refused at t = 1 s (the second attempt), then unreachable: given up at t = 4 s, not 3 s.
    assertThat(dials).hasSize(5);
    assertThat(loop.gaveUp().getNow(null)).contains("stayed unreachable for 3.0 s");
    assertThat(loop.fabric()).as("made at the first link").isNotNull();
    assertThat(loop.joined()).isFalse();
  }

  @Test
  void givenJoinAccepted_whenMasterRetiresTheNode_thenTheLoopStopsForGood() throws Exception {
    CompletableFuture<LinkConnection<WorkerLink>> master = new CompletableFuture<>();
    JoinLoop loop = loop(Optional.empty(), linkTo(master), () -> {});
    CompletableFuture<Void> running =
        CompletableFuture.runAsync(loop, dev.deploy.testing.TestThreads.POOL);

    answer(master, new WorkerLink.JoinAnswer(true, null));
    await().until(loop::joined);
    master.get().send(new WorkerLink.Retire());

    running.get(10, TimeUnit.SECONDS);
    assertThat(loop.retired()).isTrue();
    assertThat(loop.joined()).isFalse();
    assertThat(loop.gaveUp().getNow(null))
        .isEqualTo("the master at " + MASTER + " retired this node (nothing ran here): stopping");
    assertThat(pauses.get()).isZero();
  }

  @Test
  void givenJoined_whenTheLinkIsLost_thenItDialsAgainWithTheSameFabric() throws Exception {
    CompletableFuture<LinkConnection<WorkerLink>> first = new CompletableFuture<>();
    JoinLoop[] loop = new JoinLoop[1];
    loop[0] =
        loop(
            Optional.empty(),
            (address, key, deadline) -> {
              if (dials.size() > 1) {
                loop[0].close(); // the second dial: enough
                throw new ConnectException("closed");
              }
              return linkTo(first).join(address, key, deadline);
            },
            () -> {});
    CompletableFuture<Void> running =
        CompletableFuture.runAsync(loop[0], dev.deploy.testing.TestThreads.POOL);
    answer(first, new WorkerLink.JoinAnswer(true, null));
    await().until(loop[0]::joined);
    Object fabric = loop[0].fabric();

    first.get().close();

    running.get(10, TimeUnit.SECONDS);
    assertThat(dials).hasSize(2);
    assertThat(pauses.get()).isEqualTo(1);
    assertThat(loop[0].retired()).isFalse();
    assertThat(loop[0].fabric()).isSameAs(fabric);
  }
}
