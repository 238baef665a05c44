package dev.deploy.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(5)
class LocalRunTest {
  @Test
  void givenNoSetting_whenCgroups_thenOnByDefault() {
    assertThat(LocalRun.cgroups(null)).isTrue();
    assertThat(LocalRun.cgroups("")).isTrue();
    assertThat(LocalRun.cgroups("1")).isTrue();
  }

  @Test
  void givenZero_whenCgroups_thenOff() {
    assertThat(LocalRun.cgroups("0")).isFalse();
    assertThat(LocalRun.cgroups(" 0 ")).isFalse();
  }

  @Test
  void givenOtherValue_whenCgroups_thenUsageErrorNamingIt() {
    assertThatThrownBy(() -> LocalRun.cgroups("yes"))
        .isInstanceOf(LocalRun.LocalRunException.class)
        .hasMessage("DEPLOY_CGROUPS must be 0 (no cgroups) or 1 (the default), not \"yes\"")
        .satisfies(e -> assertThat(((LocalRun.LocalRunException) e).code).isEqualTo(2));
  }

  @Test
  void givenReasonOnSeveralLines_whenWithoutCgroups_thenOneLineSayingHowToSilenceIt() {
    String line = LocalRun.withoutCgroups("cgroup v2 group /a holds this JVM\n  and more\n");

    assertThat(line)
        .startsWith("deploy: processes run without cgroups")
        .contains("cgroup v2 group /a holds this JVM and more")
        .endsWith("(DEPLOY_CGROUPS=0 turns cgroups off)")
        .doesNotContain("\n");
  }
}
