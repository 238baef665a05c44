package dev.deploy.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ExitCodeRuleTest {
  private final ExitCodeRule rule = new ExitCodeRule();

  @Test
  void givenNoExits_whenAsked_thenZero() {
    assertThat(rule.code()).isZero();
  }

  @Test
  void givenAllExitedZero_whenAsked_thenZero() {
    rule.onExit(ExitStatus.exited(0));
    rule.onExit(ExitStatus.exited(0));
    rule.onExit(ExitStatus.exited(0));

    assertThat(rule.code()).isZero();
  }

  @Test
  void givenSignalFirstThenCode_whenAsked_thenSignalShellCode() {
    rule.onExit(ExitStatus.exited(0));
    rule.onExit(ExitStatus.killed(9));
    rule.onExit(ExitStatus.exited(3));

    assertThat(rule.code()).isEqualTo(137);
  }

  @Test
  void givenCodeFirstThenSignal_whenAsked_thenFirstCode() {
    rule.onExit(ExitStatus.exited(3));
    rule.onExit(ExitStatus.killed(15));

    assertThat(rule.code()).isEqualTo(3);
  }

  @Test
  void givenLostFirst_whenAsked_thenOne() {
    rule.onExit(ExitStatus.lost());
    rule.onExit(ExitStatus.exited(2));

    assertThat(rule.code()).isEqualTo(1);
  }

  @Test
  void givenFailureThenSuccesses_whenAsked_thenFailureKept() {
    rule.onExit(ExitStatus.exited(42));
    rule.onExit(ExitStatus.exited(0));

    assertThat(rule.code()).isEqualTo(42);
  }
}
