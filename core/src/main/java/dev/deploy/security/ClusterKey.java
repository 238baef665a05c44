package dev.deploy.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The shared secret of a cluster or of one local run: 32 random bytes. Every connection proves
 * knowledge of it before anything else is read (see {@link Handshake}). Written to files and
 * environment variables as 64 lowercase hex characters.
 */
public final class ClusterKey {
  /** Bytes in a key. */
  public static final int LENGTH = 32;

  /** The secret; never exposed, never mutated. */
  private final byte[] secret;

  private ClusterKey(byte[] secret) {
    this.secret = secret;
  }

  /** Returns a fresh random key. */
  public static ClusterKey generate() {
    byte[] bytes = new byte[LENGTH];
    Nonces.fill(bytes);
    return new ClusterKey(bytes);
  }

  /**
   * Parses 64 hex characters (surrounding white space ignored).
   *
   * @throws IllegalArgumentException when the text is not 64 hex characters; the message does not
   *     repeat the text, which may be a secret
   */
  public static ClusterKey fromHex(String text) {
    String hex = text.strip();
    if (hex.length() != 2 * LENGTH) {
      throw new IllegalArgumentException(
          "a cluster key is " + 2 * LENGTH + " hex characters, not " + hex.length());
    }
    try {
      return new ClusterKey(HexFormat.of().parseHex(hex));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a cluster key holds only hex characters 0-9 a-f");
    }
  }

  /**
   * Reads a key file.
   *
   * @throws IOException naming the file when it cannot be read or does not hold a key
   */
  public static ClusterKey read(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IOException("cannot read the key file " + file + ": " + e.getMessage(), e);
    }
    try {
      return fromHex(text);
    } catch (IllegalArgumentException e) {
      throw new IOException("the key file " + file + " does not hold a key: " + e.getMessage());
    }
  }

  /**
   * Returns the key of one deployment, derived from this cluster key: its processes hold it instead
   * of the cluster key, so it opens their own channels and their fabric's control port for that
   * deployment, and nothing else.
   */
  public ClusterKey forDeployment(long deployment) {
    byte[] id = java.nio.ByteBuffer.allocate(8).putLong(deployment).array();
    return new ClusterKey(Sha256.hmac(secret, DEPLOYMENT, id));
  }

  private static final byte[] DEPLOYMENT =
      "deploy-deployment-v1".getBytes(StandardCharsets.US_ASCII);

  /**
   * Returns the token of the live view and {@code /metrics} on a non-loopback address: 32 hex
   * characters of an HMAC of a fixed label under this key, so whoever holds the key can derive it
   * and the token reveals nothing of the key.
   */
  public String uiToken() {
    return HexFormat.of().formatHex(Arrays.copyOf(Sha256.hmac(secret, UI), 16));
  }

  private static final byte[] UI = "deploy-ui-v1".getBytes(StandardCharsets.US_ASCII);

  /** Returns the key as 64 hex characters, for a key file or a child's environment. */
  public String toHex() {
    return HexFormat.of().formatHex(secret);
  }

  /** Returns a copy of the secret bytes, for the HMAC. */
  byte[] bytes() {
    return secret.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClusterKey other && Arrays.equals(secret, other.secret);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(secret);
  }

  /** Never prints the secret. */
  @Override
  public String toString() {
    return "ClusterKey[****]";
  }
}
