package dev.deploy.security;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * What protects the bytes of a connection after its {@link Handshake}: nothing, a tag on every
 * record ({@link Mode#INTEGRITY}: HMAC-SHA256 under a key of this session and direction, truncated
 * to {@link #TAG} bytes, over a record counter and the record), or authenticated encryption ({@link
 * Mode#ENCRYPTION}: AES-256-GCM with the record counter as nonce). The counter makes a replayed,
 * dropped or reordered record fail like a forged one; the per-direction keys make a record
 * reflected back to its sender fail too.
 *
 * <p>A record is a run of bytes the owner chooses (one frame, or a batch of them); {@link #seal}
 * appends the tag, {@link #open} checks and strips it. One thread at a time seals (the writer,
 * under its lock) and one thread opens (the reader); the two directions share nothing.
 */
public final class FrameProtection {
  /** Bytes of a record's tag. */
  public static final int TAG = 16;

  /** How a connection's records are protected, weakest first. */
  public enum Mode {
    /** Nothing after the handshake: for loopback, where no one can write into the stream. */
    NONE(0),
    /** A tag on every record. */
    INTEGRITY(1),
    /** Every record encrypted and tagged. */
    ENCRYPTION(2);

    final byte code;

    Mode(int code) {
      this.code = (byte) code;
    }

    static Mode of(byte code) throws AuthenticationException {
      for (Mode m : values()) {
        if (m.code == code) {
          return m;
        }
      }
      throw new AuthenticationException("the peer asks for unknown frame protection " + code);
    }

    /**
     * Parses {@code auto}, {@code none}, {@code integrity} or {@code encryption}; {@code auto} is
     * {@code null} (decided per connection by {@link #wish}).
     *
     * @throws IllegalArgumentException naming the value and the choices
     */
    public static Mode parse(String text) {
      String t = text.strip().toLowerCase(Locale.ROOT);
      switch (t) {
        case "auto":
        case "":
          return null;
        case "none":
          return NONE;
        case "integrity":
          return INTEGRITY;
        case "encryption":
          return ENCRYPTION;
        default:
          throw new IllegalArgumentException(
              "frame protection must be auto, none, integrity or encryption, not '" + text + "'");
      }
    }

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Returns what this side asks for on a connection: {@code configured} when set, else integrity
   * unless both ends of the connection are loopback addresses.
   */
  public static Mode wish(
      Mode configured, java.net.InetAddress local, java.net.InetAddress remote) {
    if (configured != null) {
      return configured;
    }
    boolean loopback =
        local != null && remote != null && local.isLoopbackAddress() && remote.isLoopbackAddress();
    return loopback ? Mode.NONE : Mode.INTEGRITY;
  }

  /** The name of the environment variable and system property that set the mode of a process. */
  public static final String VARIABLE = "DEPLOY_FRAME_PROTECTION";

  /**
   * Returns the mode {@code DEPLOY_FRAME_PROTECTION} configures in this JVM (null: auto).
   *
   * @throws IllegalArgumentException when it holds no mode
   */
  public static Mode configured() {
    String value = System.getenv(VARIABLE);
    return value == null ? null : Mode.parse(value);
  }

  private static final FrameProtection NONE = new FrameProtection(Mode.NONE, null, null);

  private final Mode mode;
  private final Direction send;
  private final Direction receive;

  private FrameProtection(Mode mode, Direction send, Direction receive) {
    this.mode = mode;
    this.send = send;
    this.receive = receive;
  }

  /** Returns the protection of a connection that has none, for tests and loopback tools. */
  public static FrameProtection none() {
    return NONE;
  }

  static FrameProtection of(Mode mode, byte[] sendKey, byte[] receiveKey) {
    if (mode == Mode.NONE) {
      return NONE;
    }
    return new FrameProtection(
        mode, Direction.of(mode, sendKey, 'S'), Direction.of(mode, receiveKey, 'R'));
  }

  /** Returns the mode. */
  public Mode mode() {
    return mode;
  }

  /** Returns whether records carry a tag ({@link #TAG} bytes each); false for {@link Mode#NONE}. */
  public boolean tagged() {
    return mode != Mode.NONE;
  }

  /**
   * Seals bytes {@code from..to} of {@code buffer} in place and writes the tag at {@code to}; the
   * buffer must have {@link #TAG} bytes of room there. Does nothing for {@link Mode#NONE}.
   */
  public void seal(ByteBuffer buffer, int from, int to) {
    if (send != null) {
      send.seal(buffer, from, to);
    }
  }

  /**
   * Checks the tag at {@code to} over bytes {@code from..to} of {@code buffer} and decrypts them in
   * place.
   *
   * @throws AuthenticationException when the record was not sealed by the peer of this session in
   *     this place of the stream
   */
  public void open(ByteBuffer buffer, int from, int to) throws AuthenticationException {
    if (receive != null) {
      receive.open(buffer, from, to);
    }
  }

  /** One direction: its key and its record counter. */
  private abstract static class Direction {
    /** Records sealed or opened so far; the next one's number. */
    long counter;

    static Direction of(Mode mode, byte[] key, char which) {
      return mode == Mode.ENCRYPTION ? new Gcm(key) : new Hmac(key);
    }

    abstract void seal(ByteBuffer buffer, int from, int to);

    abstract void open(ByteBuffer buffer, int from, int to) throws AuthenticationException;

    final long next() {
      if (counter == Long.MAX_VALUE) {
        throw new IllegalStateException("2^63 records on one connection");
      }
      return counter++;
    }
  }

  /**
   * HMAC-SHA256 on the JDK's SHA-256 (which runs on the processor's SHA instructions where it has
   * them), from pads hashed once: each record costs a clone of two digests.
   */
  private static final class Hmac extends Direction {
    private final MessageDigest inner;
    private final MessageDigest outer;
    private final byte[] counterBytes = new byte[8];
    private final byte[] tag = new byte[TAG];

    Hmac(byte[] key) {
      try {
        inner = MessageDigest.getInstance("SHA-256");
        outer = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new AssertionError("every JDK has SHA-256", e);
      }
      byte[] ipad = new byte[64];
      byte[] opad = new byte[64];
      for (int i = 0; i < 64; i++) {
        byte b = i < key.length ? key[i] : 0;
        ipad[i] = (byte) (b ^ 0x36);
        opad[i] = (byte) (b ^ 0x5c);
      }
      inner.update(ipad);
      outer.update(opad);
    }

    private byte[] mac(long n, ByteBuffer buffer, int from, int to) {
      try {
        MessageDigest in = (MessageDigest) inner.clone();
        for (int i = 0; i < 8; i++) {
          counterBytes[i] = (byte) (n >>> (56 - 8 * i));
        }
        in.update(counterBytes);
        in.update(buffer.duplicate().limit(to).position(from));
        MessageDigest out = (MessageDigest) outer.clone();
        out.update(in.digest());
        System.arraycopy(out.digest(), 0, tag, 0, TAG);
        return tag;
      } catch (CloneNotSupportedException e) {
        throw new AssertionError("the JDK's SHA-256 clones", e);
      }
    }

    @Override
    void seal(ByteBuffer buffer, int from, int to) {
      buffer.put(to, mac(next(), buffer, from, to), 0, TAG);
    }

    @Override
    void open(ByteBuffer buffer, int from, int to) throws AuthenticationException {
      byte[] expected = mac(next(), buffer, from, to);
      byte[] got = new byte[TAG];
      buffer.get(to, got);
      if (!MessageDigest.isEqual(expected, got)) {
        throw new AuthenticationException(
            "a record failed its integrity check: the stream was altered or injected");
      }
    }
  }

  /** AES-256-GCM; the JDK's cipher is loaded only by connections that ask for encryption. */
  private static final class Gcm extends Direction {
    private final javax.crypto.spec.SecretKeySpec key;
    private final javax.crypto.Cipher cipher;

    Gcm(byte[] key) {
      this.key = new javax.crypto.spec.SecretKeySpec(key, "AES");
      try {
        this.cipher = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("this JVM has no AES-GCM: " + e.getMessage(), e);
      }
    }

    private void init(int opmode, long n) throws GeneralSecurityException {
      byte[] nonce = ByteBuffer.allocate(12).putInt(0).putLong(n).array();
      cipher.init(opmode, key, new javax.crypto.spec.GCMParameterSpec(8 * TAG, nonce));
    }

    @Override
    void seal(ByteBuffer buffer, int from, int to) {
      try {
        init(javax.crypto.Cipher.ENCRYPT_MODE, next());
        byte[] plain = new byte[to - from];
        buffer.get(from, plain);
        byte[] sealed = cipher.doFinal(plain);
        buffer.put(from, sealed);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-GCM failed to seal: " + e.getMessage(), e);
      }
    }

    @Override
    void open(ByteBuffer buffer, int from, int to) throws AuthenticationException {
      byte[] sealed = new byte[to - from + TAG];
      buffer.get(from, sealed);
      byte[] plain;
      try {
        init(javax.crypto.Cipher.DECRYPT_MODE, next());
        plain = cipher.doFinal(sealed);
      } catch (javax.crypto.AEADBadTagException e) {
        throw new AuthenticationException(
            "a record failed its integrity check: the stream was altered or injected");
      } catch (GeneralSecurityException e) {
        throw new AuthenticationException("a record could not be decrypted: " + e.getMessage());
      }
      buffer.put(from, plain);
    }
  }
}
