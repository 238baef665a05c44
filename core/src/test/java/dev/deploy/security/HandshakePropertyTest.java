package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.security.Handshake.Role;
import dev.deploy.testing.Gen;
import dev.deploy.testing.RandomCases;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Timeout;

/**
 * Whatever bytes a peer sends, the handshake never succeeds without the key, and it fails with an
 * {@link AuthenticationException} (an {@link java.io.IOException}), never another exception. The
 * peer is an in-memory stream, so nothing here can block.
 */
class HandshakePropertyTest {
  private static final ClusterKey KEY = ClusterKey.generate();
  private static final InetSocketAddress SELF =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 7000);

  private static Handshake side(boolean dialer) {
    return dialer
        ? Handshake.dialer(
            Role.MASTER, KEY, 0, Role.WORKER, Handshake.target(SELF), FrameProtection.Mode.NONE)
        : Handshake.acceptor(
            Role.WORKER,
            Handshake.Acceptance.daemon(Role.MASTER, KEY, SELF, List.of()),
            FrameProtection.Mode.NONE);
  }

  @RandomCases(1000)
  @Timeout(10)
  void givenAnyBytesFromPeer_whenHandshake_thenAuthenticationFails(Gen gen) {
    byte[] peer = gen.bytes(0, 300);
    boolean dialer = gen.bool();

    assertThatThrownBy(
            () -> side(dialer).run(new ByteArrayInputStream(peer), new ByteArrayOutputStream()))
        .isInstanceOf(AuthenticationException.class);
  }

  @RandomCases(1000)
  @Timeout(10)
  void givenHonestHelloThenAnyBytes_whenHandshake_thenAuthenticationFails(Gen gen) {
    byte[] rest = gen.bytes(0, 120);
    boolean dialer = gen.bool();
    byte[] hello = side(!dialer).hello();
    byte[] peer = new byte[hello.length + rest.length];
    System.arraycopy(hello, 0, peer, 0, hello.length);
    System.arraycopy(rest, 0, peer, hello.length, rest.length);

    assertThatThrownBy(
            () -> side(dialer).run(new ByteArrayInputStream(peer), new ByteArrayOutputStream()))
        .isInstanceOf(AuthenticationException.class);
  }
}
