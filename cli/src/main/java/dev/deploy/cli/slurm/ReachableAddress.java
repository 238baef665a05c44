package dev.deploy.cli.slurm;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Which of this machine's addresses others can dial: the one of a named network interface ({@code
 * --interface ib0}), or the one the kernel's routes pick to reach a given peer (a UDP socket
 * "connected" to it, which sends nothing). Stateless.
 */
public final class ReachableAddress {
  private ReachableAddress() {}

  /**
   * Returns the first IPv4 address of interface {@code name}, else its first IPv6 address that is
   * not link-local.
   *
   * @throws IllegalArgumentException naming the interface when it does not exist or has no address
   */
  public static InetAddress ofInterface(String name) {
    NetworkInterface nic;
    try {
      nic = NetworkInterface.getByName(name);
    } catch (SocketException e) {
      throw new IllegalArgumentException(
          "cannot read the interface " + name + ": " + e.getMessage());
    }
    if (nic == null) {
      throw new IllegalArgumentException(
          "there is no network interface \"" + name + "\" here (" + interfaceNames() + ")");
    }
    List<InetAddress> all = Collections.list(nic.getInetAddresses());
    return all.stream()
        .filter(a -> a instanceof Inet4Address)
        .findFirst()
        .or(() -> all.stream().filter(a -> !a.isLinkLocalAddress()).findFirst())
        .orElseThrow(
            () ->
                new IllegalArgumentException("the network interface " + name + " has no address"));
  }

  /** Returns this machine's interface names, comma-separated, for messages. */
  static String interfaceNames() {
    try {
      return String.join(
          ", ",
          Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
              .map(NetworkInterface::getName)
              .sorted()
              .toList());
    } catch (SocketException e) {
      return "none readable";
    }
  }

  /**
   * Returns the local address this machine's routes use to reach {@code peer}, or empty when there
   * is no route (nothing is sent).
   */
  public static Optional<InetAddress> towards(InetAddress peer) {
    try (DatagramSocket s = new DatagramSocket()) {
      s.connect(new InetSocketAddress(peer, 9));
      InetAddress local = s.getLocalAddress();
      return local == null || local.isAnyLocalAddress() ? Optional.empty() : Optional.of(local);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
