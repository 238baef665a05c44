package dev.deploy.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link CdsTraining}'s list of classes it loads without running them. */
@Timeout(10)
class CdsTrainingTest {
  @Test
  void givenTheSpawnPathList_whenLoaded_thenEveryClassExists() {
    assertThat(CdsTraining.SPAWN_PATH)
        .allSatisfy(
            name ->
                assertThat(Class.forName(name, false, getClass().getClassLoader()))
                    .as(name)
                    .isNotNull());
  }
}
