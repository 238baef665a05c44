package dev.deploy.process;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Env}: which variables a launch removes from what its daemon had. */
@Timeout(10)
class EnvTest {
  @Test
  void givenClusterKeyInTheDaemonsEnvironment_whenLaunching_thenItIsRemoved() {
    assertThat(Env.isInternal(Env.CLUSTER_KEY)).isTrue();
    assertThat(Env.CLUSTER_KEY).isEqualTo("DEPLOY_CLUSTER_KEY");
  }

  @Test
  void givenUsersOwnVariables_whenLaunching_thenKept() {
    assertThat(Env.isInternal("SLURMD_NODENAME")).isFalse();
    assertThat(Env.isInternal("DEPLOY_FORMAT")).isFalse();
  }
}
