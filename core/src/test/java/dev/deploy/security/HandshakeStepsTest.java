package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The handshake's steps, as a non-blocking loop calls them, without any I/O. */
class HandshakeStepsTest {
  private final ClusterKey key = ClusterKey.generate();
  private final byte[] dialerNonce = Handshake.newNonce();
  private final byte[] acceptorNonce = Handshake.newNonce();

  @Test
  void givenTwoNewNonces_whenCompared_thenFullLengthAndDifferent() {
    assertThat(dialerNonce).hasSize(Handshake.NONCE).isNotEqualTo(acceptorNonce);
  }

  @Test
  void givenNonce_whenHello_thenMagicVersionAndNonce() {
    byte[] hello = Handshake.hello(dialerNonce);

    assertThat(hello).hasSize(Handshake.HELLO).startsWith('D', 'P', 'L', 'Y', 1);
    assertThat(Arrays.copyOfRange(hello, 5, hello.length)).isEqualTo(dialerNonce);
  }

  @Test
  void givenPeersHello_whenPeerNonce_thenItsNonce() throws Exception {
    assertThat(Handshake.peerNonce(Handshake.hello(acceptorNonce), dialerNonce))
        .isEqualTo(acceptorNonce);
  }

  @Test
  void givenOurOwnHello_whenPeerNonce_thenAuthenticationFails() {
    assertThatThrownBy(() -> Handshake.peerNonce(Handshake.hello(dialerNonce), dialerNonce))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("echoed");
  }

  @Test
  void givenHelloWithWrongMagic_whenPeerNonce_thenAuthenticationFails() {
    byte[] hello = Handshake.hello(acceptorNonce);
    hello[0] = 'X';

    assertThatThrownBy(() -> Handshake.peerNonce(hello, dialerNonce))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("0x58504c59");
  }

  @Test
  void givenHelloWithWrongVersion_whenPeerNonce_thenAuthenticationFails() {
    byte[] hello = Handshake.hello(acceptorNonce);
    hello[4] = 9;

    assertThatThrownBy(() -> Handshake.peerNonce(hello, dialerNonce))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("version 9");
  }

  @Test
  void givenAcceptorsProof_whenDialerChecks_thenAccepted() {
    byte[] proof = Handshake.proofFor(key, false, acceptorNonce, dialerNonce);

    assertThatCode(() -> Handshake.checkProof(key, true, dialerNonce, acceptorNonce, proof))
        .doesNotThrowAnyException();
  }

  @Test
  void givenDialersProof_whenAcceptorChecks_thenAccepted() {
    byte[] proof = Handshake.proofFor(key, true, dialerNonce, acceptorNonce);

    assertThatCode(() -> Handshake.checkProof(key, false, acceptorNonce, dialerNonce, proof))
        .doesNotThrowAnyException();
  }

  @Test
  void givenProofMadeWithTheCheckersOwnRole_whenChecked_thenAuthenticationFails() {
    byte[] reflected = Handshake.proofFor(key, true, acceptorNonce, dialerNonce);

    assertThatThrownBy(() -> Handshake.checkProof(key, true, dialerNonce, acceptorNonce, reflected))
        .isInstanceOf(AuthenticationException.class);
  }

  @Test
  void givenProofForOtherNonces_whenChecked_thenAuthenticationFails() {
    byte[] stale = Handshake.proofFor(key, false, acceptorNonce, Handshake.newNonce());

    assertThatThrownBy(() -> Handshake.checkProof(key, true, dialerNonce, acceptorNonce, stale))
        .isInstanceOf(AuthenticationException.class);
  }

  @Test
  void givenProofUnderAnotherKey_whenChecked_thenAuthenticationFails() {
    byte[] forged = Handshake.proofFor(ClusterKey.generate(), false, acceptorNonce, dialerNonce);

    assertThatThrownBy(() -> Handshake.checkProof(key, true, dialerNonce, acceptorNonce, forged))
        .isInstanceOf(AuthenticationException.class);
  }

  @Test
  void givenShortProof_whenChecked_thenAuthenticationFails() {
    byte[] proof = Handshake.proofFor(key, false, acceptorNonce, dialerNonce);
    byte[] prefix = Arrays.copyOf(proof, 16);

    assertThatThrownBy(() -> Handshake.checkProof(key, true, dialerNonce, acceptorNonce, prefix))
        .isInstanceOf(AuthenticationException.class);
  }
}
