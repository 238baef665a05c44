package dev.deploy.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SignalNamesTest {
  @Test
  void givenNine_whenNamed_thenSigkill() {
    assertThat(SignalNames.name(9)).isEqualTo("SIGKILL");
  }

  @Test
  void givenStandardNumbers_whenNamed_thenLinuxNames() {
    assertThat(SignalNames.name(1)).isEqualTo("SIGHUP");
    assertThat(SignalNames.name(2)).isEqualTo("SIGINT");
    assertThat(SignalNames.name(6)).isEqualTo("SIGABRT");
    assertThat(SignalNames.name(11)).isEqualTo("SIGSEGV");
    assertThat(SignalNames.name(15)).isEqualTo("SIGTERM");
    assertThat(SignalNames.name(16)).isEqualTo("SIGSTKFLT");
    assertThat(SignalNames.name(31)).isEqualTo("SIGSYS");
  }

  @Test
  void givenUnknownNumber_whenNamed_thenSigAndNumber() {
    assertThat(SignalNames.name(40)).isEqualTo("SIG40");
    assertThat(SignalNames.name(0)).isEqualTo("SIG0");
  }

  @Test
  void givenSigterm_whenNumbered_thenFifteen() {
    assertThat(SignalNames.number("SIGTERM")).isEqualTo(15);
  }

  @Test
  void givenEveryName_whenNumbered_thenInverseOfName() {
    for (int signal = 1; signal <= 64; signal++) {
      assertThat(SignalNames.number(SignalNames.name(signal))).isEqualTo(signal);
    }
  }

  @Test
  void givenUnknownName_whenNumbered_thenRefusedNamingIt() {
    assertThatThrownBy(() -> SignalNames.number("SIGFOO"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SIGFOO");
  }

  @Test
  void givenNameWithoutNumber_whenNumbered_thenRefused() {
    assertThatThrownBy(() -> SignalNames.number("SIG"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SignalNames.number("SIG-1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SignalNames.number("SIG0"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
