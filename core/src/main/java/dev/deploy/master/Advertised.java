package dev.deploy.master;

import dev.deploy.util.HostPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The address a daemon tells others to dial, from the address it binds and its {@code --advertise}:
 * a wildcard bind ({@code 0.0.0.0}, {@code ::}) listens on every interface but names none, so it
 * needs an advertised address; a concrete bind advertises itself. The result is unresolved (a host
 * name is kept as written and looked up by whoever dials, each time). Stateless; any thread.
 */
public final class Advertised {
  /** What every refusal of a wildcard tells the user to do. */
  public static final String HINT = "pass --advertise <this machine's address>";

  private Advertised() {}

  /**
   * Returns the address others dial for a daemon bound to {@code bound}: {@code advertiseHost} with
   * {@code advertisePort} (0: the bound port) when given, else the bound address itself.
   *
   * @param what names the bound address in messages, like {@code "fabric 0.0.0.0:7000"}
   * @param advertiseHost the host of {@code --advertise} (a name or an IP literal), or null
   * @throws IllegalArgumentException when {@code bound} is a wildcard and nothing is advertised, or
   *     when the advertised host is itself a wildcard
   */
  public static InetSocketAddress of(
      String what, InetSocketAddress bound, String advertiseHost, int advertisePort) {
    if (advertiseHost != null) {
      if (HostPort.isWildcard(advertiseHost)) {
        throw new IllegalArgumentException(
            "--advertise "
                + advertiseHost
                + " is a wildcard, which names no machine; give the address other machines dial"
                + " to reach this one");
      }
      return InetSocketAddress.createUnresolved(
          strip(advertiseHost), advertisePort != 0 ? advertisePort : bound.getPort());
    }
    InetAddress ip = bound.getAddress();
    if (ip == null || ip.isAnyLocalAddress()) {
      throw new IllegalArgumentException(
          what + " is a wildcard address, which other machines cannot dial; " + HINT);
    }
    return InetSocketAddress.createUnresolved(ip.getHostAddress(), bound.getPort());
  }

  /** Returns {@code address} as {@code host:port}, or {@code [host]:port} for IPv6. */
  public static String show(InetSocketAddress address) {
    String host = address.getHostString();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  private static String strip(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }
}
