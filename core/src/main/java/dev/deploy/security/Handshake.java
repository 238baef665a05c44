package dev.deploy.security;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Mutual challenge–response over the cluster key, run on a fresh connection before any frame is
 * read. Both sides send {@code MAGIC, version, 32-byte nonce} ({@link #HELLO} bytes); then each
 * sends {@code HMAC-SHA256(key, label || role || own nonce || peer nonce)} ({@link #PROOF} bytes)
 * where the role byte differs for the side that dialled and the side that accepted, so a proof can
 * be neither replayed (the peer's nonce is fresh) nor reflected back (the role differs). A peer
 * that sends anything else fails with {@link AuthenticationException}; nothing it sent is acted on.
 *
 * <p>{@link #run} is the blocking form; the static steps let a non-blocking loop run the same
 * exchange. Stateless and thread safe.
 */
public final class Handshake {
  /** The first bytes of every deploy connection: "DPLY". */
  static final int MAGIC = 0x44504C59;

  /** The protocol version this code speaks. */
  static final int VERSION = 1;

  /** Bytes of a nonce. */
  public static final int NONCE = 32;

  /** Bytes of a hello: magic, version, nonce. */
  public static final int HELLO = 4 + 1 + NONCE;

  /** Bytes of a proof. */
  public static final int PROOF = 32;

  private static final byte DIALER = 'D';
  private static final byte ACCEPTOR = 'A';
  private static final byte[] LABEL = "deploy-auth-v1".getBytes(StandardCharsets.US_ASCII);

  private Handshake() {}

  /**
   * Runs the handshake as the side that dialled ({@code dialer} true) or accepted.
   *
   * @throws AuthenticationException when the peer does not prove the key or speaks another protocol
   * @throws IOException when the connection fails
   */
  public static void run(ClusterKey key, InputStream in, OutputStream out, boolean dialer)
      throws IOException {
    byte[] own = newNonce();
    out.write(hello(own));
    out.flush();
    DataInputStream data = new DataInputStream(in);
    byte[] peer = peerNonce(readFully(data, HELLO), own);
    out.write(proofFor(key, dialer, own, peer));
    out.flush();
    checkProof(key, dialer, own, peer, readFully(data, PROOF));
  }

  /** Returns a fresh nonce. */
  public static byte[] newNonce() {
    byte[] nonce = new byte[NONCE];
    Nonces.fill(nonce);
    return nonce;
  }

  /** Returns the hello that carries {@code nonce}. */
  public static byte[] hello(byte[] nonce) {
    byte[] hello = new byte[HELLO];
    hello[0] = (byte) (MAGIC >>> 24);
    hello[1] = (byte) (MAGIC >>> 16);
    hello[2] = (byte) (MAGIC >>> 8);
    hello[3] = (byte) MAGIC;
    hello[4] = VERSION;
    System.arraycopy(nonce, 0, hello, 5, NONCE);
    return hello;
  }

  /**
   * Checks the peer's hello and returns its nonce.
   *
   * @throws AuthenticationException on a wrong magic or version, or our own nonce echoed
   */
  public static byte[] peerNonce(byte[] peerHello, byte[] own) throws AuthenticationException {
    if (peerHello.length != HELLO) {
      throw new AuthenticationException(
          "the peer's hello has " + peerHello.length + " bytes, not " + HELLO);
    }
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
    return peer;
  }

  /** Returns our proof: we know the key, for this exchange of nonces. */
  public static byte[] proofFor(ClusterKey key, boolean dialer, byte[] own, byte[] peer) {
    return proof(key, dialer ? DIALER : ACCEPTOR, own, peer);
  }

  /**
   * Checks the peer's proof.
   *
   * @throws AuthenticationException when the peer does not know the key
   */
  public static void checkProof(
      ClusterKey key, boolean dialer, byte[] own, byte[] peer, byte[] peerProof)
      throws AuthenticationException {
    byte[] expected = proof(key, dialer ? ACCEPTOR : DIALER, peer, own);
    if (!MessageDigest.isEqual(peerProof, expected)) {
      throw new AuthenticationException("the peer does not know the cluster key");
    }
  }

  /** Returns HMAC-SHA256(key, label || role || first || second). */
  static byte[] proof(ClusterKey key, byte role, byte[] first, byte[] second) {
    return Sha256.hmac(key.bytes(), LABEL, new byte[] {role}, first, second);
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
