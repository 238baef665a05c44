package dev.deploy.fabric;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventSink;
import dev.deploy.master.LaunchOrder;
import dev.deploy.testing.FakeProcess;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link WarmPool}'s policy with launches that never start a process and a fake clock: what it asks
 * the fabric to start, which member a spawn takes while they start, and what it stops when idle.
 */
@Timeout(10)
class WarmPoolTest {
  private static final long SECOND = 1_000_000_000L;
  private static final Resources SMALL = new Resources(256L << 20, 0.05);
  private static final Resources LARGE = new Resources(1L << 30, 1);

  private long ids;

  /** The control session each registered launch said Hello on. */
  private final Map<Launch, ControlSession> sessions = new HashMap<>();

  /** A pool member as the fabric would add it: started, not registered. */
  private Launch member(WarmPool pool, Resources r) {
    Launch l = new Launch(++ids, new LaunchOrder(0, null, r, null), new NoSink(), true);
    pool.added(l);
    return l;
  }

  /** A pool member that started and registered: it waits inside init (WARM). */
  private Launch warm(WarmPool pool, Resources r) {
    Launch l = member(pool, r);
    ControlSession session = new ControlSession(null, null, null);
    sessions.put(l, session);
    assertThat(l.onHello(session, pid(l.id))).isTrue();
    assertThat(l.state()).isEqualTo(Launch.State.WARM);
    return l;
  }

  private static Pid pid(long n) {
    return Pid.of(new byte[] {127, 0, 0, 1}, 40_000, n << 8);
  }

  /** Ends {@code l}'s (fake) process as the exit thread would, before the pool hears of it. */
  private void die(Launch l) {
    l.started(FakeProcess.exited(1), null);
    l.onEof(1);
    l.onEof(2);
    l.onControlClosed(sessions.get(l));
    l.onProcessExit();
    assertThat(l.state()).isEqualTo(Launch.State.ENDED);
  }

  private static LaunchOrder spawn(Resources r) {
    return new LaunchOrder(0, null, r, new byte[] {1});
  }

  @Test
  void givenEmptyPool_whenAsked_thenMissingIsBaseBoundedByStartingCap() {
    assertThat(new WarmPool(2, 8, 5 * SECOND, 4).missing(0, SMALL)).isEqualTo(2);
    assertThat(new WarmPool(3, 8, 5 * SECOND, 1).missing(0, SMALL)).isEqualTo(1);
    assertThat(new WarmPool(0, 0, 5 * SECOND, 4).missing(0, SMALL)).isZero();
  }

  @Test
  void givenSpawnsFindNoneReady_whenMissed_thenPoolAsksForMore() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    pool.ready(member(pool, SMALL), 0);
    pool.ready(member(pool, SMALL), 0);
    assertThat(pool.missing(0, SMALL)).isZero();

    pool.missed(0, SMALL, 0);
    pool.missed(0, SMALL, 0);

