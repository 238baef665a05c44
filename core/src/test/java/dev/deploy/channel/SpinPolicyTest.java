package dev.deploy.channel;

import static org.assertj.core.api.Assertions.assertThat;

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
  void givenOneSpinThatFoundNothing_whenWaiting_thenSpinsAgain() {
    assertThat(policy.spinNow()).isTrue();
    policy.spun(false);

    assertThat(policy.spinNow()).as("a lone miss: the sender was away for a moment").isTrue();
  }

  @Test
  void givenMissesInARow_whenWaiting_thenParksDoublingWaitsUpToSkips() {
    int[] parkedAfter = new int[8];
    for (int miss = 0; miss < parkedAfter.length; miss++) {
      int parked = 0;
      while (!policy.spinNow()) {
        parked++;
      }
      parkedAfter[miss] = parked;
      policy.spun(false);
    }

    assertThat(parkedAfter).containsExactly(0, 0, 1, 2, 4, 8, 16, 16);
  }

  @Test
  void givenMissesThenASpinThatFinds_whenMissingAgain_thenStartsOver() {
    for (int i = 0; i < 6; i++) {
      while (!policy.spinNow()) {}
      policy.spun(false);
    }
    while (!policy.spinNow()) {}
    policy.spun(true);

    assertThat(policy.spinNow()).isTrue();
    policy.spun(false);
    assertThat(policy.spinNow()).as("one miss after a hit").isTrue();
  }

  @Test
  void givenMissesInARow_whenAWaitThatParkedIsWokenByAValue_thenTheNextWaitSpinsBriefly() {
    for (int i = 0; i < 6; i++) {
      while (!policy.spinNow()) {}
      policy.spun(false);
    }
    assertThat(policy.spinNow()).as("misses in a row: this wait parks").isFalse();

    policy.woke();

    assertThat(policy.spinNow()).as("the sender may stream again").isTrue();
    assertThat(policy.spinNanos()).isEqualTo(SpinPolicy.WOKEN_SPIN_NANOS);
    policy.spun(true);
    assertThat(policy.spinNanos()).as("it caught the stream: full spins").isEqualTo(100_000);
  }

  @Test
  void givenABriefSpinAfterAWakeThatFoundNothing_whenWaiting_thenMissesGoOnCounting() {
    for (int i = 0; i < 6; i++) {
      while (!policy.spinNow()) {}
      policy.spun(false);
    }
    policy.woke();
    assertThat(policy.spinNow()).isTrue();
    policy.spun(false);

    assertThat(policy.spinNow()).as("a slow sender: the next waits park again").isFalse();
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
  void givenLargeValueTaken_whenWaitingOnATransportTheSpinPolls_thenSpins() {
    policy.took(Frames.CHUNK);

    assertThat(policy.spinNow(true))
        .as("shared memory: the spin copies the next value itself")
        .isTrue();
    assertThat(policy.spinNow(false))
        .as("TCP: the loop does the work, the spin would only wait")
        .isFalse();
  }

  @Test
  void givenSpinningOff_whenWaiting_thenNeverSpins() {
    SpinPolicy off = new SpinPolicy(0);
    assertThat(off.spinNow()).isFalse();
    off.took(8);
    assertThat(off.spinNow()).isFalse();
    assertThat(off.spinNow(true)).isFalse();
  }
}
