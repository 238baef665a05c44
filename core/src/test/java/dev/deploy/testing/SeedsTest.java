package dev.deploy.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The seeds of {@link RandomCases} tests: regressions first, then the run's, replayable. */
class SeedsTest {
  private final String before = System.getProperty(Seeds.PROPERTY);

  @AfterEach
  void restoreProperty() {
    if (before == null) {
      System.clearProperty(Seeds.PROPERTY);
    } else {
      System.setProperty(Seeds.PROPERTY, before);
    }
  }

  @Test
  @Timeout(10)
  void givenSeedProperty_whenCases_thenRegressionsFirstThenTheRunSeedThenOthers() {
    System.setProperty(Seeds.PROPERTY, "42");

    List<Gen> cases = Seeds.cases(3, 7L, -9L).collect(Collectors.toList());

    assertThat(cases)
        .extracting(Gen::seed)
        .startsWith(7L, -9L, 42L)
        .hasSize(5)
        .doesNotHaveDuplicates();
    assertThat(cases)
        .extracting(Gen::toString)
        .startsWith("regression seed 7", "regression seed -9", "seed 42");
  }

  @Test
  @Timeout(10)
  void givenAFailedCasesSeed_whenReplayed_thenItIsTheFirstCaseAndDrawsTheSameInputs() {
    System.setProperty(Seeds.PROPERTY, "0x2a");
    Gen third = Seeds.cases(3).skip(2).findFirst().orElseThrow();
    long[] drawn = {third.anyLong(), third.anyLong(), third.anyLong()};

    System.setProperty(Seeds.PROPERTY, Long.toString(third.seed()));
    Gen replay = Seeds.cases(3).findFirst().orElseThrow();

    assertThat(replay.seed()).isEqualTo(third.seed());
    assertThat(new long[] {replay.anyLong(), replay.anyLong(), replay.anyLong()}).isEqualTo(drawn);
  }

  @Test
  @Timeout(10)
  void givenNoSeedProperty_whenCasesTwice_thenSameRunSeed() {
    System.clearProperty(Seeds.PROPERTY);

    assertThat(Seeds.cases(1).findFirst().orElseThrow().seed())
        .isEqualTo(Seeds.cases(1).findFirst().orElseThrow().seed())
        .isEqualTo(Seeds.run());
  }

  @Test
  @Timeout(10)
  void givenSeedPropertyNotALong_whenRun_thenIllegalArgumentQuotingIt() {
    System.setProperty(Seeds.PROPERTY, "banana");

    assertThatThrownBy(Seeds::run)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("-Ddeploy.seed must be a long, decimal or 0x hex, not 'banana'");
  }

  @Test
  @Timeout(10)
  void givenDrawsWithBounds_whenDrawnOften_thenAlwaysInsideAndBoundsReached() {
    Gen gen = Seeds.cases(1, 1234L).findFirst().orElseThrow();
    boolean sawMin = false;
    boolean sawMax = false;
    for (int i = 0; i < 10_000; i++) {
      int n = gen.intBetween(-3, 300);
      long big = gen.longBetween(Long.MIN_VALUE + 1, Long.MAX_VALUE - 1);
      double d = gen.doubleBetween(0, 1024);
      byte[] bytes = gen.bytes(2, 9);
      String text = gen.string(5);
      assertThat(n).isBetween(-3, 300);
      assertThat(big).isNotIn(Long.MIN_VALUE, Long.MAX_VALUE);
      assertThat(d).isBetween(0.0, 1024.0);
      assertThat(bytes.length).isBetween(2, 9);
      assertThat(text.length()).isBetween(0, 5);
      sawMin |= n == -3;
      sawMax |= n == 300;
    }
    assertThat(sawMin).as("drew the minimum").isTrue();
    assertThat(sawMax).as("drew the maximum").isTrue();
  }
}
