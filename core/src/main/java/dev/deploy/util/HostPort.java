package dev.deploy.util;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A host and a port, as written in an address: {@code host:port} or {@code [ipv6]:port}. The one
 * parser of addresses given on a command line, in {@code nodes.toml} or in the environment of a
 * spawned process; it looks nothing up. Immutable; any thread may call it.
 *
 * @param host a host name, an IPv4 address, or an IPv6 address without brackets
 * @param port 1 to 65535; 0 only from {@link #parseHostAndOptionalPort}, when no port was given, or
 *     from {@link #parseAllowingAnyPort}
 */
public record HostPort(String host, int port) {
  private static final Pattern IPV4 = Pattern.compile("[0-9.]+");
  private static final Pattern HOST_NAME =
      Pattern.compile(
          "[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
              + "(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\\.?");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
  private static final Pattern ZONE = Pattern.compile("[A-Za-z0-9_.-]+");

  /**
   * Returns whether {@code host} (a name or an IP literal, IPv6 with or without brackets) is a
   * wildcard literal such as {@code 0.0.0.0}, {@code ::} or {@code [::]}. Looks nothing up.
   */
  public static boolean isWildcard(String host) {
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (!IPV4.matcher(h).matches() && h.indexOf(':') < 0) {
      return false; // a host name: not a literal
    }
    try {
      return InetAddress.getByName(h.indexOf(':') >= 0 ? "[" + h + "]" : h).isAnyLocalAddress();
    } catch (UnknownHostException e) {
      return false; // not a literal after all; whoever dials it says so
    }
  }

  /** Returns a socket address for {@code host}, looked up now. */
  public InetSocketAddress toSocketAddress() {
    return new InetSocketAddress(host, port);
  }

  /** Returns the address as written: {@code host:port}, or {@code [host]:port} for IPv6. */
  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }

  /**
   * Parses {@code host:port} or {@code [ipv6]:port}, as in a nodes file or a {@code <bind-addr>}
   * argument. Looks nothing up: a host name is checked only for its form.
   *
   * @throws IllegalArgumentException naming the text when it has no host, no port, a port outside
   *     1..65535, an IPv6 address without brackets, or a host that is not a host name or an IP
   *     address
   */
  public static HostPort parse(String text) {
    return parse(text, 1);
  }

  /**
   * Parses {@code host:port} or {@code [ipv6]:port} like {@link #parse}, where the port may also be
   * 0 (any free port, for an address to listen on).
   *
   * @throws IllegalArgumentException naming the text when {@link #parse} would, but for port 0
   */
  public static HostPort parseAllowingAnyPort(String text) {
    return parse(text, 0);
  }

  private static HostPort parse(String text, int lowestPort) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException(
          "an address is host:port, like 10.0.0.2:7000, but this one is empty");
    }
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException(
            "address \"" + text + "\" has no ] after its IPv6 address; write it like [::1]:7000");
      }
      if (close + 1 >= text.length() || text.charAt(close + 1) != ':') {
        throw new IllegalArgumentException(
            "address \"" + text + "\" has no :port after the ]; write it like [::1]:7000");
      }
      host = text.substring(1, close);
      port = text.substring(close + 2);
      canonicalIpv6(text, host);
    } else {
      int colon = text.lastIndexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException(
            "address \"" + text + "\" has no port; write host:port, like " + text + ":7000");
      }
      host = text.substring(0, colon);
      port = text.substring(colon + 1);
      if (host.indexOf(':') >= 0) {
        throw new IllegalArgumentException(
            "address \""
                + text
                + "\" looks like an IPv6 address; put the address in brackets,"
                + " like [::1]:7000");
      }
      if (host.isEmpty()) {
        throw new IllegalArgumentException(
            "address \""
                + text
                + "\" has no host; write host:port, like 0.0.0.0"
                + text
                + " to listen on every interface");
      }
      checkHost(text, host);
    }
    return new HostPort(host, parsePort(text, port, lowestPort));
  }

  /**
   * Parses an address to advertise, as {@code --advertise} takes it: {@code host}, {@code
   * host:port}, an IPv4 address, an IPv6 address bare or in brackets, or {@code [ipv6]:port}. Looks
   * nothing up.
   *
   * @return the host and the port, 0 when none is given
   * @throws IllegalArgumentException naming the text when it is none of these
   */
  public static HostPort parseHostAndOptionalPort(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException(
          "an address is host or host:port, like 10.0.0.2 or 10.0.0.2:7000, but this one is empty");
    }
    if (text.startsWith("[") && text.endsWith("]")) {
      String host = text.substring(1, text.length() - 1);
      canonicalIpv6(text, host);
      return new HostPort(host, 0);
    }
    if (text.startsWith("[")) {
      return parse(text);
    }
    int colon = text.indexOf(':');
    if (colon < 0) {
      checkHost(text, text);
      return new HostPort(text, 0);
    }
    if (colon != text.lastIndexOf(':')) {
      try {
        canonicalIpv6(text, text);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "address \""
                + text
                + "\" is not host, host:port or an IPv6 address; write an IPv6 address with a"
                + " port like [::1]:7000");
      }
      return new HostPort(text, 0);
    }
    return parse(text);
  }

  private static int parsePort(String text, String port, int lowestPort) {
    if (port.isEmpty()) {
      throw new IllegalArgumentException(
          "address \"" + text + "\" has no port after the colon; write host:port, like host:7000");
    }
    if (port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(
          "address \""
              + text
              + "\" has port \""
              + port
              + "\", which is not a number from "
              + lowestPort
              + " to 65535");
    }
    int number = Integer.parseInt(port);
    if (number < lowestPort || number > 65535) {
      throw new IllegalArgumentException(
          "address \""
              + text
              + "\" has port "
              + number
              + ", which is not from "
              + lowestPort
              + " to 65535");
    }
    return number;
  }

  private static void checkHost(String text, String host) {
    if (IPV4.matcher(host).matches()) {
      String[] parts = host.split("\\.", -1);
      boolean ok = parts.length == 4;
      for (int i = 0; ok && i < parts.length; i++) {
        ok = !parts[i].isEmpty() && parts[i].length() <= 3 && Integer.parseInt(parts[i]) <= 255;
      }
      if (!ok) {
        throw new IllegalArgumentException(
            "address \"" + text + "\" has host " + host + ", which is not an IPv4 address");
      }
    } else if (host.length() > 253 || !HOST_NAME.matcher(host).matches()) {
      throw new IllegalArgumentException(
          "address \""
              + text
              + "\" has host \""
              + host
              + "\", which is not a host name or an"
              + " IP address");
    }
  }

  /** Returns the IPv6 address in {@code host} in its canonical form; looks nothing up. */
  private static String canonicalIpv6(String text, String host) {
    int percent = host.indexOf('%');
    String address = percent < 0 ? host : host.substring(0, percent);
    String zone = percent < 0 ? "" : host.substring(percent);
    boolean ok =
        address.indexOf(':') >= 0
            && IPV6.matcher(address).matches()
            && (percent < 0 || ZONE.matcher(zone.substring(1)).matches());
    if (ok) {
      try {
        // Brackets make InetAddress parse a literal and never ask DNS.
        return InetAddress.getByName("[" + address + "]").getHostAddress() + zone;
      } catch (UnknownHostException e) {
        // Not an IPv6 literal after all: say so below.
      }
    }
    throw new IllegalArgumentException(
        "address \""
            + text
            + "\" has \""
            + host
            + "\" in brackets, which is not an IPv6"
            + " address");
  }

  /** Returns a key equal for two ways of writing the same address (case, IPv6 forms). */
  public String sameAddressKey() {
    HostPort address = this;
    String host = address.host().toLowerCase(Locale.ROOT);
    if (host.indexOf(':') >= 0) {
      host = canonicalIpv6(address.toString(), host);
    } else if (IPV4.matcher(host).matches()) {
      StringBuilder normal = new StringBuilder();
      for (String part : host.split("\\.")) {
        normal.append(normal.length() == 0 ? "" : ".").append(Integer.parseInt(part));
      }
      host = normal.toString();
    } else if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    return host + " " + address.port();
  }
}
