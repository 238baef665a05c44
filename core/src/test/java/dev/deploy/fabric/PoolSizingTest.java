package dev.deploy.fabric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link PoolSizing}: a target that grows on misses and steps down while none come. */
@Timeout(10)
class PoolSizingTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void givenNoMiss_whenAsked_thenTargetIsBase() {
    PoolSizing<String> sizing = new PoolSizing<>(2, 8, 5 * SECOND);

    assertThat(sizing.target("a")).isEqualTo(2);
  }

  @Test
  void givenMisses_whenAsked_thenTargetGrowsByOneEachUpToMax() {
    PoolSizing<String> sizing = new PoolSizing<>(2, 4, 5 * SECOND);

    sizing.onMiss("a", 0);
    assertThat(sizing.target("a")).isEqualTo(3);
    sizing.onMiss("a", 1);
    sizing.onMiss("a", 2);
    sizing.onMiss("a", 3);

    assertThat(sizing.target("a")).isEqualTo(4);
    assertThat(sizing.target("b")).isEqualTo(2);
  }

  @Test
  void givenGrownTarget_whenIdleLessThanPeriod_thenKept() {
    PoolSizing<String> sizing = new PoolSizing<>(2, 8, 5 * SECOND);
    sizing.onMiss("a", 0);
    sizing.onMiss("a", 0);

    sizing.shrink(5 * SECOND - 1);

    assertThat(sizing.target("a")).isEqualTo(4);
  }

  @Test
  void givenGrownTarget_whenIdleForPeriods_thenStepsDownOnePerPeriodToBase() {
    PoolSizing<String> sizing = new PoolSizing<>(2, 8, 5 * SECOND);
    for (int i = 0; i < 4; i++) {
      sizing.onMiss("a", 0);
    }

    sizing.shrink(5 * SECOND);
    assertThat(sizing.target("a")).isEqualTo(5);
    sizing.shrink(7 * SECOND); // not a whole period since the step
    assertThat(sizing.target("a")).isEqualTo(5);
    sizing.shrink(15 * SECOND);
    assertThat(sizing.target("a")).isEqualTo(3);
    sizing.shrink(100 * SECOND);

    assertThat(sizing.target("a")).isEqualTo(2);
  }

  @Test
  void givenMissDuringIdle_whenShrinking_thenPeriodRestartsAtMiss() {
    PoolSizing<String> sizing = new PoolSizing<>(2, 8, 5 * SECOND);
    sizing.onMiss("a", 0);
    sizing.onMiss("a", 4 * SECOND);

    sizing.shrink(8 * SECOND);

    assertThat(sizing.target("a")).isEqualTo(4);
  }

  @Test
  void givenPoolOff_whenMiss_thenTargetStaysZero() {
    PoolSizing<String> sizing = new PoolSizing<>(0, 0, SECOND);

    sizing.onMiss("a", 0);

    assertThat(sizing.target("a")).isZero();
  }

  @Test
  void givenMaxBelowBase_whenMade_thenRefusedNamingBoth() {
    assertThatThrownBy(() -> new PoolSizing<String>(4, 2, SECOND))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("base 4, max 2");
  }
}
