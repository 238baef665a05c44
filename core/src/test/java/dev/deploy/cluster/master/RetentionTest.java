package dev.deploy.cluster.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link Retention}'s bounds: what it refuses, naming the value, and its defaults. */
class RetentionTest {
  @Test
  void givenNegativeAge_whenMade_thenRefusedNamingTheAge() {
    assertThatThrownBy(() -> new Retention(Duration.ofSeconds(-5), 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a retention time of PT-5S is negative");
  }

  @Test
  void givenZeroOrNegativeSize_whenMade_thenRefusedNamingBothSizes() {
    assertThatThrownBy(() -> new Retention(Duration.ZERO, 0, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retention sizes must be positive, not 0 and 10 bytes");
    assertThatThrownBy(() -> new Retention(Duration.ZERO, 10, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retention sizes must be positive, not 10 and -1 bytes");
  }

  @Test
  void givenZeroAgeAndOneByte_whenMade_thenKeptAsGiven() {
    Retention r = new Retention(Duration.ZERO, 1, 1);

    assertThat(r.age()).isEqualTo(Duration.ZERO);
    assertThat(r.perDeployment()).isEqualTo(1);
    assertThat(r.total()).isEqualTo(1);
  }

  @Test
  void givenDefault_whenRead_thenOneHour16MibPerDeployment64MibInAll() {
    assertThat(Retention.DEFAULT)
        .isEqualTo(new Retention(Duration.ofHours(1), 16L << 20, 64L << 20));
  }
}
