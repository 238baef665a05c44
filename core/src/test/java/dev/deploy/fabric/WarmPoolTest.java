package dev.deploy.fabric;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventSink;
import dev.deploy.master.LaunchOrder;
import java.util.List;
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

  /** A pool member as the fabric would add it: started, not registered. */
  private Launch member(WarmPool pool, Resources r) {
    Launch l = new Launch(++ids, new LaunchOrder(0, null, r, null), new NoSink(), true);
    pool.added(l);
    return l;
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
