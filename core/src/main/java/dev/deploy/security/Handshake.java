package dev.deploy.security;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual challenge–response over the cluster key, run on a fresh connection before any frame is
 * read. Both sides send {@code MAGIC, version, 32-byte nonce}; then each sends {@code
 * HMAC-SHA256(key, role || own nonce || peer nonce)} where the role byte differs for the side
 * that dialled and the side that accepted, so a proof can be neither replayed (the peer's nonce
 * is fresh) nor reflected back (the role differs). A peer that sends anything else fails with
 * {@link AuthenticationException}; nothing it sent is acted on.
 *
 * <p>Blocking; runs on the thread that owns the connection. Stateless and thread safe.
 */
public final class Handshake {
  /** The first bytes of every deploy connection: "DPLY". */
  static final int MAGIC = 0x44504C59;

  /** The protocol version this code speaks. */
  static final int VERSION = 1;

  static final int NONCE = 32;
  static final int PROOF = 32;
  private static final byte DIALER = 'D';
  private static final byte ACCEPTOR = 'A';
  private static final SecureRandom RANDOM = new SecureRandom();

  private Handshake() {}

  /**
   * Runs the handshake as the side that dialled ({@code dialer} true) or accepted.
   *
   * @throws AuthenticationException when the peer does not prove the key or speaks another
   *     protocol
   * @throws IOException when the connection fails
   */
  public static void run(ClusterKey key, InputStream in, OutputStream out, boolean dialer)
      throws IOException {
    byte[] own = new byte[NONCE];
    RANDOM.nextBytes(own);
    byte[] hello = new byte[4 + 1 + NONCE];
    hello[0] = (byte) (MAGIC >>> 24);
    hello[1] = (byte) (MAGIC >>> 16);
    hello[2] = (byte) (MAGIC >>> 8);
    hello[3] = (byte) MAGIC;
    hello[4] = VERSION;
    System.arraycopy(own, 0, hello, 5, NONCE);
    out.write(hello);
    out.flush();

    DataInputStream data = new DataInputStream(in);
    byte[] peerHello = readFully(data, hello.length);
    int magic =
        ((peerHello[0] & 0xFF) << 24)
            | ((peerHello[1] & 0xFF) << 16)
            | ((peerHello[2] & 0xFF) << 8)
            | (peerHello[3] & 0xFF);
    if (magic != MAGIC) {
      throw new AuthenticationException(
          String.format("the peer does not speak deploy (first bytes 0x%08x)", magic));
    }
    if (peerHello[4] != VERSION) {
      throw new AuthenticationException(
          "the peer speaks deploy protocol version " + peerHello[4] + ", this is " + VERSION);
    }
    byte[] peer = new byte[NONCE];
    System.arraycopy(peerHello, 5, peer, 0, NONCE);
    if (MessageDigest.isEqual(own, peer)) {
      throw new AuthenticationException("the peer echoed our nonce");
    }

    byte ownRole = dialer ? DIALER : ACCEPTOR;
    byte peerRole = dialer ? ACCEPTOR : DIALER;
    out.write(proof(key, ownRole, own, peer));
    out.flush();
    byte[] peerProof = readFully(data, PROOF);
    if (!MessageDigest.isEqual(peerProof, proof(key, peerRole, peer, own))) {
      throw new AuthenticationException("the peer does not know the cluster key");
    }
  }

  /** Returns HMAC-SHA256(key, role || first || second). */
  static byte[] proof(ClusterKey key, byte role, byte[] first, byte[] second) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.bytes(), "HmacSHA256"));
      mac.update("deploy-auth-v1".getBytes(StandardCharsets.US_ASCII));
      mac.update(role);
      mac.update(first);
      mac.update(second);
      return mac.doFinal();
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("this JVM has no HmacSHA256", e);
    }
  }

  private static byte[] readFully(DataInputStream in, int n) throws IOException {
    byte[] bytes = new byte[n];
    try {
      in.readFully(bytes);
    } catch (EOFException e) {
      throw new AuthenticationException("the peer closed the connection during the handshake");
    }
    return bytes;
  }
}
