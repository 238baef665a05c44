package dev.deploy.cli;

import dev.deploy.Resources;
import dev.deploy.cluster.master.ClusterMaster;
import dev.deploy.master.Advertised;
import dev.deploy.security.ClusterKey;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code fabric master ...}: the cluster's master, a worker itself, and its bridge. */
@Command(
    name = "master",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Run the master of a cluster: it places every process on a worker with the memory and"
          + " cpu free, runs its own share as a worker, and starts the bridge that deploy"
          + " talks to.",
      "",
      "  fabric master <bind-addr> <mem> <cpu> [bridge <bridge-addr>]",
      "                (<addr> <mem> <cpu>)...",
      "  fabric master <bind-addr> <nodes.toml>",
      "",
      "<mem> <cpu> first: what the master itself may run (like 8GiB 4; 0 0: nothing, it only"
          + " places and bridges); then each worker's address (where the master dials its"
          + " `fabric`, never a wildcard) and what it may run. Workers may also join: a"
          + " `fabric --master <bind-addr>` dials this master, proves the key and reports its"
          + " name and capacity, so `fabric master <bind-addr> 0 0` alone is a master of"
          + " joined workers only. deploy connects to <bind-addr>, or to <bridge-addr> when given. A wildcard"
          + " <bind-addr> or <bridge-addr> (0.0.0.0, [::]) needs --advertise <this machine's"
          + " address>, which this machine's processes' pids then carry. Workers may start"
          + " before or after the master; one that disappears is dropped (its processes"
          + " reported lost) and may rejoin. The nodes file is described in docs/nodes-toml.md."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "130:stopped by Ctrl-C (SIGINT), after killing every process it started",
      "143:stopped by SIGTERM, likewise",
      "1:it could not start (address in use, key file unreadable)",
      "2:the arguments or the nodes file are wrong"
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  java -jar deploy.jar fabric master 10.0.0.1:7000 8GiB 4 \\",
      "      10.0.0.2:7000 64GiB 16 10.0.0.3:7000 64GiB 16",
      "  java -jar deploy.jar fabric master 10.0.0.1:7000 0 0    # then, on each worker:",
      "  java -jar deploy.jar fabric --master 10.0.0.1:7000"
    })
final class MasterCommand implements Callable<Integer> {
  @Parameters(
      paramLabel = "<arg>",
      arity = "2..*",
      description = "<bind-addr> followed by the nodes, as above.")
  List<String> args;

  @Mixin DaemonOptions options;

  @picocli.CommandLine.Option(
      names = "--ui",
      paramLabel = "<host:port>",
      description =
          "Serve the live view and /metrics there (see docs/ui.md); a non-loopback address asks"
              + " for a token derived from the cluster key.")
  String ui;

  @picocli.CommandLine.Option(
      names = "--keep-for",
      paramLabel = "<duration>",
      description =
          "How long a finished deployment's output and state are kept for deploy list and deploy"
              + " attach, like 1h, 30m (default: 1h).")
  String keepFor = "1h";

  @picocli.CommandLine.Option(
      names = "--keep-per-deployment",
      paramLabel = "<size>",
      description =
          "The most output kept per deployment; its oldest output goes first (default: 16MiB).")
  String keepPerDeployment = "16MiB";

  @picocli.CommandLine.Option(
      names = "--keep-total",
      paramLabel = "<size>",
      description =
          "The most output kept over all deployments; the finished deployment that ended first"
              + " goes first, then running ones' oldest output (default: 64MiB).")
  String keepTotal = "64MiB";

  /** Parses the --keep options. */
  dev.deploy.cluster.master.Retention retention() throws CommandException {
    return new dev.deploy.cluster.master.Retention(
        Durations.parse("--keep-for", keepFor),
        DaemonOptions.size("--keep-per-deployment", keepPerDeployment),
        DaemonOptions.size("--keep-total", keepTotal));
  }

  /** The parsed command line. */
  record Plan(
      InetSocketAddress bind,
      Optional<Resources> own,
      Optional<InetSocketAddress> bridge,
      List<ClusterMaster.Worker> workers) {}

  @Override
  public Integer call() {
    return Main.guard(
        "fabric master",
        options.verbose,
        () -> {
          options.applySilenceLimit();
          Plan plan = parse(args);
          dev.deploy.cluster.master.Retention retention = retention();
          dev.deploy.ui.LiveView live;
          try {
            live = dev.deploy.ui.LiveView.parse(ui);
          } catch (IllegalArgumentException e) {
            throw new CommandException("--ui: " + e.getMessage(), 2);
          }
          options.requireAdvertisable("<bind-addr> " + args.get(0), plan.bind());
          if (plan.bridge().isPresent()) {
            InetSocketAddress bridge = plan.bridge().get();
            options.requireAdvertisable("the bridge " + Advertised.show(bridge), bridge);
          }
          boolean loopback =
              plan.bind().getAddress().isLoopbackAddress()
                  && plan.bridge().map(b -> b.getAddress().isLoopbackAddress()).orElse(true)
                  && plan.workers().stream()
                      .allMatch(w -> w.address().getAddress().isLoopbackAddress());
          ClusterKey key =
              ClusterKeys.resolve(
                  options.keyFile,
                  loopback,
                  "master whose addresses are not all loopback addresses");
          options.requireCgroups(
              plan.bind().getAddress().isLoopbackAddress()
                  && plan.bridge().map(b -> b.getAddress().isLoopbackAddress()).orElse(true),
              "fabric master");
          ClusterMaster master;
          try {
            master =
                new ClusterMaster(
                    key,
                    plan.bind(),
                    options.advertise(),
                    plan.own(),
                    plan.bridge(),
                    plan.workers(),
                    options.jarCache(),
                    options.cacheLimitBytes(),
                    !options.noCgroups,
                    options.warmSize());
          } catch (IOException e) {
            throw new CommandException(e.getMessage());
          }
          master.setRetention(retention);
          try {
            master.serveLiveView(live, System.err);
          } catch (IOException e) {
            master.close();
            throw new CommandException("--ui: " + e.getMessage());
          }
          System.err.println(
              "fabric master: deploy to "
                  + Advertised.show(master.advertisedBridge())
                  + "; "
                  + plan.workers().size()
                  + (plan.workers().size() == 1 ? " worker" : " workers")
                  + " dialled"
                  + (plan.own().isEmpty() ? ", none of its own" : "")
                  + "; workers join at "
                  + Advertised.show(master.advertised()));
          DaemonOptions.runUntilSignal(master);
          return 0;
        });
  }

