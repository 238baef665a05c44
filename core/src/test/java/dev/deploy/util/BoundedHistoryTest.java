package dev.deploy.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class BoundedHistoryTest {
  @Test
  @Timeout(10)
  void givenALimitOfThree_whenAFourthIsPut_thenTheOldestIsForgotten() {
    BoundedHistory<Integer, String> history = new BoundedHistory<>(3);

    for (int i = 1; i <= 4; i++) {
      history.put(i, "v" + i);
    }

    assertThat(history).containsOnlyKeys(2, 3, 4);
    assertThat(history.limit()).isEqualTo(3);
  }

  @Test
  @Timeout(10)
  void givenAKeyPutAgain_whenFull_thenItKeepsItsOldPlace() {
    BoundedHistory<Integer, String> history = new BoundedHistory<>(2);
    history.put(1, "a");
    history.put(2, "b");

    history.put(1, "a again");
    history.put(3, "c");

    assertThat(history).containsOnlyKeys(2, 3);
  }

  @Test
  @Timeout(10)
  void givenLimitZero_whenMade_thenSentenceNamingIt() {
    assertThatThrownBy(() -> new BoundedHistory<>(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a history keeps at least 1 entry, not 0");
  }
}
