package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
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

  @Property
  void givenAnyBytesFromPeer_whenHandshake_thenAuthenticationFails(
      @ForAll @Size(max = 200) byte[] peer, @ForAll boolean dialer) {
    assertThatThrownBy(
            () ->
                Handshake.run(
                    KEY, new ByteArrayInputStream(peer), new ByteArrayOutputStream(), dialer))
        .isInstanceOf(AuthenticationException.class);
  }

  @Property
  void givenValidHelloThenAnyBytes_whenHandshake_thenAuthenticationFails(
      @ForAll @Size(min = Handshake.NONCE, max = 120) byte[] rest, @ForAll boolean dialer) {
    byte[] peer = new byte[5 + rest.length];
    peer[0] = 'D';
    peer[1] = 'P';
    peer[2] = 'L';
    peer[3] = 'Y';
    peer[4] = Handshake.VERSION;
    System.arraycopy(rest, 0, peer, 5, rest.length);

    assertThatThrownBy(
            () ->
                Handshake.run(
                    KEY, new ByteArrayInputStream(peer), new ByteArrayOutputStream(), dialer))
        .isInstanceOf(AuthenticationException.class);
  }
}
