package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.security.Handshake.Role;
import org.junit.jupiter.api.Test;

/**
 * A process's channel port takes processes of its own deployment that meant it, and no one else.
 */
class CredentialTest {
  private final ClusterKey cluster = ClusterKey.generate();
  private final Credential own = new Credential(cluster.forDeployment(7), 7);
  private final byte[] self = {127, 0, 0, 1, 0x1b, 0x58, 1, 2, 3, 4, 5, 6, 7, 8};
  private final Handshake.Acceptance channels = own.channels(self);

  @Test
  void givenProcessOfTheSameDeployment_whenKeyAsked_thenTheDeploymentsKey() throws Exception {
    assertThat(channels.keyFor(Role.PROCESS, 7)).isEqualTo(cluster.forDeployment(7));
  }

  @Test
  void givenProcessOfAnotherDeployment_whenKeyAsked_thenRefused() {
    assertThatThrownBy(() -> channels.keyFor(Role.PROCESS, 8))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("another deployment");
  }

  @Test
  void givenDaemonRole_whenKeyAsked_thenRefused() {
    assertThatThrownBy(() -> channels.keyFor(Role.MASTER, 7))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("takes processes only");
  }

  @Test
  void givenOwnPid_whenTargetChecked_thenAccepted() throws Exception {
    channels.checkTarget(self.clone());
  }

  @Test
  void givenSameAddressWithAnotherPidKey_whenTargetChecked_thenRefused() {
    byte[] earlier = self.clone();
    earlier[earlier.length - 1] = 9; // the process that had this port before

    assertThatThrownBy(() -> channels.checkTarget(earlier))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("meant another process");
  }

  @Test
  void givenCredential_whenPrinted_thenNoKey() {
    assertThat(own.toString()).isEqualTo("Credential[deployment 7]");
  }
}
