package dev.deploy.e2e.netns;

import dev.deploy.e2e.tester.Capability;
import dev.deploy.e2e.tester.Tool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Machines made of Linux network namespaces, for the fault suite: one namespace per host, each with
 * an {@code eth0} whose other end sits on a bridge in a namespace of its own, addresses in a {@code
 * /24} of the RFC 2544 benchmarking range 198.18.0.0/15, and a blackhole route for that {@code /24}
 * in the root namespace so nothing sent there can leave the machine. Faults are rules inside the
 * hosts' namespaces (nftables, iptables, tc) and the state of their links.
 *
 * <p>Names carry this JVM's pid and a counter ({@code dn<pid>-<n>-<host>}), so parallel runs cannot
 * collide; {@link #close()} deletes exactly what {@link #create} made (namespaces, which take their
 * veths, bridge and rules with them, and the route), and a shutdown hook does the same if the JVM
 * exits first. Processes are run in a host with {@code nsenter --net=/run/netns/<name>} (not {@code
 * ip netns exec}, which remounts /sys and hides the cgroup tree); {@code nsenter} execs the
 * command, so the pid the test holds is the command's.
 *
 * <p>Used by one test thread; {@link #close()} may also run on the shutdown hook's.
 */
public final class Network implements AutoCloseable {
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);

  private final String prefix;
  private final String subnet;
  private final String bridgeNamespace;

  /** Namespace name by host name, in creation order. */
  private final Map<String, String> namespaces = new LinkedHashMap<>();

  private final Map<String, String> addresses = new LinkedHashMap<>();
  private final List<String> made = new ArrayList<>();
  private boolean routeMade;
  private final Thread shutdownHook;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Network(String prefix, String subnet) {
    this.prefix = prefix;
    this.subnet = subnet;
    this.bridgeNamespace = prefix + "-br";
    this.shutdownHook = new Thread(this::deleteAll, "e2e-netns-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Skips the calling test (fails it under {@code CI=true}) unless this JVM runs as root with
   * {@code ip}, {@code nsenter}, {@code nft}, {@code iptables} and {@code tc}.
   */
  public static void requireCapability() {
    String uid = uid();
    Capability.require(
        "0".equals(uid),
        "the fault suite makes network namespaces, which needs root on Linux (uid "
            + (uid == null ? "unknown: no /proc/self/status" : uid)
            + ")");
    for (String tool : List.of("ip", "nsenter", "nft", "iptables", "tc")) {
      Capability.require(
          onPath(tool),
          "the fault suite needs " + tool + " (iproute2, util-linux, nftables, iptables)");
    }
  }

  /** This process's real uid from /proc, or null where there is no /proc (not Linux). */
  private static String uid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.substring(4).trim().split("\\s+")[0];
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or no /proc: no namespaces either.
    }
    return null;
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Makes one namespace per name in {@code hosts}, the first at {@code 198.18.x.1}, the next at
   * {@code .2}, ..., all on one bridge, with the blackhole route in the root namespace.
   */
  public static Network create(List<String> hosts) {
    long pid = ProcessHandle.current().pid();
    String prefix = "dn" + pid + "-" + NEXT.incrementAndGet();
    // A /24 of 198.18.0.0/15 (512 of them) whose blackhole route no other run holds.
    int start = (int) ((pid * 31 + NEXT.get() * 7) % 512);
    for (int i = 0; i < 512; i++) {
      int index = (start + i) % 512;
      String subnet = "198." + (18 + index / 256) + "." + (index % 256);
      Tool.Result route = run("ip", "route", "add", "blackhole", subnet + ".0/24");
      if (route.exitCode() == null || route.exitCode() != 0) {
        if (route.stderr().contains("File exists")) {
          continue; // another run's (or someone's) route: never touched
        }
        throw new IllegalStateException("cannot add a blackhole route:\n" + route.context());
      }
      Network network = new Network(prefix, subnet);
      network.routeMade = true;
      try {
        network.build(hosts);
        return network;
      } catch (RuntimeException | Error e) {
        network.close();
        throw e;
      }
    }
    throw new IllegalStateException("every /24 of 198.18.0.0/15 has a route already");
  }

  private void build(List<String> hosts) {
    ip("netns", "add", bridgeNamespace);
    made.add(bridgeNamespace);
    ip("-n", bridgeNamespace, "link", "add", "br0", "type", "bridge");
    ip("-n", bridgeNamespace, "link", "set", "br0", "up");
    int n = 0;
    for (String host : hosts) {
      n++;
      String ns = prefix + "-" + host;
      ip("netns", "add", ns);
      made.add(ns);
      namespaces.put(host, ns);
      String port = "p" + n;
      ip(
          "link",
          "add",
          "eth0",
          "netns",
          ns,
          "type",
          "veth",
          "peer",
          "name",
          port,
          "netns",
          bridgeNamespace);
      ip("-n", bridgeNamespace, "link", "set", port, "master", "br0", "up");
      String address = subnet + "." + n;
      addresses.put(host, address);
      ip("-n", ns, "addr", "add", address + "/24", "dev", "eth0");
      ip("-n", ns, "link", "set", "eth0", "up");
      ip("-n", ns, "link", "set", "lo", "up");
      for (String setting : hostSysctls()) {
        check(run(in(host, List.of("sysctl", "-q", "-w", setting))));
      }
    }
  }

  /**
   * Kernel settings for every host, from {@code -Ddeploy.faults.sysctl=key=value,...}: none by
   * default, so the suite measures a stock kernel; docs/reliability.md measures the false-{@code
   * LOST} rate with {@code net.ipv4.tcp_thin_linear_timeouts=1} too.
   */
  private static List<String> hostSysctls() {
    String setting = System.getProperty("deploy.faults.sysctl", "").trim();
    return setting.isEmpty() ? List.of() : List.of(setting.split(","));
  }

  /** The address of {@code host}, like {@code 198.18.7.2}. */
  public String address(String host) {
    String a = addresses.get(host);
    if (a == null) {
      throw new IllegalArgumentException("no host " + host + " in " + addresses.keySet());
    }
    return a;
  }

  /** The host whose address is {@code address}. */
  public String hostOf(String address) {
    for (Map.Entry<String, String> e : addresses.entrySet()) {
      if (e.getValue().equals(address)) {
        return e.getKey();
      }
    }
    throw new IllegalArgumentException("no host has the address " + address + ": " + addresses);
  }

  /** {@code command} prefixed so that it runs in {@code host}'s network namespace. */
  public List<String> in(String host, List<String> command) {
    address(host);
    List<String> all = new ArrayList<>();
    all.add("nsenter");
    all.add("--net=/run/netns/" + namespaces.get(host));
    all.addAll(command);
    return all;
  }

  // ----- faults

  /** Drops every packet between {@code a} and {@code b}, both ways, in {@code a}'s namespace. */
  public void partition(String a, String b) {
    String peer = address(b);
    nft(a, "add table inet e2efault");
    nft(a, "add chain inet e2efault in { type filter hook input priority 0 ; }");
    nft(a, "add chain inet e2efault out { type filter hook output priority 0 ; }");
    nft(a, "add rule inet e2efault in ip saddr " + peer + " drop");
    nft(a, "add rule inet e2efault out ip daddr " + peer + " drop");
  }

  /** Removes every nftables rule {@link #partition} put in {@code a}'s namespace. */
  public void heal(String a) {
    nft(a, "delete table inet e2efault");
  }

  /**
   * Drops each packet that {@code host} receives, and when {@code bothWays} each it sends too, with
   * probability {@code p}, as iptables' statistic match does.
   */
  public void loss(String host, double p, boolean bothWays) {
    loss(host, p, bothWays, null);
  }

  /**
   * As {@link #loss(String, double, boolean)}, but packets from (and, when {@code bothWays}, to)
   * host {@code spared} pass untouched; null spares none.
   */
  public void loss(String host, double p, boolean bothWays, String spared) {
    for (String chain : bothWays ? List.of("INPUT", "OUTPUT") : List.of("INPUT")) {
      List<String> rule = new ArrayList<>(List.of("iptables", "-w", "-A", chain));
      if (spared != null) {
        rule.addAll(List.of("!", chain.equals("INPUT") ? "-s" : "-d", address(spared)));
      }
      rule.addAll(
          List.of(
              "-m",
              "statistic",
              "--mode",
              "random",
              "--probability",
              String.valueOf(p),
              "-j",
              "DROP"));
      check(run(in(host, rule)));
    }
  }

  /** Shapes {@code host}'s link to {@code rate} (like {@code "1mbit"}) both ways with tbf. */
  public void slow(String host, String rate) {
    String port = "p" + (new ArrayList<>(namespaces.keySet()).indexOf(host) + 1);
    List<String> tbf = List.of("root", "tbf", "rate", rate, "burst", "16kb", "latency", "400ms");
    List<String> out =
        new ArrayList<>(List.of("-n", namespaces.get(host), "qdisc", "add", "dev", "eth0"));
    out.addAll(tbf);
    tc(out);
    List<String> back =
        new ArrayList<>(List.of("-n", bridgeNamespace, "qdisc", "add", "dev", port));
    back.addAll(tbf);
    tc(back);
  }

  /** Sets {@code host}'s {@code eth0} down (its machine vanishes) or up again. */
  public void link(String host, boolean up) {
    ip("-n", namespaces.get(host), "link", "set", "eth0", up ? "up" : "down");
  }

  private void nft(String host, String rule) {
    List<String> command = new ArrayList<>(List.of("nft"));
    command.addAll(List.of(rule.split(" ")));
    check(run(in(host, command)));
  }

  private static void tc(List<String> args) {
    List<String> command = new ArrayList<>(List.of("tc"));
    command.addAll(args);
    check(run(command));
  }

  private static void ip(String... args) {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    check(run(command));
  }

  private static Tool.Result run(String... command) {
    return run(List.of(command));
  }

  private static Tool.Result run(List<String> command) {
    return Tool.exec(COMMAND_TIMEOUT, command, null, Map.of());
  }

  private static void check(Tool.Result r) {
    if (r.exitCode() == null || r.exitCode() != 0) {
      throw new IllegalStateException("a network command failed:\n" + r.context());
    }
  }

  /** Deletes what {@link #create} made; safe to call more than once. */
  @Override
  public void close() {
    deleteAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down: the hook runs anyway, and finds nothing left.
    }
  }

  private void deleteAll() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // Deleting a namespace deletes its veth ends (and so their peers), its bridge and its rules.
    for (int i = made.size() - 1; i >= 0; i--) {
      run("ip", "netns", "delete", made.get(i));
    }
    if (routeMade) {
      run("ip", "route", "del", "blackhole", subnet + ".0/24");
    }
  }

  @Override
  public String toString() {
    return "network " + prefix + " " + addresses;
  }
}