    assertThat(pool.target(0, SMALL)).isEqualTo(4);
    assertThat(pool.missing(0, SMALL)).isEqualTo(2);
    assertThat(pool.missing(0, LARGE)).isEqualTo(2); // another shape has its own target
  }

  @Test
  void givenMembersStarting_whenAsked_thenNoMoreThanCapStartAtOnce() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 2);
    for (int i = 0; i < 6; i++) {
      pool.missed(0, SMALL, 0);
    }
    Launch a = member(pool, SMALL);
    member(pool, SMALL);
    assertThat(pool.missing(0, SMALL)).isZero(); // two starting: the cap

    pool.ready(a, 0);

    assertThat(pool.missing(0, SMALL)).isEqualTo(1);
  }

  @Test
  void givenMembersStarting_whenSpawnClaims_thenOldestOfItsShapeRunsIt() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    Launch large = member(pool, LARGE);
    Launch ready = member(pool, SMALL);
    Launch older = member(pool, SMALL);
    Launch newer = member(pool, SMALL);
    pool.ready(ready, 0);
    LaunchOrder order = spawn(SMALL);

    Launch claimed = pool.claimStarting(order);

    assertThat(claimed).isSameAs(older);
    assertThat(large.claim(spawn(LARGE))).isTrue(); // untouched, still claimable
    assertThat(pool.claimStarting(spawn(SMALL))).isSameAs(newer);
    assertThat(pool.claimStarting(spawn(SMALL))).isNull(); // the ready one is taken, not claimed
    assertThat(pool.take(0, SMALL)).isNull(); // take wants a registered (WARM) JVM
  }

  @Test
  void givenClaimedMember_whenItEnds_thenPoolDoesNotGiveItsRoomBackAgain() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    Launch l = member(pool, SMALL);

    assertThat(pool.claimStarting(spawn(SMALL))).isSameAs(l);

    assertThat(pool.ended(l, true)).isFalse();
    assertThat(pool.missing(0, SMALL)).isEqualTo(2);
  }

  @Test
  void givenClaimedOrKilledLaunch_whenClaimedAgain_thenRefused() {
    Launch l = new Launch(1, new LaunchOrder(0, null, SMALL, null), new NoSink(), true);
    Launch killed = new Launch(2, new LaunchOrder(0, null, SMALL, null), new NoSink(), true);
    Launch cold = new Launch(3, spawn(SMALL), new NoSink(), false);
    killed.kill();

    assertThat(l.claim(spawn(SMALL))).isTrue();
    assertThat(l.claim(spawn(SMALL))).isFalse();
    assertThat(killed.claim(spawn(SMALL))).isFalse();
    assertThat(cold.claim(spawn(SMALL))).isFalse();
  }

  @Test
  void givenGrownPoolIdle_whenShrinking_thenSurplusStoppedLongestWaitingFirst() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    pool.missed(0, SMALL, 0);
    pool.missed(0, SMALL, 0);
    Launch[] m = new Launch[4];
    for (int i = 0; i < 4; i++) {
      m[i] = member(pool, SMALL);
      pool.ready(m[i], i);
    }
    assertThat(pool.removeSurplus(SECOND)).isEmpty(); // not idle for a period yet

    List<Launch> stopped = pool.removeSurplus(5 * SECOND);
    assertThat(stopped).containsExactly(m[0]);
    assertThat(pool.target(0, SMALL)).isEqualTo(3);

    assertThat(pool.removeSurplus(10 * SECOND)).containsExactly(m[1]);
    assertThat(pool.removeSurplus(60 * SECOND)).isEmpty(); // at base: the 60 s rule's job
    assertThat(pool.target(0, SMALL)).isEqualTo(2);
  }

  @Test
  void givenWarmMemberWaiting_whenTaken_thenHandedOutOnceAndItsPlaceIsRefilled() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    Launch a = warm(pool, SMALL);
    Launch b = warm(pool, SMALL);
    pool.ready(a, 0);
    pool.ready(b, 1);
    assertThat(pool.missing(0, SMALL)).isZero();

    assertThat(pool.take(0, SMALL)).isSameAs(a); // the longest waiting first
    assertThat(pool.missing(0, SMALL)).isEqualTo(1);
    assertThat(pool.take(0, SMALL)).isSameAs(b);
    assertThat(pool.take(0, SMALL)).isNull();
    assertThat(pool.ended(a, false)).as("handed out: no longer the pool's").isFalse();
    assertThat(pool.missing(0, SMALL)).isEqualTo(2);
  }

  @Test
  void givenWarmMembersOfAnotherShape_whenTaken_thenNoneHandedOut() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    pool.ready(warm(pool, LARGE), 0);
    Launch otherProgram =
        new Launch(++ids, new LaunchOrder(7, null, SMALL, null), new NoSink(), true);
    pool.added(otherProgram);
    otherProgram.onHello(new ControlSession(null, null, null), pid(otherProgram.id));
    pool.ready(otherProgram, 0);

    assertThat(pool.take(0, SMALL)).isNull();
    assertThat(pool.take(7, SMALL)).isSameAs(otherProgram);
  }

  /**
   * A pooled JVM died and a spawn looks before its exit thread told the pool: the spawn must not
   * get it, and the pool must still own it, so that the exit gives its reservation back.
   */
  @Test
  void givenPooledJvmDiedUnnoticed_whenTaken_thenSkippedAndItsEndStillGivesItsRoomBack() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    Launch dead = warm(pool, SMALL);
    Launch alive = warm(pool, SMALL);
    pool.ready(dead, 0);
    pool.ready(alive, 1);
    die(dead);

    assertThat(pool.take(0, SMALL)).isSameAs(alive);
    assertThat(pool.take(0, SMALL)).isNull();
    assertThat(pool.ended(dead, false)).as("its reservation is still to be given back").isTrue();
    assertThat(pool.ended(dead, false)).as("but only once").isFalse();
  }

  @Test
  void givenMemberEndedBeforeRegistering_whenEnded_thenRoomBackAndAnotherIsAskedFor() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    Launch a = member(pool, SMALL);
    member(pool, SMALL);
    assertThat(pool.missing(0, SMALL)).isZero();

    assertThat(pool.ended(a, true)).isTrue();

    assertThat(pool.missing(0, SMALL)).isEqualTo(1);
    assertThat(pool.claimStarting(spawn(SMALL))).isNotSameAs(a);
  }

  @Test
  void givenThreeFailedStartsInARow_whenAsked_thenPoolGivesUpOnThoseResourcesOnly() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    for (int i = 0; i < 3; i++) {
      assertThat(pool.missing(0, SMALL)).isPositive();
      pool.ended(member(pool, SMALL), true);
    }

    assertThat(pool.missing(0, SMALL)).isZero();
    assertThat(pool.missing(0, LARGE)).isEqualTo(2);
  }

  @Test
  void givenTwoFailedStarts_whenOneRegisters_thenTheCountStartsAgain() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    pool.ended(member(pool, SMALL), true);
    pool.ended(member(pool, SMALL), true);
    pool.ready(warm(pool, SMALL), 0);
    pool.ended(member(pool, SMALL), true);
    pool.ended(member(pool, SMALL), true);

    assertThat(pool.missing(0, SMALL)).as("two in a row, not four").isEqualTo(1);
  }

  @Test
  void givenMemberRemovedWhileStarting_whenItRegisters_thenReadyRefusesIt() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    Launch l = member(pool, SMALL);

    assertThat(pool.removeAll(0, false)).containsExactly(l);

    assertThat(pool.ready(l, 0)).as("nobody would take it: the caller stops it").isFalse();
    assertThat(pool.take(0, SMALL)).isNull();
  }

  @Test
  void givenMembersOfTwoPrograms_whenOneIsRemoved_thenOnlyItsMembersReturned() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    Launch mine = warm(pool, SMALL);
    pool.ready(mine, 0);
    Launch starting = member(pool, LARGE);
    Launch other = new Launch(++ids, new LaunchOrder(9, null, SMALL, null), new NoSink(), true);
    pool.added(other);

    assertThat(pool.removeProgram(0)).containsExactlyInAnyOrder(mine, starting);

    assertThat(pool.take(0, SMALL)).isNull();
    assertThat(pool.claimStarting(new LaunchOrder(9, null, SMALL, new byte[] {1}))).isSameAs(other);
  }

  @Test
  void givenIdleAndStartingMembers_whenRemovingThoseIdleTooLong_thenOnlyTheOldIdleOnesGo() {
    WarmPool pool = new WarmPool(2, 8, 5 * SECOND, 8);
    Launch old = warm(pool, SMALL);
    Launch fresh = warm(pool, SMALL);
    Launch starting = member(pool, LARGE);
    pool.ready(old, 10 * SECOND);
    pool.ready(fresh, 70 * SECOND);

    assertThat(pool.removeAll(60 * SECOND, true)).containsExactly(old);

    assertThat(pool.take(0, SMALL)).isSameAs(fresh);
    assertThat(pool.claimStarting(spawn(LARGE))).isSameAs(starting);
  }

  @Test
  void givenPoolOff_whenMissedOrAsked_thenItNeverAsksForAJvm() {
    WarmPool pool = new WarmPool(0);
    pool.missed(0, SMALL, 0);

    assertThat(pool.enabled()).isFalse();
    assertThat(pool.missing(0, SMALL)).isZero();
    assertThat(new WarmPool(2).enabled()).isTrue();
  }

  /** A sink that drops everything. */
  private static final class NoSink implements EventSink {
    @Override
    public void onEvent(Event event) {}

    @Override
    public void onLaunchPending() {}

    @Override
    public void onLaunchSettled() {}
  }
}
