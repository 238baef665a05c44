package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.security.Handshake.Role;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The handshake's steps, as a non-blocking loop calls them, without any I/O. */
class HandshakeStepsTest {
  private final ClusterKey key = ClusterKey.generate();
  private final InetSocketAddress listening =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 7000);
  private final byte[] target = Handshake.target(listening);

  private Handshake dialer() {
    return Handshake.dialer(Role.MASTER, key, 0, Role.WORKER, target, FrameProtection.Mode.NONE);
  }

  private Handshake acceptor() {
    return Handshake.acceptor(
        Role.WORKER,
        Handshake.Acceptance.daemon(Role.MASTER, key, listening, List.of()),
        FrameProtection.Mode.NONE);
  }

  /** Feeds {@code bytes} to {@code h} in the pieces it asks for; returns what it answers. */
  static byte[] feed(Handshake h, byte[] bytes) throws AuthenticationException {
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
    java.io.ByteArrayOutputStream reply = new java.io.ByteArrayOutputStream();
    while (!h.done() && in.remaining() >= h.needed()) {
      byte[] piece = new byte[h.needed()];
      in.get(piece);
      reply.writeBytes(h.receive(piece));
    }
    return reply.toByteArray();
  }

  @Test
  void givenDialer_whenHello_thenMagicVersionNonceRolesAndTarget() {
    byte[] hello = dialer().hello();

    assertThat(hello).hasSize(Handshake.HEADER + target.length).startsWith('D', 'P', 'L', 'Y', 3);
    assertThat(hello[5 + Handshake.NONCE + 1]).isEqualTo((byte) 'm');
    assertThat(hello[5 + Handshake.NONCE + 2]).isEqualTo((byte) 'w');
    assertThat(hello[Handshake.HEADER - 1]).isEqualTo((byte) target.length);
    assertThat(Arrays.copyOfRange(hello, Handshake.HEADER, hello.length)).isEqualTo(target);
  }

  @Test
  void givenTwoHandshakes_whenHellos_thenFreshNonces() {
    assertThat(Arrays.copyOfRange(dialer().hello(), 5, 5 + Handshake.NONCE))
        .isNotEqualTo(Arrays.copyOfRange(dialer().hello(), 5, 5 + Handshake.NONCE));
  }

  @Test
  void givenFreshSide_whenNeeded_thenHeaderThenTargetThenProof() throws Exception {
    Handshake acceptor = acceptor();
    byte[] hello = dialer().hello();
    assertThat(acceptor.needed()).as("magic and version first").isEqualTo(Handshake.PREFIX);

    acceptor.receive(Arrays.copyOf(hello, Handshake.PREFIX));
    assertThat(acceptor.needed()).isEqualTo(Handshake.HEADER - Handshake.PREFIX);

    acceptor.receive(Arrays.copyOfRange(hello, Handshake.PREFIX, Handshake.HEADER));
    assertThat(acceptor.needed()).isEqualTo(target.length);

    byte[] proof = acceptor.receive(Arrays.copyOfRange(hello, Handshake.HEADER, hello.length));
    assertThat(proof).hasSize(Handshake.PROOF);
    assertThat(acceptor.needed()).isEqualTo(Handshake.PROOF);
  }

  @Test
  void givenBothSides_whenStepsInterleave_thenBothDoneWithSameDeploymentAndRoles()
      throws Exception {
    Handshake d = dialer();
    Handshake a = acceptor();
    byte[] dHello = d.hello();
    byte[] aHello = a.hello();

    byte[] aProof = feed(a, dHello);
    byte[] dProof = feed(d, aHello); // the acceptor's hello names no target
    assertThat(d.receive(aProof)).isEmpty();
    assertThat(a.receive(dProof)).isEmpty();

    assertThat(d.done()).isTrue();
    assertThat(a.done()).isTrue();
    assertThat(a.peerRole()).isEqualTo(Role.MASTER);
    assertThat(d.peerRole()).isEqualTo(Role.WORKER);
    assertThat(a.deployment()).isZero();
  }

  @Test
  void givenWrongNumberOfBytes_whenReceive_thenIllegalState() {
    assertThatThrownBy(() -> acceptor().receive(new byte[3]))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("expected " + Handshake.PREFIX);
  }

  @Test
  void givenNotDone_whenProtectionAsked_thenIllegalState() {
    assertThatThrownBy(() -> dialer().protection()).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void givenHelloNamingAnotherTarget_whenAcceptorChecks_thenNoProofAndBothAddressesNamed() {
    byte[] other = Handshake.target(new InetSocketAddress(InetAddress.getLoopbackAddress(), 7001));
    byte[] hello =
        Handshake.dialer(Role.MASTER, key, 0, Role.WORKER, other, FrameProtection.Mode.NONE)
            .hello();
    Handshake a = acceptor();

    assertThatThrownBy(() -> feed(a, hello))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("meant to reach 127.0.0.1:7001")
        .hasMessageContaining("this listener is 127.0.0.1:7000");
  }

  @Test
  void givenHelloNamingUnknownRole_whenReceived_thenRefusedNamingIt() {
    byte[] hello = dialer().hello();
    hello[5 + Handshake.NONCE + 1] = 'z';
    Handshake a = acceptor();

    assertThatThrownBy(() -> feed(a, hello))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("unknown role 0x7a");
  }

  @Test
  void givenHelloAskingUnknownProtection_whenReceived_thenRefused() {
    byte[] hello = dialer().hello();
    hello[5 + Handshake.NONCE] = 9;

    assertThatThrownBy(() -> feed(acceptor(), hello))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("unknown frame protection 9");
  }

  @Test
  void givenHelloClaimingLongTarget_whenReceived_thenRefusedBeforeReadingIt() {
    byte[] hello = dialer().hello();
    hello[Handshake.HEADER - 1] = (byte) 200;

    assertThatThrownBy(() -> feed(acceptor(), hello))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("target of 200 bytes");
  }
}
