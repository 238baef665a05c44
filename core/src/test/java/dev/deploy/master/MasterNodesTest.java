package dev.deploy.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.testing.RecordingLauncher;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The master's view of machines that come and go ({@link Master#nodeDown}, {@link Master#nodeUp}),
 * where a pid's fate is asked ({@link Master#fate}), and withdrawing a program's queue ({@link
 * Master#cancelProgram}). Launchers start nothing: each test starts, fails and ends processes by
 * hand through {@link RecordingLauncher}.
 *
 * <p>Over-crediting is observed from outside: after the event under test, a spawn of the node's
 * whole capacity must fit and then one more small spawn must not.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MasterNodesTest {
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;
  private static final Pid PARENT = Pid.of(new byte[] {127, 0, 0, 1}, 30_000, 1L << 8);

  private final RecordingLauncher a = new RecordingLauncher();
  private final RecordingLauncher b = new RecordingLauncher();

  // ---------------------------------------------------------------- nodeDown / nodeUp

  @Test
  void givenBiggerNodeDown_whenSpawn_thenPlacedOnTheSmallerNodeThatIsUp() {
    Master master = master(node("a", 8 * GIB, 8, a), node("b", 2 * GIB, 8, b));
    master.nodeDown(a);

    master.spawn(order(GIB, 1), false);

    assertThat(a.count()).isZero();
    assertThat(b.count()).isEqualTo(1);
  }

  @Test
  void givenOnlyNodeDown_whenSpawnWithoutWaiting_thenEmptyAndNothingLaunched() {
    Master master = master(node("a", 8 * GIB, 8, a));
    master.nodeDown(a);

    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(GIB, 1), false);

    assertThat(spawned).isCompletedWithValue(Optional.empty());
    assertThat(a.count()).isZero();
    assertThat(master.waiting()).isZero();
  }

  @Test
  void givenOnlyNodeDown_whenSpawnWaiting_thenQueuedNotFailed() {
    Master master = master(node("a", 8 * GIB, 8, a));
    master.nodeDown(a);

    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(GIB, 1), true);

    assertThat(spawned).isNotDone();
    assertThat(master.waiting()).isEqualTo(1);
    assertThat(a.count()).isZero();
  }

  @Test
  void givenOnlyNodeDown_whenSpawnWaitingLargerThanItsCapacity_thenFailsAtOnce() {
    Master master = master(node("a", 2 * GIB, 8, a));
    master.nodeDown(a);

    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(4 * GIB, 1), true);

    assertThat(spawned).isCompletedExceptionally();
    assertThat(master.waiting()).isZero();
  }

  @Test
  void givenSpawnQueuedWhileNodeDown_whenNodeUp_thenLaunchedThereAndCompletesWithItsPid() {
    Master master = master(node("a", 8 * GIB, 8, a));
    master.nodeDown(a);
    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(GIB, 1), true);

    master.nodeUp(a);

    assertThat(master.waiting()).isZero();
    assertThat(a.count()).isEqualTo(1);
    Pid pid = a.last().start();
    assertThat(spawned).isCompletedWithValue(Optional.of(pid));
  }

  @Test
  void givenSeveralQueuedWhileAllDown_whenOneNodeUp_thenAsManyAsFitStartThereInOrder() {
    Master master = master(node("a", 2 * GIB, 8, a), node("b", 2 * GIB, 8, b));
    master.nodeDown(a);
    master.nodeDown(b);
    LaunchOrder first = order(GIB, 1);
    LaunchOrder second = order(GIB, 1);
    LaunchOrder third = order(GIB, 1);
    master.spawn(first, true);
    master.spawn(second, true);
    CompletableFuture<Optional<Pid>> last = master.spawn(third, true);

    master.nodeUp(b);

    assertThat(b.orders()).containsExactly(first, second);
    assertThat(a.count()).isZero();
    assertThat(last).isNotDone();
    assertThat(master.waiting()).isEqualTo(1);
  }

  @Test
  void givenQueueWaitingForTheDownNode_whenTheOtherNodeUpButTooSmall_thenHeadStillWaits() {
    Master master = master(node("a", 8 * GIB, 8, a), node("b", GIB, 8, b));
    master.nodeDown(a);
    master.nodeDown(b);
    master.spawn(order(4 * GIB, 1), true);
    master.spawn(order(512 * MIB, 1), true);

    master.nodeUp(b);

    assertThat(b.count()).as("nothing overtakes the head of the queue").isZero();
    assertThat(master.waiting()).isEqualTo(2);
  }

  @Test
  void givenNodeFullWhenItGoesDown_whenItComesBackUp_thenItsWholeCapacityIsFree() {
    Master master = master(node("a", 2 * GIB, 2, a));
    master.spawn(order(2 * GIB, 2), false);
    a.last().start();

    master.nodeDown(a);
    master.nodeUp(a);

    assertFullyFreeAndNoMore(master, a, 2 * GIB, 2);
  }

  @Test
  void givenProcessPlacedBeforeDown_whenItExitsAfterNodeUp_thenItsRoomIsNotGivenBackTwice() {
    Master master = master(node("a", 2 * GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    RecordingLauncher.Call before = a.last();
    before.start();
    master.nodeDown(a);
    master.nodeUp(a);

    before.exit(ExitStatus.lost());

    assertFullyFreeAndNoMore(master, a, 2 * GIB, 2);
  }

  @Test
  void givenProcessPlacedBeforeDown_whenItExitsWhileDown_thenNotCreditedAfterNodeUp() {
    Master master = master(node("a", 2 * GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    RecordingLauncher.Call before = a.last();
    before.start();
    master.nodeDown(a);

    before.exit(ExitStatus.lost());
    master.nodeUp(a);

    assertFullyFreeAndNoMore(master, a, 2 * GIB, 2);
  }

  @Test
  void givenLaunchPendingWhenNodeDown_whenTheLaunchFails_thenNotCreditedAfterNodeUp() {
    Master master = master(node("a", 2 * GIB, 2, a));
    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(GIB, 1), false);
    RecordingLauncher.Call pending = a.last();
    master.nodeDown(a);

    pending.fail("the machine a was lost");
    master.nodeUp(a);

    assertThat(spawned).isCompletedExceptionally();
    assertFullyFreeAndNoMore(master, a, 2 * GIB, 2);
  }

  @Test
  void givenNodeDownTwice_whenUpAndEarlierProcessExits_thenStillNotOverCredited() {
    Master master = master(node("a", 2 * GIB, 2, a));
    master.spawn(order(GIB, 1), false);
    RecordingLauncher.Call before = a.last();
    before.start();
    master.nodeDown(a);
    master.nodeDown(a);
    master.nodeUp(a);

    before.exit(ExitStatus.exited(0));

    assertFullyFreeAndNoMore(master, a, 2 * GIB, 2);
  }

  @Test
  void givenProcessPlacedAfterNodeUp_whenItExits_thenItsRoomIsGivenBack() {
    Master master = master(node("a", 2 * GIB, 2, a));
    master.nodeDown(a);
    master.nodeUp(a);
    master.spawn(order(2 * GIB, 2), false);
    RecordingLauncher.Call after = a.last();
    after.start();

    after.exit(ExitStatus.exited(0));

    assertFullyFreeAndNoMore(master, a, 2 * GIB, 2);
  }

  @Test
  void givenWarmRoomReservedBeforeDown_whenReleasedAfterNodeUp_thenNotOverCredited() {
    Master master = master(node("a", 2 * GIB, 2, a));
    assertThat(master.reserveWarm(a, new Resources(GIB, 1))).isTrue();
    master.nodeDown(a);
    master.nodeUp(a);

    master.releaseWarm(a, new Resources(GIB, 1));

    assertFullyFreeAndNoMore(master, a, 2 * GIB, 2);
  }

  /**
   * The same over-credit by another path: a worker's give-back of warm room that arrives after its
   * node was lost (and the books reset).
   */
  @Test
  void givenWarmRoomReservedBeforeDown_whenReleasedWhileDown_thenNotCreditedAfterNodeUp() {
    Master master = master(node("a", 2 * GIB, 2, a));
    assertThat(master.reserveWarm(a, new Resources(GIB, 1))).isTrue();
    master.nodeDown(a);

    master.releaseWarm(a, new Resources(GIB, 1));
    master.nodeUp(a);

    assertFullyFreeAndNoMore(master, a, 2 * GIB, 2);
  }

  @Test
  void givenWarmRoomHeld_whenASpawnNeedsIt_thenTheBooksGiveItBackWithoutTheLauncher() {
    Master master = master(node("a", 2 * GIB, 2, a));
    assertThat(master.reserveWarm(a, new Resources(GIB, 1))).isTrue();

    CompletableFuture<Optional<Pid>> whole = master.spawn(order(2 * GIB, 2), false);
    master.releaseWarm(a, new Resources(GIB, 1)); // a launcher's late give-back: ignored

    assertThat(whole).as("placed, not answered empty").isNotDone();
    assertThat(a.count()).isEqualTo(1);
    assertThat(master.spawn(order(64 * MIB, 0), false))
        .as("the late give-back did not over-credit the books")
        .isCompletedWithValue(Optional.empty());
  }

  @Test
  void givenWarmRoomReservedAfterNodeUp_whenReleased_thenItsRoomIsGivenBack() {
    Master master = master(node("a", 2 * GIB, 2, a));
    master.nodeDown(a);
    master.nodeUp(a);
    assertThat(master.reserveWarm(a, new Resources(GIB, 1))).isTrue();

    master.releaseWarm(a, new Resources(GIB, 1));

    assertFullyFreeAndNoMore(master, a, 2 * GIB, 2);
  }

  @Test
  void givenNodeDown_whenReserveWarm_thenRefused() {
    Master master = master(node("a", 8 * GIB, 8, a));
    master.nodeDown(a);

    assertThat(master.reserveWarm(a, new Resources(GIB, 1))).isFalse();
  }

  @Test
  void givenOneNodeDown_whenTheOtherHasNoRoom_thenSpawnWithoutWaitingIsEmpty() {
    Master master = master(node("a", 8 * GIB, 8, a), node("b", GIB, 8, b));
    master.nodeDown(a);

    CompletableFuture<Optional<Pid>> spawned = master.spawn(order(2 * GIB, 1), false);

    assertThat(spawned).isCompletedWithValue(Optional.empty());
    assertThat(a.count()).isZero();
    assertThat(b.count()).isZero();
  }

  @Test
  void givenLauncherOfNoNode_whenNodeDownOrUp_thenIllegalArgument() {
    Master master = master(node("a", 8 * GIB, 8, a));

    assertThatThrownBy(() -> master.nodeDown(b)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> master.nodeUp(b)).isInstanceOf(IllegalArgumentException.class);
  }

  // ---------------------------------------------------------------- fate

  @Test
  void givenPidStartedOnSecondNode_whenFate_thenAnsweredByThatNodesLauncher() {
    Master master = master(node("a", GIB, 8, a), node("b", 8 * GIB, 8, b));
    master.spawn(order(GIB, 1), false);
    Pid pid = b.last().start();

    CompletableFuture<ExitStatus> fate = master.fate(pid);
    assertThat(fate).as("b's process still runs; a would have answered lost").isNotDone();
    b.last().exit(ExitStatus.exited(3));

    assertThat(fate).isCompletedWithValue(ExitStatus.exited(3));
  }

  @Test
  void givenPidsOnBothNodes_whenFateOfEach_thenEachFromItsOwnLauncher() {
    Master master = master(node("a", 2 * GIB, 8, a), node("b", 2 * GIB, 8, b));
    master.spawn(order(2 * GIB, 1), false);
    master.spawn(order(2 * GIB, 1), false);
    Pid onA = a.last().start();
    Pid onB = b.last().start();
    a.last().exit(ExitStatus.killed(9));
    b.last().exit(ExitStatus.exited(0));

    assertThat(master.fate(onA)).isCompletedWithValue(ExitStatus.killed(9));
    assertThat(master.fate(onB)).isCompletedWithValue(ExitStatus.exited(0));
  }

  @Test
  void givenPidNoNodeStarted_whenFate_thenLostAtOnce() {
    Master master = master(node("a", 2 * GIB, 8, a));

    CompletableFuture<ExitStatus> fate =
        master.fate(Pid.of(new byte[] {10, 0, 0, 9}, 7000, 0xABCDEF00L));

    assertThat(fate).isCompletedWithValue(ExitStatus.lost());
  }

  @Test
  void givenLaunchThatFailed_whenFateOfItsWouldBePid_thenLost() {
    Master master = master(node("a", 2 * GIB, 8, a));
    master.spawn(order(GIB, 1), false);
    RecordingLauncher.Call call = a.last();
    call.fail("no java");

    assertThat(master.fate(call.pid())).isCompletedWithValue(ExitStatus.lost());
  }

  @Test
  void givenPidStartedBeforeItsNodeWentDown_whenFate_thenStillAskedOfThatLauncher() {
    Master master = master(node("a", 2 * GIB, 8, a));
    master.spawn(order(GIB, 1), false);
    Pid pid = a.last().start();
    master.nodeDown(a);

    CompletableFuture<ExitStatus> fate = master.fate(pid);
    a.last().exit(ExitStatus.lost());

    assertThat(fate).isCompletedWithValue(ExitStatus.lost());
  }

  // ---------------------------------------------------------------- cancelProgram

  @Test
  void givenQueuedOrdersOfTwoPrograms_whenCancelProgram_thenOnlyThatProgramsAreCancelled() {
    Master master = master(node("a", GIB, 8, a));
    master.spawn(orderOf(1, GIB), false);
    CompletableFuture<Optional<Pid>> first1 = master.spawn(orderOf(1, GIB), true);
    CompletableFuture<Optional<Pid>> only2 = master.spawn(orderOf(2, GIB), true);
    CompletableFuture<Optional<Pid>> second1 = master.spawn(orderOf(1, GIB), true);

    master.cancelProgram(1);

    assertThat(first1).isCancelled();
    assertThat(second1).isCancelled();
    assertThat(only2).isNotDone();
    assertThat(master.waiting()).isEqualTo(1);
    assertThat(a.count()).isEqualTo(1);
  }

  @Test
  void givenCancelledProgramHeldTheHead_whenCancelProgram_thenTheNextProgramStartsAtOnce() {
    Master master = master(node("a", 2 * GIB, 8, a));
    master.spawn(orderOf(2, GIB), false);
    CompletableFuture<Optional<Pid>> big = master.spawn(orderOf(1, 2 * GIB), true);
    LaunchOrder small = orderOf(2, GIB);
    CompletableFuture<Optional<Pid>> behind = master.spawn(small, true);
    assertThat(a.count()).as("the big head holds the small one back").isEqualTo(1);

    master.cancelProgram(1);

    assertThat(big).isCancelled();
    assertThat(a.count()).isEqualTo(2);
    assertThat(a.last().order()).isSameAs(small);
    Pid pid = a.last().start();
    assertThat(behind).isCompletedWithValue(Optional.of(pid));
  }

  @Test
  void givenProgramWithRunningProcessAndNothingQueued_whenCancelProgram_thenProcessUntouched() {
    Master master = master(node("a", GIB, 8, a));
    CompletableFuture<Optional<Pid>> running = master.spawn(orderOf(1, GIB), false);
    Pid pid = a.last().start();

    master.cancelProgram(1);

    assertThat(running).isCompletedWithValue(Optional.of(pid));
    assertThat(master.waiting()).isZero();
    assertThat(master.spawn(orderOf(1, 64 * MIB), false))
        .as("its room is still taken")
        .isCompletedWithValue(Optional.empty());
  }

  @Test
  void givenCancelledProgram_whenRoomFrees_thenItsCancelledOrdersNeverLaunch() {
    Master master = master(node("a", GIB, 8, a));
    master.spawn(orderOf(2, GIB), false);
    master.spawn(orderOf(1, GIB), true);
    master.cancelProgram(1);

    a.last().start();
    a.last().exit(ExitStatus.exited(0));

    assertThat(a.count()).isEqualTo(1);
  }

  @Test
  void givenProgramNumberNotQueued_whenCancelProgram_thenQueueUnchanged() {
    Master master = master(node("a", GIB, 8, a));
    master.spawn(orderOf(1, GIB), false);
    CompletableFuture<Optional<Pid>> queued = master.spawn(orderOf(1, GIB), true);

    master.cancelProgram(99);

    assertThat(queued).isNotDone();
    assertThat(master.waiting()).isEqualTo(1);
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Asserts that {@code launcher}'s node has exactly {@code memory} and {@code cpu} free: a spawn
   * of all of it is launched there, and then a spawn of 64 MiB finds no room.
   */
  private static void assertFullyFreeAndNoMore(
      Master master, RecordingLauncher launcher, long memory, double cpu) {
    int before = launcher.count();
    CompletableFuture<Optional<Pid>> whole = master.spawn(order(memory, cpu), false);
    assertThat(launcher.count())
        .as("a spawn of the whole capacity is launched")
        .isEqualTo(before + 1);
    assertThat(whole).isNotDone();

    CompletableFuture<Optional<Pid>> more = master.spawn(order(64 * MIB, 0), false);

    assertThat(more)
        .as("nothing is left after the whole capacity: the books were not over-credited")
        .isCompletedWithValue(Optional.empty());
    assertThat(launcher.count()).isEqualTo(before + 1);
  }

  private static Master master(Node... nodes) {
    return new Master(List.of(nodes));
  }

  private static Node node(String name, long memory, double cpu, Launcher launcher) {
    return new Node(name, new Resources(memory, cpu), launcher);
  }

  private static LaunchOrder order(long memory, double cpu) {
    return new LaunchOrder(PARENT, new Resources(memory, cpu), new byte[] {42});
  }

  private static LaunchOrder orderOf(long program, long memory) {
    return new LaunchOrder(program, PARENT, new Resources(memory, 1), new byte[] {7});
  }
}
