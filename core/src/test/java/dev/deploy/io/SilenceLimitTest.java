package dev.deploy.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parsing of {@code DEPLOY_SILENCE_LIMIT} and {@code --silence-limit}, and what a limit implies.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SilenceLimitTest {
  @ParameterizedTest
  @CsvSource({
    "20s, 20000, 1000, 20 s",
    "1500ms, 1500, 150, 1.5 s",
    "1s, 1000, 100, 1 s",
    "2.5s, 2500, 250, 2.5 s",
    "' 3 s ', 3000, 300, 3 s",
    "2m, 120000, 1000, 120 s",
    "10m, 600000, 1000, 600 s"
  })
  void givenDuration_whenParsed_thenLimitHeartbeatAndText(
      String text, long millis, long heartbeat, String shown) {
    SilenceLimit limit = SilenceLimit.parse("--silence-limit", text);

    assertThat(limit.millis()).isEqualTo(millis);
    assertThat(limit.heartbeatMillis()).isEqualTo(heartbeat);
    assertThat(limit).hasToString(shown);
    assertThat(SilenceLimit.parse("x", limit.setting())).isEqualTo(limit);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "soon", "20", "-5s", "5 sec", "1e3ms", "s", "20s30s"})
  void givenGarbage_whenParsed_thenOneSentenceNamingTheSourceAndText(String text) {
    assertThatThrownBy(() -> SilenceLimit.parse("DEPLOY_SILENCE_LIMIT", text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "DEPLOY_SILENCE_LIMIT: \"" + text + "\" is not a duration like 20s, 1500ms or 2m");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0s", "0ms", "999ms", "0.5s", "11m", "1h"})
  void givenOutOfRange_whenParsed_thenRefusedNamingTheRange(String text) {
    assertThatThrownBy(() -> SilenceLimit.parse("--silence-limit", text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "--silence-limit: \""
                + text
                + "\" is outside the silence limit's range of 1 s to 10 min");
  }

  @Test
  void givenNull_whenParsed_thenRefused() {
    assertThatThrownBy(() -> SilenceLimit.parse("--silence-limit", null))
        .hasMessageContaining("is not a duration");
  }

  @Test
  void givenUnsetOrBlankVariable_whenRead_thenTheTenSecondDefault() {
    assertThat(SilenceLimit.fromEnvironment(null)).isEqualTo(SilenceLimit.DEFAULT);
    assertThat(SilenceLimit.fromEnvironment(" ")).isEqualTo(SilenceLimit.DEFAULT);
    assertThat(SilenceLimit.DEFAULT.millis()).isEqualTo(10_000);
    assertThat(SilenceLimit.DEFAULT.heartbeatMillis()).isEqualTo(1_000);
    assertThat(SilenceLimit.fromEnvironment("4s").millis()).isEqualTo(4_000);
  }
}
