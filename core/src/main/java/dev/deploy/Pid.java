package dev.deploy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;

/**
 * A cluster-wide process id: the address of the process's single listening port plus a random key,
 * so a pid is never reused. {@link #toString()} is 7 lowercase hex characters; equality uses the
 * whole id. Pids travel inside messages like any other value.
 */
public final class Pid {
  /** The listening address's IP bytes (4 or 16); never mutated. */
  private final byte[] host;

  /** The listening port, 0..65535. */
  private final int port;

  /** Random per process; never reused. */
  private final long key;

  private Pid(byte[] host, int port, long key) {
    if (host.length != 4 && host.length != 16) {
      throw new IllegalArgumentException("a pid's host must be 4 or 16 bytes, not " + host.length);
    }
    if (port < 0 || port > 0xFFFF) {
      throw new IllegalArgumentException("a pid's port must be 0..65535, not " + port);
    }
    if (isWildcard(host)) {
      throw new IllegalArgumentException(
          "a pid's host must be an address others can dial, not the wildcard "
              + toAddress(host).getHostAddress());
    }
    this.host = host;
    this.port = port;
    this.key = key;
  }

  /**
   * Makes a pid. For the runtime: programs get pids from {@code spawn}, {@code pid()} and messages.
   *
   * @throws IllegalArgumentException when {@code host} is not 4 or 16 bytes, or is a wildcard
   *     ({@code 0.0.0.0}, {@code ::}, {@code ::ffff:0.0.0.0}): a pid names where others dial
   */
  public static Pid of(byte[] host, int port, long key) {
    return new Pid(host.clone(), port, key);
  }

  /** Returns the address of the process's listening port. */
  public InetSocketAddress address() {
    return new InetSocketAddress(toAddress(host), port);
  }

  /** Whether 4 or 16 bytes are a wildcard address, which listens everywhere and names nowhere. */
  private static boolean isWildcard(byte[] host) {
    return toAddress(host).isAnyLocalAddress();
  }

  private static InetAddress toAddress(byte[] host) {
    try {
      return InetAddress.getByAddress(host);
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always an address", e);
    }
  }

  /** Returns the IP bytes of the listening address (a copy). */
  public byte[] host() {
    return host.clone();
  }

  /** Returns the listening port. */
  public int port() {
    return port;
  }

  /** Returns the random key that makes this pid unique. */
  public long key() {
    return key;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Pid other
        && key == other.key
        && port == other.port
        && Arrays.equals(host, other.host);
  }

  @Override
  public int hashCode() {
    return Objects.hash(Long.hashCode(key), port, Arrays.hashCode(host));
  }

  /** Returns 7 lowercase hex characters taken from the key. */
  @Override
  public String toString() {
    String hex = Long.toHexString((key >>> 8) & 0xFFF_FFFFL);
    return "0000000".substring(hex.length()) + hex;
  }
}