  private static String show(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }

  /** Parses the arguments after {@code fabric master}. */
  static Plan parse(List<String> args) throws CommandException {
    InetSocketAddress bind = Addresses.parse("<bind-addr>", args.get(0));
    if (args.size() == 2) {
      return fromFile(bind, Path.of(args.get(1)));
    }
    if (args.size() < 3) {
      throw new CommandException("after <bind-addr> come <mem> <cpu> or a nodes.toml", 2);
    }
    Optional<Resources> own =
        placesOnly(args.get(1), args.get(2))
            ? Optional.empty()
            : Optional.of(
                Addresses.resources("the master's own <mem> <cpu>", args.get(1), args.get(2)));
    int i = 3;
    Optional<InetSocketAddress> bridge = Optional.empty();
    if (i < args.size() && args.get(i).equals("bridge")) {
      if (i + 1 >= args.size()) {
        throw new CommandException("\"bridge\" must be followed by the bridge's host:port", 2);
      }
      bridge = Optional.of(Addresses.parse("bridge", args.get(i + 1)));
      i += 2;
    }
    List<ClusterMaster.Worker> workers = new ArrayList<>();
    while (i < args.size()) {
      if (i + 3 > args.size()) {
        throw new CommandException(
            "each worker is <addr> <mem> <cpu>, but \""
                + String.join(" ", args.subList(i, args.size()))
                + "\" is not all three",
            2);
      }
      InetSocketAddress a = dialable("worker", args.get(i));
      Resources r = Addresses.resources("worker " + args.get(i), args.get(i + 1), args.get(i + 2));
      for (ClusterMaster.Worker w : workers) {
        if (w.address().equals(a)) {
          throw new CommandException("the worker " + args.get(i) + " is named twice", 2);
        }
      }
      if (a.equals(bind)) {
        throw new CommandException(
            "the worker " + args.get(i) + " has the master's own address", 2);
      }
      workers.add(new ClusterMaster.Worker(a, r));
      i += 3;
    }
    return distinct(new Plan(bind, own, bridge, workers));
  }

  /** Whether the master's own {@code <mem> <cpu>} are both zero: it runs nothing itself. */
  static boolean placesOnly(String memory, String cpu) {
    try {
      return Resources.parseMemory(memory) == 0 && Double.parseDouble(cpu.trim()) == 0;
    } catch (IllegalArgumentException e) {
      return false; // NumberFormatException too; the usual parse says what is wrong
    }
  }

  /** Parses a worker's address, which the master dials: never a wildcard. */
  private static InetSocketAddress dialable(String what, String text) throws CommandException {
    InetSocketAddress a = Addresses.parse(what, text);
    if (a.getAddress().isAnyLocalAddress()) {
      throw new CommandException(
          what
              + ": \""
              + text
              + "\" is a wildcard address, which names no machine; give the address the master"
              + " dials to reach that worker",
          2);
    }
    return a;
  }

  /** Refuses a plan in which two of the master, the bridge and the workers share an address. */
  private static Plan distinct(Plan plan) throws CommandException {
    java.util.Map<InetSocketAddress, String> seen = new java.util.HashMap<>();
    seen.put(plan.bind(), "the master's own address <bind-addr>");
    if (plan.bridge().isPresent()) {
      String before = seen.put(plan.bridge().get(), "the bridge's address");
      if (before != null) {
        throw new CommandException(
            "the bridge " + show(plan.bridge().get()) + " has " + before + "; give it its own", 2);
      }
    }
    for (ClusterMaster.Worker w : plan.workers()) {
      String before = seen.put(w.address(), "a worker's address");
      if (before != null) {
        throw new CommandException(
            "the worker " + show(w.address()) + " has " + before + "; give each its own", 2);
      }
    }
    return plan;
  }

  private static Plan fromFile(InetSocketAddress bind, Path file) throws CommandException {
    NodesFile nodes;
    try {
      nodes = NodesFile.read(file);
    } catch (IOException e) {
      throw new CommandException(e.getMessage(), 2);
    } catch (IllegalArgumentException e) {
      throw new CommandException(e.getMessage(), 2);
    }
    Optional<Resources> own = nodes.master().map(NodesFile.MasterSpec::resources);
    Optional<InetSocketAddress> bridge = Optional.empty();
    if (nodes.master().isPresent() && nodes.master().get().bridge().isPresent()) {
      bridge = Optional.of(Addresses.parse(file + ": bridge", nodes.master().get().bridge().get()));
    }
    List<ClusterMaster.Worker> workers = new ArrayList<>();
    for (NodesFile.NodeSpec n : nodes.nodes()) {
      workers.add(new ClusterMaster.Worker(dialable(file + ": node", n.address()), n.resources()));
    }
    return distinct(new Plan(bind, own, bridge, workers));
  }
}
