package dev.deploy.cli;

import dev.deploy.Resources;
import dev.deploy.util.HostPort;
import java.net.InetSocketAddress;

/** Parsing of the command line's addresses and sizes into one-sentence errors. */
final class Addresses {
  private Addresses() {}

  /**
   * Parses and resolves {@code host:port}.
   *
   * @throws CommandException (code 2) naming the text when it is malformed or the host unknown
   */
  static InetSocketAddress parse(String what, String text) throws CommandException {
    HostPort hostPort;
    try {
      hostPort = HostPort.parse(text);
    } catch (IllegalArgumentException e) {
      throw new CommandException(what + ": " + e.getMessage(), 2);
    }
    InetSocketAddress address = hostPort.toSocketAddress();
    if (address.isUnresolved()) {
      throw new CommandException(
          what + ": the host \"" + hostPort.host() + "\" of \"" + text + "\" is not known", 2);
    }
    return address;
  }

  /**
   * Parses and resolves a host with an optional port ({@code 10.0.0.2}, {@code 10.0.0.2:0}, {@code
   * [::1]:7000}): the port, 0 when not given, is not used by whoever only needs the host.
   *
   * @throws CommandException (code 2) naming the text when it is malformed or the host unknown
   */
  static InetSocketAddress parseHost(String what, String text) throws CommandException {
    HostPort hostPort;
    try {
      hostPort = HostPort.parseHostAndOptionalPort(text);
    } catch (IllegalArgumentException e) {
      throw new CommandException(what + ": " + e.getMessage(), 2);
    }
    InetSocketAddress address = hostPort.toSocketAddress();
    if (address.isUnresolved()) {
      throw new CommandException(
          what + ": the host \"" + hostPort.host() + "\" of \"" + text + "\" is not known", 2);
    }
    return address;
  }

  /**
   * Parses a memory and cpu pair, like {@code 8GiB 4}.
   *
   * @throws CommandException (code 2) naming the bad value
   */
  static Resources resources(String what, String memory, String cpu) throws CommandException {
    try {
      return Resources.parse(memory, cpu);
    } catch (IllegalArgumentException e) {
      throw new CommandException(what + ": " + e.getMessage(), 2);
    }
  }
}
