package dev.deploy.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(5)
class SpinPolicyTest {
  private final SpinPolicy policy = new SpinPolicy(100_000);

  @Test
  void givenFreshReceiver_whenWaiting_thenSpins() {
    assertThat(policy.spinNow()).isTrue();
  }

  @Test
  void givenSpinsThatFind_whenWaitingAgain_thenKeepsSpinning() {
    for (int i = 0; i < 100; i++) {
      assertThat(policy.spinNow()).as("wait %d", i).isTrue();
      policy.spun(true);
      policy.took(8);
    }
  }

  @Test
  void givenOneSpinThatFoundNothing_whenWaiting_thenSpinsAgainAtOnce() {
    assertThat(policy.spinNow()).isTrue();
    policy.spun(false); // one late value: the sender was descheduled, say

    assertThat(policy.spinNow()).as("the wait after a lone miss").isTrue();
  }

  @Test
  void givenLoneMissesAmongHits_whenWaiting_thenNeverParksWithoutSpinning() {
    for (int i = 0; i < 100; i++) {
      assertThat(policy.spinNow()).as("wait %d", i).isTrue();
      policy.spun(i % 10 != 0); // every tenth value is late
      policy.took(8);
    }
  }

  @Test
  void givenMissesInARow_whenWaiting_thenParksLongerEachTimeUpToSkips() {
    List<Integer> parked = new ArrayList<>();
    assertThat(policy.spinNow()).isTrue();
    for (int miss = 0; miss < 7; miss++) {
      policy.spun(false);
      parked.add(parkedBeforeNextSpin());
    }
    assertThat(parked).containsExactly(0, 1, 3, 7, 15, 16, 16);
  }

  @Test
  void givenHitAfterMisses_whenWaiting_thenBackOffStartsOver() {
    assertThat(policy.spinNow()).isTrue();
    for (int miss = 0; miss < 6; miss++) {
      policy.spun(false);
      parkedBeforeNextSpin();
    }
    policy.spun(true);

    assertThat(policy.spinNow()).as("the wait after a hit").isTrue();
    policy.spun(false);
    assertThat(policy.spinNow()).as("the wait after the next lone miss").isTrue();
  }

  /** Counts the waits that park until one spins (at most SKIPS, else the policy is broken). */
  private int parkedBeforeNextSpin() {
    int n = 0;
    while (!policy.spinNow()) {
      n++;
      assertThat(n).as("waits parked in a row").isLessThanOrEqualTo(SpinPolicy.SKIPS);
    }
    return n;
  }

  @Test
  void givenLargeValueTaken_whenWaiting_thenParksUntilASmallOneIsTaken() {
    policy.took(Frames.CHUNK);
    assertThat(policy.spinNow()).isFalse();
    assertThat(policy.spinNow()).isFalse();

    policy.took(Frames.CHUNK - 1);

    assertThat(policy.spinNow()).isTrue();
  }

  @Test
  void givenSpinningOff_whenWaiting_thenNeverSpins() {
    SpinPolicy off = new SpinPolicy(0);
    assertThat(off.spinNow()).isFalse();
    off.took(8);
    assertThat(off.spinNow()).isFalse();
  }
}
