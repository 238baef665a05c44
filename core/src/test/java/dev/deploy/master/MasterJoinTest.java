package dev.deploy.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.testing.ManualClock;
import dev.deploy.testing.RecordingLauncher;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Nodes that join and leave a running master ({@link Master#addNode}, {@link Master#removeNode},
 * {@link Master#removeIdleNode}), what may still join ({@link Growth}), and what the master tells
 * of its books ({@link Master#nodeViews}, {@link Master#waitingResources}).
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MasterJoinTest {
  private static final long GIB = 1L << 30;
  private static final Pid PARENT = Pid.of(new byte[] {127, 0, 0, 1}, 30_000, 1L << 8);

  private final RecordingLauncher a = new RecordingLauncher();
  private final RecordingLauncher b = new RecordingLauncher();
  private final ManualClock clock = new ManualClock();

  /** A growth that says what a test sets and counts the queue's changes. */
  private static final class RecordingGrowth implements Growth {
    volatile List<Resources> largest = List.of();
    final AtomicInteger changes = new AtomicInteger();

    @Override
    public List<Resources> largestNodes() {
      return largest;
    }

    @Override
    public void queueChanged() {
      changes.incrementAndGet();
    }
  }

  private final RecordingGrowth growth = new RecordingGrowth();

  private Master master(Node... nodes) {
    Master m = new Master(List.of(nodes), clock);
    m.setGrowth(growth);
    return m;
  }

  private static Node node(String name, long memory, double cpu, Launcher launcher) {
    return new Node(name, new Resources(memory, cpu), launcher);
  }

  private static LaunchOrder order(long memory, double cpu) {
    return new LaunchOrder(PARENT, new Resources(memory, cpu), new byte[] {42});
  }

  private static List<String> names(Master m) {
    return m.nodeViews().stream().map(Master.NodeView::name).toList();
  }

  @Test
  void givenNoNodes_whenTwoJoinAndOneLeaves_thenTheBooksGrowAndShrink() {
    Master master = master();

    master.addNode(node("n1", 4 * GIB, 2, a));
    master.addNode(node("n2", 8 * GIB, 4, b));
    assertThat(names(master)).containsExactly("n1", "n2");

    assertThat(master.removeNode(a)).isTrue();
    assertThat(names(master)).containsExactly("n2");
    assertThat(master.removeNode(a)).isFalse();
  }

  @Test
  void givenJoinedNode_whenAnotherJoinsWithItsNameOrLauncher_thenRefused() {
    Master master = master(node("n1", 4 * GIB, 2, a));

    assertThatThrownBy(() -> master.addNode(node("n1", 4 * GIB, 2, b)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the node n1 is already joined");
    assertThatThrownBy(() -> master.addNode(node("n9", 4 * GIB, 2, a)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void givenSpawnAsyncWaitingForRoom_whenANodeJoins_thenItStartsThere() {
    Master master = master(node("n1", 2 * GIB, 2, a));
    master.spawn(order(2 * GIB, 1), false);
    CompletableFuture<Optional<Pid>> waiting = master.spawn(order(2 * GIB, 1), true);
    assertThat(master.waitingResources()).containsExactly(new Resources(2 * GIB, 1));
    int changes = growth.changes.get();

    master.addNode(node("n2", 4 * GIB, 2, b));

    assertThat(b.count()).isEqualTo(1);
    Pid pid = b.last().start();
    assertThat(waiting).isCompletedWithValue(Optional.of(pid));
    assertThat(master.waitingResources()).isEmpty();
    assertThat(growth.changes.get()).isGreaterThan(changes);
  }

  @Test
  void givenProcessOnANode_whenTheNodeIsRemoved_thenItsRoomIsNotGivenBackOnItsLoss() {
    Master master = master(node("n1", 4 * GIB, 2, a));
    master.spawn(order(4 * GIB, 1), false);
    RecordingLauncher.Call onA = a.last();
    onA.start();

    master.removeNode(a);
    onA.exit(ExitStatus.lost()); // its launcher reports the loss after the node left
    master.addNode(node("n2", 4 * GIB, 2, b));

    assertThat(names(master)).containsExactly("n2");
    assertThat(master.spawn(order(4 * GIB, 1), false)).isNotDone(); // placed on n2, launching
    assertThat(b.count()).isEqualTo(1);
    assertThat(master.spawn(order(GIB, 1), false)).isCompletedWithValue(Optional.empty());
    assertThat(a.count()).isEqualTo(1);
  }

  @Test
  void givenPidOfARemovedNode_whenItsFateIsAsked_thenTheLauncherAnswers() throws Exception {
    Master master = master(node("n1", 4 * GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    Pid pid = a.last().start();

    master.removeNode(a);
    a.last().exit(ExitStatus.lost());

    assertThat(master.fate(pid).get(5, TimeUnit.SECONDS)).isEqualTo(ExitStatus.lost());
  }

  @Test
  void givenSpawnAsyncLargerThanEveryNode_whenAProviderCouldAddOneThatLarge_thenItWaits() {
    Master master = master(node("n1", 2 * GIB, 2, a));
    growth.largest = List.of(new Resources(16 * GIB, 8));

    CompletableFuture<Optional<Pid>> big = master.spawn(order(8 * GIB, 4), true);

    assertThat(big).isNotDone();
    assertThat(master.waitingResources()).containsExactly(new Resources(8 * GIB, 4));
    master.addNode(node("big", 16 * GIB, 8, b));
    assertThat(b.count()).isEqualTo(1);
  }

  @Test
  void givenSpawnAsyncLargerThanEveryNodeAndEveryProviderOffer_whenSpawned_thenFailsAtOnce() {
    Master master = master(node("n1", 2 * GIB, 2, a));
    growth.largest = List.of(new Resources(4 * GIB, 8));

    CompletableFuture<Optional<Pid>> big = master.spawn(order(8 * GIB, 4), true);

    assertThat(big).isCompletedExceptionally();
    assertThatThrownBy(big::get)
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(LaunchException.class)
        .hasMessageContaining("no machine of this cluster has");
  }

  @Test
  void givenNoNodeAndNoProvider_whenSpawnAsync_thenFailsSayingNoneJoined() {
    Master master = master();

    CompletableFuture<Optional<Pid>> first = master.spawn(order(GIB, 1), true);

    assertThatThrownBy(first::get).hasMessageContaining("no machine has joined this cluster");
  }

  @Test
  void givenSpawnAsyncOnlyTheLeavingNodeCouldHold_whenItIsRemoved_thenTheSpawnFails() {
    Master master = master(node("small", 2 * GIB, 2, a), node("big", 8 * GIB, 4, b));
    master.spawn(order(8 * GIB, 4), false);
    CompletableFuture<Optional<Pid>> second = master.spawn(order(8 * GIB, 4), true);
    CompletableFuture<Optional<Pid>> small = master.spawn(order(GIB, 1), true);
    assertThat(second).isNotDone();

    master.removeNode(b);

    assertThat(second).isCompletedExceptionally();
    assertThat(master.waitingResources()).isEmpty(); // the small one started behind it
    assertThat(small).isNotCompletedExceptionally();
    assertThat(a.count()).isEqualTo(1);
  }

  @Test
  void givenBusyNode_whenRemovedOnlyIfIdle_thenKeptUntilItsProcessEnds() {
    Master master = master(node("n1", 4 * GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    a.last().start();

    assertThat(master.removeIdleNode(a)).isFalse();
    assertThat(names(master)).containsExactly("n1");
    a.last().exit(ExitStatus.exited(0));

    assertThat(master.removeIdleNode(a)).isTrue();
    assertThat(names(master)).isEmpty();
  }

  @Test
  void givenNodeIdleThenBusy_whenViewed_thenIdleTimeCountsOnlyWhileNothingRuns() {
    Master master = master();
    master.addNode(node("n1", 4 * GIB, 2, a));
    clock.advance(Duration.ofSeconds(30));
    assertThat(master.nodeViews().get(0).idleNanos()).isEqualTo(Duration.ofSeconds(30).toNanos());

    master.spawn(order(GIB, 1), false);
    clock.advance(Duration.ofSeconds(5));
    Master.NodeView busy = master.nodeViews().get(0);
    assertThat(busy.idleNanos()).isZero();
    assertThat(busy.freeMemory()).isEqualTo(3 * GIB);
    assertThat(busy.freeCpu()).isEqualTo(1.0);

    a.last().start();
    a.last().exit(ExitStatus.exited(0));
    clock.advance(Duration.ofSeconds(2));
    assertThat(master.nodeViews().get(0).idleNanos()).isEqualTo(Duration.ofSeconds(2).toNanos());
  }

  @Test
  void givenWarmReservationOnly_whenViewed_thenTheNodeIsIdle() {
    Master master = master(node("n1", 4 * GIB, 2, a));
    clock.advance(Duration.ofSeconds(1));

    assertThat(master.reserveWarm(a, new Resources(GIB, 1))).isTrue();

    assertThat(master.nodeViews().get(0).idleNanos()).isPositive();
    assertThat(master.removeIdleNode(a)).isTrue();
    master.releaseWarm(a, new Resources(GIB, 1)); // a removed node's give-back is ignored
  }

  @Test
  void givenQueuedSpawn_whenCancelled_thenTheGrowthHearsTheQueueChange() {
    Master master = master(node("n1", GIB, 1, a));
    master.spawn(order(GIB, 1), false);
    master.spawn(order(GIB, 1), true);
    int afterQueueing = growth.changes.get();
    assertThat(afterQueueing).isPositive();

    master.cancelWaitingOf(PARENT);

    assertThat(growth.changes.get()).isGreaterThan(afterQueueing);
    assertThat(master.waitingResources()).isEmpty();
  }
}
