package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link RefusalLog}: once per source per minute, then a count; on a manual clock. */
@Timeout(10)
class RefusalLogTest {
  private final ManualClock clock = new ManualClock();
  private final List<String> warnings = new ArrayList<>();
  private final RefusalLog refusals = new RefusalLog(clock, warnings::add);

  @Test
  void givenFirstRefusalOfASource_whenRefused_thenWarnedAtOnce() {
    refusals.refused("10.0.0.1", "refused 10.0.0.1: bad key");

    assertThat(warnings).singleElement().asString().startsWith("refused 10.0.0.1: bad key");
  }

  @Test
  void givenManyRefusalsWithinAMinute_whenTheMinutePasses_thenOneCountIsLogged() {
    for (int i = 0; i < 300; i++) {
      refusals.refused("10.0.0.1", "refused 10.0.0.1: bad key");
      clock.advance(Duration.ofMillis(100));
    }
    refusals.flush();
    assertThat(warnings).as("30 s in: only the first").hasSize(1);

    clock.advance(Duration.ofSeconds(30));
    refusals.flush();

    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(1))
        .isEqualTo(
            "the same happened 299 more times within a minute of: refused 10.0.0.1: bad key");
    assertThat(refusals.tracked()).isZero();
  }

  @Test
  void givenAMinutePassed_whenRefusedAgain_thenTheCountThenTheNewOneAreWarned() {
    refusals.refused("10.0.0.1", "first");
    refusals.refused("10.0.0.1", "second");
    clock.advance(Duration.ofSeconds(60));

    refusals.refused("10.0.0.1", "third");

    assertThat(warnings).hasSize(3);
    assertThat(warnings.get(1))
        .isEqualTo("the same happened 1 more time within a minute of: first");
    assertThat(warnings.get(2)).startsWith("third");
  }

  @Test
  void givenTwoSources_whenEachRefusedTwice_thenEachWarnedOnce() {
    refusals.refused("10.0.0.1", "a");
    refusals.refused("10.0.0.2", "b");
    refusals.refused("10.0.0.1", "a");
    refusals.refused("10.0.0.2", "b");

    assertThat(warnings).hasSize(2);
  }

  @Test
  void givenNothingSuppressed_whenTheMinutePasses_thenNoCountIsLogged() {
    refusals.refused("10.0.0.1", "a");
    clock.advance(Duration.ofMinutes(2));

    refusals.flush();

    assertThat(warnings).hasSize(1);
    assertThat(refusals.tracked()).isZero();
  }

  @Test
  void givenMoreSourcesThanTracked_whenRefused_thenTheRestAreCountedTogether() {
    for (int i = 0; i < RefusalLog.MAX_SOURCES + 500; i++) {
      refusals.refused("source-" + i, "refused source-" + i);
    }

    assertThat(warnings).hasSize(RefusalLog.MAX_SOURCES + 1);
    assertThat(refusals.tracked()).isEqualTo(RefusalLog.MAX_SOURCES + 1);
    clock.advance(Duration.ofMinutes(1));
    refusals.flush();
    assertThat(warnings.get(warnings.size() - 1)).startsWith("the same happened 499 more times");
  }
}
