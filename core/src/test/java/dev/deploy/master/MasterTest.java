package dev.deploy.master;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.testing.RecordingLauncher;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Placement and the FIFO queue, with launchers that start nothing: each test starts, fails and ends
 * processes by hand through {@link RecordingLauncher}, so every step is deterministic.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MasterTest {
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;
  private static final Pid PARENT = pid(1);
  private static final Pid OTHER_PARENT = pid(2);

  private final RecordingLauncher a = new RecordingLauncher();
  private final RecordingLauncher b = new RecordingLauncher();

  @Test
  void givenTwoIdleNodes_whenSpawn_thenPlacedOnTheOneWithMoreMemory() {
    Master master = master(node("a", 2 * GIB, 8, a), node("b", 4 * GIB, 8, b));

    master.spawn(order(GIB, 1), false);

    assertThat(a.count()).isZero();
    assertThat(b.count()).isEqualTo(1);
  }

  @Test
  void givenBiggerNodeAlreadyBusy_whenSpawn_thenPlacedByFreeMemoryNotCapacity() {
    Master master = master(node("a", 3 * GIB, 8, a), node("b", 4 * GIB, 8, b));
    master.spawn(order(2 * GIB, 1), false);

    master.spawn(order(GIB, 1), false);

    assertThat(b.count()).isEqualTo(1);
    assertThat(a.count()).isEqualTo(1);
  }

  @Test
  void givenNodeWithMostMemoryLacksCpu_whenSpawn_thenPlacedOnANodeWithBoth() {
    Master master = master(node("a", 8 * GIB, 1, a), node("b", 2 * GIB, 4, b));

    master.spawn(order(GIB, 2), false);

    assertThat(a.count()).isZero();
    assertThat(b.count()).isEqualTo(1);
  }

  @Test
  void givenRoom_whenSpawn_thenLauncherGetsTheOrderAsGiven() {
    Master master = master(node("a", 2 * GIB, 2, a));
    LaunchOrder order = new LaunchOrder(PARENT, new Resources(GIB, 1), new byte[] {1, 2});

    master.spawn(order, false);

    assertThat(a.orders()).containsExactly(order);
  }

  @Test
  void givenLaunchNotYetRegistered_whenSpawned_thenFutureStillPending() {
    Master master = master(node("a", 2 * GIB, 2, a));

    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(GIB, 1), false);

    assertThat(spawned).isNotDone();
  }

  @Test
  void givenLaunchRegisters_whenSpawned_thenFutureHasItsPid() {
    Master master = master(node("a", 2 * GIB, 2, a));
    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(GIB, 1), false);

    Pid pid = a.last().start();

    assertThat(spawned).isCompletedWithValue(Optional.of(pid));
  }

  @Test
  void givenNodeFull_whenSpawnWithoutWaiting_thenEmptyAtOnceAndNothingLaunched() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);

    CompletableFuture<Optional<Pid>> second = master.spawn(order(64 * MIB, 0.1), false);

    assertThat(second).isCompletedWithValue(Optional.empty());
    assertThat(a.count()).isEqualTo(1);
    assertThat(master.waiting()).isZero();
  }

  @Test
  void givenCpuFull_whenSpawnWithoutWaiting_thenEmpty() {
    Master master = master(node("a", 8 * GIB, 1, a));
    master.spawn(order(GIB, 1), false);

    assertThat(master.spawn(order(GIB, 0.01), false)).isCompletedWithValue(Optional.empty());
  }

  @Test
  void givenTenthsOfACore_whenSpawnedUpToTheCapacity_thenAllFitExactly() {
    Master master = master(node("a", 8 * GIB, 0.3, a));

    master.spawn(order(GIB, 0.1), false);
    master.spawn(order(GIB, 0.1), false);
    master.spawn(order(GIB, 0.1), false);
    CompletableFuture<Optional<Pid>> fourth = master.spawn(order(GIB, 0.1), false);

    assertThat(a.count()).isEqualTo(3);
    assertThat(fourth).isCompletedWithValue(Optional.empty());
  }

  @Test
  void givenNodeFull_whenSpawnWaiting_thenQueuedAndNotLaunched() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);

    CompletableFuture<Optional<Pid>> waiting = master.spawn(order(GIB, 1), true);

    assertThat(waiting).isNotDone();
    assertThat(master.waiting()).isEqualTo(1);
    assertThat(a.count()).isEqualTo(1);
  }

  @Test
  void givenQueuedRequest_whenRunningProcessExits_thenHeadLaunchedAndCompletesWithItsPid() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    a.last().start();
    CompletableFuture<Optional<Pid>> waiting = master.spawn(order(GIB, 1), true);

    a.call(0).exit(ExitStatus.exited(0));
    Pid pid = a.last().start();

    assertThat(a.count()).isEqualTo(2);
    assertThat(master.waiting()).isZero();
    assertThat(waiting).isCompletedWithValue(Optional.of(pid));
  }

  @Test
  void givenQueuedRequest_whenRunningProcessIsKilled_thenHeadLaunched() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    a.last().start();
    master.spawn(order(GIB, 1), true);

    a.call(0).exit(ExitStatus.killed(9));

    assertThat(a.count()).isEqualTo(2);
  }

  @Test
  void givenQueuedRequest_whenRunningProcessExitFutureFails_thenResourcesStillReleased() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    a.last().start();
    master.spawn(order(GIB, 1), true);

    a.call(0).exitExceptionally(new IllegalStateException("monitor lost"));

    assertThat(a.count()).isEqualTo(2);
  }

  @Test
  void givenTwoQueuedRequests_whenRoomForOneFrees_thenOnlyTheOlderStarts() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    a.last().start();
    LaunchOrder older = order(GIB, 1);
    LaunchOrder newer = order(GIB, 1);
    CompletableFuture<Optional<Pid>> first = master.spawn(older, true);
    CompletableFuture<Optional<Pid>> second = master.spawn(newer, true);

    a.call(0).exit(ExitStatus.exited(0));

    assertThat(a.orders()).hasSize(2).last().isSameAs(older);
    assertThat(master.waiting()).isEqualTo(1);
    assertThat(second).isNotDone();
    a.last().start();
    assertThat(first).isCompleted();
  }

  @Test
  void givenTwoQueuedRequests_whenTwoProcessesExitInTurn_thenStartedInArrivalOrder() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    a.last().start();
    LaunchOrder older = order(GIB, 1);
    LaunchOrder newer = order(GIB, 1);
    master.spawn(older, true);
    master.spawn(newer, true);

    a.call(0).exit(ExitStatus.exited(0));
    a.call(1).start();
    a.call(1).exit(ExitStatus.exited(0));

    assertThat(a.orders()).hasSize(3);
    assertThat(a.call(1).order()).isSameAs(older);
    assertThat(a.call(2).order()).isSameAs(newer);
  }

  @Test
  void givenHeadTooBigForTheFreeRoom_whenSmallerWaitingRequestArrives_thenItQueuesBehind() {
    Master master = master(node("a", 2 * GIB, 4, a));
    master.spawn(order(1536 * MIB, 1), false);
    a.last().start();
    master.spawn(order(GIB, 1), true);

    CompletableFuture<Optional<Pid>> small = master.spawn(order(256 * MIB, 1), true);

    assertThat(small).isNotDone();
    assertThat(a.count()).isEqualTo(1);
    assertThat(master.waiting()).isEqualTo(2);
  }

  @Test
  void givenHeadStillTooBigAfterARelease_whenSecondWouldFit_thenSecondDoesNotOvertake() {
    Master master = master(node("a", 2 * GIB, 4, a));
    master.spawn(order(1536 * MIB, 1), false);
    a.last().start();
    master.spawn(order(256 * MIB, 1), false);
    a.last().start();
    CompletableFuture<Optional<Pid>> head = master.spawn(order(GIB, 1), true);
    CompletableFuture<Optional<Pid>> behind = master.spawn(order(256 * MIB, 1), true);

    a.call(1).exit(ExitStatus.exited(0));

    assertThat(a.count()).isEqualTo(2);
    assertThat(head).isNotDone();
    assertThat(behind).isNotDone();
    assertThat(master.waiting()).isEqualTo(2);
  }

  @Test
  void givenHeadAndSmallerBehindIt_whenEnoughFreesForBoth_thenBothStartHeadFirst() {
    Master master = master(node("a", 2 * GIB, 4, a));
    master.spawn(order(1536 * MIB, 1), false);
    a.last().start();
    LaunchOrder head = order(GIB, 1);
    LaunchOrder behind = order(256 * MIB, 1);
    master.spawn(head, true);
    master.spawn(behind, true);

    a.call(0).exit(ExitStatus.exited(0));

    assertThat(a.orders()).hasSize(3);
    assertThat(a.call(1).order()).isSameAs(head);
    assertThat(a.call(2).order()).isSameAs(behind);
    assertThat(master.waiting()).isZero();
  }

  @Test
  void givenQueueNotEmpty_whenPlainSpawnFits_thenItStartsWithoutWaiting() {
    Master master = master(node("a", 2 * GIB, 4, a));
    master.spawn(order(1536 * MIB, 1), false);
    master.spawn(order(GIB, 1), true);

    master.spawn(order(256 * MIB, 1), false);

    assertThat(a.count()).isEqualTo(2);
    assertThat(master.waiting()).isEqualTo(1);
  }

  @Test
  void givenRequestBiggerThanEveryNode_whenSpawnWaiting_thenLaunchExceptionNamingTheResources() {
    Master master = master(node("a", GIB, 2, a), node("b", 2 * GIB, 2, b));

    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(3 * GIB, 1), true);

    assertThat(failure(spawned)).isInstanceOf(LaunchException.class).hasMessageContaining("3 GiB");
    assertThat(master.waiting()).isZero();
    assertThat(a.count() + b.count()).isZero();
  }

  @Test
  void givenRequestBiggerThanEveryNode_whenSpawnWithoutWaiting_thenEmptyNotAnError() {
    // API: spawn answers empty when no machine has the resources free; more than any machine
    // has is the same answer (issue 2: "a request larger than any machine is not an error").
    Master master = master(node("a", GIB, 2, a));

    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(2 * GIB, 1), false);

    assertThat(spawned).isCompletedWithValue(Optional.empty());
    assertThat(a.count()).isZero();
  }

  @Test
  void givenMoreCoresThanAnyNodeHas_whenSpawnWaiting_thenLaunchExceptionNamingThem() {
    Master master = master(node("a", 8 * GIB, 4, a));

    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(GIB, 16), true);

    assertThat(failure(spawned)).isInstanceOf(LaunchException.class).hasMessageContaining("16");
  }

  @Test
  void givenMemoryOnOneNodeAndCoresOnAnother_whenSpawnWaiting_thenLaunchExceptionAtOnce() {
    Master master = master(node("a", 8 * GIB, 1, a), node("b", GIB, 8, b));

    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(4 * GIB, 4), true);

    assertThat(failure(spawned)).isInstanceOf(LaunchException.class);
    assertThat(master.waiting()).isZero();
  }

  @Test
  void givenLaunchFails_whenSpawned_thenFutureFailsWithTheLaunchException() {
    Master master = master(node("a", GIB, 2, a));
    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(GIB, 1), false);

    a.last().fail("the JVM did not start");

    assertThat(failure(spawned))
        .isInstanceOf(LaunchException.class)
        .hasMessage("the JVM did not start");
  }

  @Test
  void givenLaunchFailed_whenSpawnAgain_thenReservationWasReleased() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    a.last().fail("no JVM");

    CompletableFuture<Optional<Pid>> again = master.spawn(order(GIB, 1), false);

    assertThat(again).isNotDone();
    assertThat(a.count()).isEqualTo(2);
  }

  @Test
  void givenLaunchFails_whenRequestQueuedBehindIt_thenQueuedOneStarts() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    LaunchOrder queued = order(GIB, 1);
    master.spawn(queued, true);

    a.call(0).fail("no JVM");

    assertThat(a.orders()).hasSize(2).last().isSameAs(queued);
    assertThat(master.waiting()).isZero();
  }

  @Test
  void givenLauncherThrows_whenSpawn_thenFutureFailsAndReservationReleased() {
    Master master = master(node("a", GIB, 2, a));
    a.throwOnNextLaunch(new LaunchException("fabric gone"));

    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(GIB, 1), false);
    master.spawn(order(GIB, 1), false);

    assertThat(failure(spawned)).isInstanceOf(LaunchException.class).hasMessage("fabric gone");
    assertThat(a.count()).isEqualTo(1);
  }

  @Test
  void givenQueuedRequestsOfTwoParents_whenCancelWaitingOfOne_thenOnlyItsAreCancelled() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    a.last().start();
    CompletableFuture<Optional<Pid>> mine1 = master.spawn(orderOf(PARENT, GIB), true);
    LaunchOrder theirs = orderOf(OTHER_PARENT, GIB);
    CompletableFuture<Optional<Pid>> other = master.spawn(theirs, true);
    CompletableFuture<Optional<Pid>> mine2 = master.spawn(orderOf(PARENT, GIB), true);

    master.cancelWaitingOf(PARENT);

    assertThat(mine1).isCancelled();
    assertThat(mine2).isCancelled();
    assertThat(other).isNotDone();
    assertThat(master.waiting()).isEqualTo(1);
  }

  @Test
  void givenParentsRequestsCancelled_whenRoomFrees_thenTheOtherParentsRequestStarts() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    a.last().start();
    master.spawn(orderOf(PARENT, GIB), true);
    LaunchOrder theirs = orderOf(OTHER_PARENT, GIB);
    master.spawn(theirs, true);
    master.cancelWaitingOf(PARENT);

    a.call(0).exit(ExitStatus.exited(0));

    assertThat(a.orders()).hasSize(2).last().isSameAs(theirs);
  }

  @Test
  void givenCancelledHeadWasBlockingAFittingRequest_whenCancelWaitingOf_thenTheNextStarts() {
    Master master = master(node("a", 2 * GIB, 4, a));
    master.spawn(order(1536 * MIB, 1), false);
    a.last().start();
    master.spawn(orderOf(PARENT, GIB), true);
    LaunchOrder small = orderOf(OTHER_PARENT, 256 * MIB);
    master.spawn(small, true);

    master.cancelWaitingOf(PARENT);

    assertThat(a.orders()).hasSize(2).last().isSameAs(small);
    assertThat(master.waiting()).isZero();
  }

  @Test
  void givenRunningChildOfParent_whenCancelWaitingOf_thenRunningOneUntouched() {
    Master master = master(node("a", GIB, 2, a));
    CompletableFuture<Optional<Pid>> running = master.spawn(orderOf(PARENT, GIB), false);
    Pid pid = a.last().start();

    master.cancelWaitingOf(PARENT);

    assertThat(running).isCompletedWithValue(Optional.of(pid));
  }

  @Test
  void givenWaitingRequests_whenClose_thenTheyFailAndQueueIsEmpty() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    a.last().start();
    CompletableFuture<Optional<Pid>> first = master.spawn(order(GIB, 1), true);
    CompletableFuture<Optional<Pid>> second = master.spawn(order(GIB, 1), true);

    master.close();

    assertThat(first).isCompletedExceptionally();
    assertThat(second).isCompletedExceptionally();
    assertThat(failure(first)).isInstanceOf(CancellationException.class);
    assertThat(master.waiting()).isZero();
  }

  @Test
  void givenClosed_whenRunningProcessExits_thenFailedRequestsAreNotLaunched() {
    Master master = master(node("a", GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    a.last().start();
    master.spawn(order(GIB, 1), true);
    master.close();

    a.call(0).exit(ExitStatus.exited(0));

    assertThat(a.count()).isEqualTo(1);
  }

  // ---------------------------------------------------------------- helpers

  private static Master master(Node... nodes) {
    return new Master(List.of(nodes));
  }

  private static Node node(String name, long memory, double cpu, Launcher launcher) {
    return new Node(name, new Resources(memory, cpu), launcher);
  }

  private static LaunchOrder order(long memory, double cpu) {
    return new LaunchOrder(PARENT, new Resources(memory, cpu), new byte[] {42});
  }

  private static LaunchOrder orderOf(Pid parent, long memory) {
    return new LaunchOrder(parent, new Resources(memory, 1), new byte[] {7});
  }

  private static Pid pid(long key) {
    return Pid.of(new byte[] {127, 0, 0, 1}, 30_000, key << 8);
  }

  /** Returns what the already-failed future failed with. */
  private static Throwable failure(CompletableFuture<?> future) {
    assertThat(future).isCompletedExceptionally();
    try {
      future.getNow(null);
      throw new AssertionError("not failed");
    } catch (CompletionException e) {
      return e.getCause();
    } catch (CancellationException e) {
      return e;
    }
  }
}
