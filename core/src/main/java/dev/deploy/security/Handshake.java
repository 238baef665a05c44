package dev.deploy.security;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The mutual challenge–response that opens every deploy connection, bound to the connection it runs
 * on. Both sides send a hello at once; each then sends a proof; nothing else is read before both
 * proofs check. A hello is
 *
 * <pre>
 *   u32 magic "DPLY" · u8 version · nonce[32] · u8 protection · u8 role · u8 peer role
 *   · u64 deployment · u8 target length · target[length]
 * </pre>
 *
 * The dialler's hello names whom it meant to reach: the role it expects, the target (the address it
 * dialled, or a process's whole pid) and the key it proves (the cluster key, deployment 0, or the
 * key {@link ClusterKey#forDeployment derived} for one deployment). The acceptor checks all three
 * against itself <em>before</em> it sends its proof, so a proof made for one connection is worth
 * nothing on another: whoever is dialled by a key holder cannot pass the dialler's proof on to a
 * different listener (a relay), nor present it in another role. Each proof is {@code
 * HMAC-SHA256(key, label || side || dialer's hello || acceptor's hello)} with fresh nonces in both
 * hellos, so it can be neither replayed nor reflected (the side byte differs). Session keys for
 * {@link FrameProtection} are derived from the same transcript.
 *
 * <p>An instance is one side of one exchange and is not thread safe. The blocking form is {@link
 * #run}; a non-blocking loop calls {@link #hello}, then feeds exactly {@link #needed} bytes at a
 * time to {@link #receive} and sends what it returns, until {@link #done}.
 */
public final class Handshake {
  /** The first bytes of every deploy connection: "DPLY". */
  static final int MAGIC = 0x44504C59;

  /**
   * The protocol version this code speaks; 1 was the unbound handshake, 2 had no resume of a
   * stalled channel connection (RESUME, RESUMED).
   */
  static final int VERSION = 3;

  /** Bytes of a nonce. */
  public static final int NONCE = 32;

  /** Bytes of a hello's magic and version. */
  static final int PREFIX = 5;

  /** Bytes of a hello before its target. */
  public static final int HEADER = 4 + 1 + NONCE + 1 + 1 + 1 + 8 + 1;

  /** The longest target a hello may name. */
  public static final int MAX_TARGET = 64;

  /** The most bytes a hello may have. */
  public static final int MAX_HELLO = HEADER + MAX_TARGET;

  /** Bytes of a proof. */
  public static final int PROOF = 32;

  private static final byte DIALER = 'D';
  private static final byte ACCEPTOR = 'A';
  private static final byte[] AUTH = "deploy-auth-v2".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SESSION = "deploy-session-v2".getBytes(StandardCharsets.US_ASCII);

  /** What each end of a connection is; a proof names both, so it is good for one pairing only. */
  public enum Role {
    /** A program's process: channels, and the control connection to its fabric. */
    PROCESS('p', "a process"),
    /** A fabric's control port, which its processes dial. */
    FABRIC('f', "a fabric's control port"),
    /** The master, dialling a worker. */
    MASTER('m', "a cluster's master"),
    /** A worker daemon. */
    WORKER('w', "a worker (fabric)"),
    /** The {@code deploy} client, dialling a bridge. */
    CLIENT('c', "a deploy client"),
    /** A cluster's bridge, which {@code deploy} dials. */
    BRIDGE('b', "a bridge (fabric master)");

    final byte code;

    /** What it is, for messages: "a worker (fabric)". */
    final String description;

    Role(char code, String description) {
      this.code = (byte) code;
      this.description = description;
    }

    static Role of(byte code) throws AuthenticationException {
      for (Role r : values()) {
        if (r.code == code) {
          return r;
        }
      }
      throw new AuthenticationException("the peer names an unknown role 0x" + hex(code));
    }

    /** Returns the role's name as logs print it. */
    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The dialler reached a listener in another role than it meant: a mistyped address. */
  public static final class WrongRoleException extends AuthenticationException {
    private static final long serialVersionUID = 1L;

    private final transient Role found;

    WrongRoleException(Role found, Role expected) {
      super("it is " + found.description + ", not " + expected.description);
      this.found = found;
    }

    /** Returns the role the peer has. */
    public Role found() {
      return found;
    }
  }

  /**
   * What an acceptor accepts: which key a dialler of a role may prove and whether a target is this
   * listener. Called during the handshake, before anything the peer sent is trusted.
   */
  public interface Acceptance {
    /**
     * Returns the key a dialler in {@code role} must prove for {@code deployment} (0: the cluster
     * key).
     *
     * @throws AuthenticationException naming the refusal when this listener takes no such dialler
     */
    ClusterKey keyFor(Role role, long deployment) throws AuthenticationException;

    /**
     * Checks that the dialler meant to reach this listener.
     *
     * @throws AuthenticationException naming both when {@code target} is somebody else
     */
    void checkTarget(byte[] target) throws AuthenticationException;

    /**
     * A daemon's listener: takes diallers in {@code dialer} role that prove the cluster {@code key}
     * and meant the address the connection was accepted on ({@code local}) or one of {@code
     * advertised} (names are resolved only when the peer did not mean {@code local}).
     */
    static Acceptance daemon(
        Role dialer,
        ClusterKey key,
        InetSocketAddress local,
        java.util.Collection<InetSocketAddress> advertised) {
      return daemon(java.util.Set.of(dialer), key, local, advertised);
    }

    /**
     * As {@link #daemon(Role, ClusterKey, InetSocketAddress, java.util.Collection)}, taking
     * diallers in any of the {@code dialers} roles: the master's port, which deploy clients and
     * joining workers both dial (the handshake's role tells them apart).
     */
    static Acceptance daemon(
        java.util.Set<Role> dialers,
        ClusterKey key,
        InetSocketAddress local,
        java.util.Collection<InetSocketAddress> advertised) {
      String takes =
          dialers.stream()
              .map(Role::toString)
              .sorted()
              .collect(java.util.stream.Collectors.joining(" or a "));
      byte[] arrivedOn = target(local);
      java.util.List<InetSocketAddress> names = java.util.List.copyOf(advertised);
      return new Acceptance() {
        @Override
        public ClusterKey keyFor(Role role, long deployment) throws AuthenticationException {
          if (!dialers.contains(role)) {
            throw new AuthenticationException(
                "a " + role + " dialled this listener, which takes a " + takes + " only");
          }
          if (deployment != 0) {
            throw new AuthenticationException(
                "the peer proves the key of a deployment, and this listener takes the cluster"
                    + " key only");
          }
          return key;
        }

        @Override
        public void checkTarget(byte[] target) throws AuthenticationException {
          if (Arrays.equals(arrivedOn, target)) {
            return; // the usual case: no name is looked up on the listener's thread
          }
          for (InetSocketAddress a : names) {
            InetSocketAddress resolved =
                a.isUnresolved() ? new InetSocketAddress(a.getHostString(), a.getPort()) : a;
            if (!resolved.isUnresolved() && Arrays.equals(target(resolved), target)) {
              return; // dialled by the advertised name, through a NAT or a service address
            }
          }
          throw new AuthenticationException(
              "the peer meant to reach "
                  + describe(target)
                  + ", and this listener is "
                  + describe(arrivedOn));
        }
      };
    }
  }

  private final boolean dialer;
  private final Role role;
  private final FrameProtection.Mode wish;

  /** Dialler only: what it proves and whom it means. */
  private final ClusterKey dialKey;

  private final long deployment;
  private final Role expected;
  private final byte[] target;

  /** Acceptor only. */
  private final Acceptance acceptance;

  private final byte[] ownHello;

  /** The peer's magic and version, checked first so a foreign protocol is refused at once. */
  private byte[] peerPrefix;

  private byte[] peerHeader;
  private byte[] peerHello;
  private ClusterKey key;
  private long peerDeployment;
  private Role peerRole;
  private boolean done;

  private Handshake(
      boolean dialer,
      Role role,
      FrameProtection.Mode wish,
      ClusterKey dialKey,
      long deployment,
      Role expected,
      byte[] target,
      Acceptance acceptance) {
    this.dialer = dialer;
    this.role = role;
    this.wish = wish;
    this.dialKey = dialKey;
    this.deployment = deployment;
    this.expected = expected;
    this.target = target;
    this.acceptance = acceptance;
    this.ownHello = hello(newNonce(), wish, role, expected, deployment, target);
    this.key = dialKey;
  }

  /**
   * The side that dialled: proves {@code key} (of {@code deployment}, 0 for the cluster key) to a
   * peer that must be {@code expected} and mean {@code target} (see {@link #target}).
   */
  public static Handshake dialer(
      Role role,
      ClusterKey key,
      long deployment,
      Role expected,
      byte[] target,
      FrameProtection.Mode wish) {
    if (target.length > MAX_TARGET) {
      throw new IllegalArgumentException(
          "a handshake target has at most " + MAX_TARGET + " bytes, not " + target.length);
    }
    return new Handshake(true, role, wish, key, deployment, expected, target.clone(), null);
  }

  /** The side that accepted, as {@code role}, taking the diallers that {@code acceptance} takes. */
  public static Handshake acceptor(Role role, Acceptance acceptance, FrameProtection.Mode wish) {
    return new Handshake(false, role, wish, null, 0, null, new byte[0], acceptance);
  }

  /** Returns the target that names a listening address: its IP bytes and port. */
  public static byte[] target(InetSocketAddress address) {
    if (address.isUnresolved()) {
      throw new IllegalArgumentException("unresolved address " + address);
    }
    byte[] ip = address.getAddress().getAddress();
    return ByteBuffer.allocate(ip.length + 2).put(ip).putShort((short) address.getPort()).array();
  }

  /** Returns a target for messages: hex of its bytes. */
  static String describe(byte[] target) {
    if (target.length == 6 || target.length == 18) {
      try {
        byte[] ip = Arrays.copyOf(target, target.length - 2);
        int port = ((target[target.length - 2] & 0xFF) << 8) | (target[target.length - 1] & 0xFF);
        return new InetSocketAddress(java.net.InetAddress.getByAddress(ip), port)
            .toString()
            .replaceFirst("^/", "");
      } catch (java.net.UnknownHostException e) {
        throw new AssertionError(e);
      }
    }
    return HexFormat.of().formatHex(target);
  }

  /** Returns this side's hello, to send first. */
  public byte[] hello() {
    return ownHello.clone();
  }

  /** Returns how many bytes {@link #receive} needs next; 0 once done. */
  public int needed() {
    if (done) {
      return 0;
    }
    if (peerPrefix == null) {
      return PREFIX;
    }
    if (peerHeader == null) {
      return HEADER - PREFIX;
    }
    if (peerHello == null) {
      return peerHeader[HEADER - 1] & 0xFF;
    }
    return PROOF;
  }

  /**
   * Takes exactly {@link #needed} bytes from the peer and returns what to send now (often nothing).
   *
   * @throws AuthenticationException when the peer speaks another protocol, is not whom the dialler
   *     meant, or does not prove the key; nothing it sent may be acted on
   */
  public byte[] receive(byte[] bytes) throws AuthenticationException {
    if (bytes.length != needed()) {
      throw new IllegalStateException("expected " + needed() + " bytes, got " + bytes.length);
    }
    if (peerPrefix == null) {
      checkPrefix(bytes);
      peerPrefix = bytes;
      return new byte[0];
    }
    if (peerHeader == null) {
      bytes = ByteBuffer.allocate(HEADER).put(peerPrefix).put(bytes).array();
      checkHeader(bytes);
      peerHeader = bytes;
      if (needed() > 0) {
        return new byte[0];
      }
      bytes = new byte[0];
    }
    if (peerHello == null) {
      int targetLength = peerHeader[HEADER - 1] & 0xFF;
      peerHello = ByteBuffer.allocate(HEADER + targetLength).put(peerHeader).put(bytes).array();
      return onPeerHello(Arrays.copyOfRange(peerHello, HEADER, peerHello.length));
    }
    byte[] expectedProof = proof(dialer ? ACCEPTOR : DIALER);
    if (!MessageDigest.isEqual(bytes, expectedProof)) {
      throw new AuthenticationException(
          "the peer proves another key than this side's: the two do not share one cluster key");
    }
    done = true;
    return new byte[0];
  }

  private static void checkPrefix(byte[] h) throws AuthenticationException {
    int magic = ByteBuffer.wrap(h).getInt();
    if (magic != MAGIC) {
      throw new AuthenticationException(
          String.format("the peer does not speak deploy (first bytes 0x%08x)", magic));
    }
    if (h[4] != VERSION) {
      throw new AuthenticationException(
          "the peer speaks deploy protocol version "
              + h[4]
              + ", this is "
              + VERSION
              + "; run the same deploy version everywhere");
    }
  }

  private void checkHeader(byte[] h) throws AuthenticationException {
    if (MessageDigest.isEqual(
        Arrays.copyOfRange(h, 5, 5 + NONCE), Arrays.copyOfRange(ownHello, 5, 5 + NONCE))) {
      throw new AuthenticationException("the peer echoed our nonce");
    }
    if ((h[HEADER - 1] & 0xFF) > MAX_TARGET) {
      throw new AuthenticationException(
          "the peer's hello names a target of " + (h[HEADER - 1] & 0xFF) + " bytes");
    }
    FrameProtection.Mode.of(h[5 + NONCE]); // refuses unknown codes
  }

  /** Checks the peer's hello against whom we are or meant; returns our proof. */
  private byte[] onPeerHello(byte[] peerTarget) throws AuthenticationException {
    ByteBuffer h = ByteBuffer.wrap(peerHello);
    peerRole = Role.of(h.get(5 + NONCE + 1));
    byte peerExpects = h.get(5 + NONCE + 2);
    peerDeployment = h.getLong(5 + NONCE + 3);
    if (dialer) {
      if (peerRole != expected) {
        throw new WrongRoleException(peerRole, expected);
      }
    } else {
      if (peerExpects != role.code) {
        throw new AuthenticationException(
            "the peer dialled a " + roleName(peerExpects) + ", and this is a " + role);
      }
      acceptance.checkTarget(peerTarget);
      key = acceptance.keyFor(peerRole, peerDeployment);
    }
    return proof(dialer ? DIALER : ACCEPTOR);
  }

  private static String roleName(byte code) {
    try {
      return Role.of(code).toString();
    } catch (AuthenticationException e) {
      return "role 0x" + hex(code);
    }
  }

  private byte[] proof(byte side) {
    return Sha256.hmac(key.bytes(), AUTH, new byte[] {side}, transcriptFirst(), transcriptSecond());
  }

  private byte[] transcriptFirst() {
    return dialer ? ownHello : peerHello;
  }

  private byte[] transcriptSecond() {
    return dialer ? peerHello : ownHello;
  }

  /** Returns whether both proofs checked. */
  public boolean done() {
    return done;
  }

  /** Returns the peer's role; once done. */
  public Role peerRole() {
    requireDone();
    return peerRole;
  }

  /** Returns the deployment whose key the dialler proved (0: the cluster key); once done. */
  public long deployment() {
    requireDone();
    return dialer ? deployment : peerDeployment;
  }

  /**
   * Returns the protection of every frame after the handshake: the stronger of both sides' wishes,
   * with keys derived from this exchange, one per direction; once done.
   */
  public FrameProtection protection() {
    requireDone();
    FrameProtection.Mode peerWish;
    try {
      peerWish = FrameProtection.Mode.of(peerHello[5 + NONCE]);
    } catch (AuthenticationException e) {
      throw new AssertionError("checked with the header", e);
    }
    FrameProtection.Mode mode = wish.ordinal() >= peerWish.ordinal() ? wish : peerWish;
    byte[] toAcceptor = sessionKey(DIALER);
    byte[] toDialer = sessionKey(ACCEPTOR);
    return FrameProtection.of(mode, dialer ? toAcceptor : toDialer, dialer ? toDialer : toAcceptor);
  }

  private byte[] sessionKey(byte from) {
    return Sha256.hmac(
        key.bytes(), SESSION, new byte[] {from}, transcriptFirst(), transcriptSecond());
  }

  private void requireDone() {
    if (!done) {
      throw new IllegalStateException("the handshake is not done");
    }
  }

  /**
   * Runs the whole exchange over blocking streams and returns the protection of what follows.
   *
   * @throws AuthenticationException when the peer does not prove the key, is not whom was meant, or
   *     speaks another protocol
   * @throws IOException when the connection fails
   */
  public FrameProtection run(InputStream in, OutputStream out) throws IOException {
    out.write(ownHello);
    out.flush();
    DataInputStream data = new DataInputStream(in);
    while (!done) {
      byte[] reply = receive(readFully(data, needed()));
      if (reply.length > 0) {
        out.write(reply);
        out.flush();
      }
    }
    return protection();
  }

  /** Returns a fresh nonce. */
  public static byte[] newNonce() {
    byte[] nonce = new byte[NONCE];
    Nonces.fill(nonce);
    return nonce;
  }

  static byte[] hello(
      byte[] nonce,
      FrameProtection.Mode wish,
      Role role,
      Role expected,
      long deployment,
      byte[] target) {
    return ByteBuffer.allocate(HEADER + target.length)
        .putInt(MAGIC)
        .put((byte) VERSION)
        .put(nonce)
        .put(wish.code)
        .put(role.code)
        .put(expected == null ? 0 : expected.code)
        .putLong(deployment)
        .put((byte) target.length)
        .put(target)
        .array();
  }

  private static String hex(byte b) {
    return HexFormat.of().toHexDigits(b);
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
