package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.security.Handshake.Role;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

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

  @Property
  void givenAnyBytesFromPeer_whenHandshake_thenAuthenticationFails(
      @ForAll @Size(max = 300) byte[] peer, @ForAll boolean dialer) {
    assertThatThrownBy(
            () -> side(dialer).run(new ByteArrayInputStream(peer), new ByteArrayOutputStream()))
        .isInstanceOf(AuthenticationException.class);
  }

  @Property
  void givenHonestHelloThenAnyBytes_whenHandshake_thenAuthenticationFails(
      @ForAll @Size(max = 120) byte[] rest, @ForAll boolean dialer) {
    byte[] hello = side(!dialer).hello();
    byte[] peer = new byte[hello.length + rest.length];
    System.arraycopy(hello, 0, peer, 0, hello.length);
    System.arraycopy(rest, 0, peer, hello.length, rest.length);

    assertThatThrownBy(
            () -> side(dialer).run(new ByteArrayInputStream(peer), new ByteArrayOutputStream()))
        .isInstanceOf(AuthenticationException.class);
  }
}
