package dev.deploy.cli;

import dev.deploy.Resources;
import dev.deploy.cluster.worker.WorkerDaemon;
import dev.deploy.master.Advertised;
import dev.deploy.security.ClusterKey;
import dev.deploy.util.HostPort;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fabric <bind-addr>}: a worker daemon; {@code fabric master ...} is its subcommand. Runs
 * until killed (SIGINT or SIGTERM), and then kills every process it started.
 */
@Command(
    name = "fabric",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    subcommands = {MasterCommand.class, CommandLine.HelpCommand.class},
    description = {
      "Run a worker: receive programs from the cluster's master and run their processes.",
      "",
      "  fabric <bind-addr> [options]                 (the master dials it)",
      "  fabric --master <host:port> [<bind-addr>] [--name <n>]",
      "         [--mem <size>] [--cpus <n>] [--advertise <addr>]",
      "         [--exit-after <duration>] [options]   (it joins the master)",
      "",
      "Without --master, the master dials <bind-addr>, or the address given with --advertise,"
          + " which a wildcard <bind-addr> such as 0.0.0.0:7000 requires; processes started"
          + " here listen on the host of <bind-addr> and are dialled at the advertised one.",
      "",
      "With --master, this fabric joins that master (its main <bind-addr>, where deploy"
          + " connects): it dials it, proves the key, and reports its name and capacity; it"
          + " listens on no port of its own. Its processes listen on the host of <bind-addr>"
          + " when given, else on the advertised host, else on this machine's address of its"
          + " link to the master (the interface that routes there), which it then advertises."
          + " The master's host name is looked up again at every attempt. When the link is"
          + " lost, every process started here is killed and the fabric joins again every"
          + " second (with --exit-after, it exits once the master stayed unreachable that"
          + " long).",
      "",
      "The worker keeps every program's jars in a cache by SHA-256 and asks the master only"
          + " for those it lacks. Every connection must prove the cluster key before anything"
          + " it sends is read. Stop it with Ctrl-C or SIGTERM: every process it started is"
          + " killed."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "130:stopped by Ctrl-C (SIGINT), after killing every process it started",
      "143:stopped by SIGTERM, likewise",
      "0:with --master, the master retired this node (its cluster manager no longer needs it)",
      "1:it could not start (address in use, key file unreadable), or, with --exit-after, its"
          + " master stayed unreachable that long",
      "2:the arguments are wrong"
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  DEPLOY_KEY_FILE=cluster.key java -jar deploy.jar fabric 10.0.0.2:7000",
      "  DEPLOY_KEY_FILE=cluster.key java -jar deploy.jar fabric 0.0.0.0:7000 --advertise 10.0.0.2",
      "  DEPLOY_KEY_FILE=cluster.key java -jar deploy.jar fabric --master 10.0.0.1:7000 \\",
      "      --name n1 --mem 60GiB --cpus 15 --exit-after 30s"
    })
final class FabricCommand implements Callable<Integer> {
  @Parameters(
      arity = "0..1",
      paramLabel = "<bind-addr>",
      description =
          "host:port to listen on for the master, like 10.0.0.2:7000 or [::1]:7000; with"
              + " --master, optional: the host its processes listen on (the port is not used).")
  String bind;

  @Option(
      names = "--master",
      paramLabel = "<host:port>",
      description =
          "Join the master at host:port (its main <bind-addr>) instead of waiting to be dialled.")
  String master;

  @Option(
      names = "--name",
      paramLabel = "<n>",
      description =
          "With --master: this node's name in the master's books, unique in the cluster: a join"
              + " under a name in use is refused, and retried every second (default: this"
              + " machine's host name).")
  String name;

  @Option(
      names = "--mem",
      paramLabel = "<size>",
      description =
          "With --master: the memory processes here may take in all, like 8G, 8GiB or 512m"
              + " (default: what the JVM sees of the machine: its cgroup's limit if any, else"
              + " the physical memory).")
  String mem;

  @Option(
      names = "--cpus",
      paramLabel = "<n>",
      description =
          "With --master: the cores processes here may take in all (default: the processors"
              + " the JVM may use).")
  String cpus;

  @Option(
      names = "--exit-after",
      paramLabel = "<duration>",
      description =
          "With --master: exit (status 1) once the master stayed unreachable this long, like"
              + " 30s, 2m or 500ms (default: keep trying).")
  String exitAfter;

  @Mixin DaemonOptions options;

  @Override
  public Integer call() {
    return Main.guard(
        "fabric",
        options.verbose,
        () -> {
          options.applySilenceLimit();
          if (master != null) {
            return join();
          }
          for (String[] o :
              new String[][] {
                {"--name", name}, {"--mem", mem}, {"--cpus", cpus}, {"--exit-after", exitAfter}
              }) {
            if (o[1] != null) {
              throw new CommandException(o[0] + " needs --master <host:port> (see --help)", 2);
            }
          }
          if (bind == null) {
            throw new CommandException(
                "give the address to listen on, like: fabric 10.0.0.2:7000 (see --help)", 2);
          }
          InetSocketAddress address = Addresses.parse("<bind-addr>", bind);
          options.requireAdvertisable("<bind-addr> " + bind, address);
          ClusterKey key =
              ClusterKeys.resolve(
                  options.keyFile,
                  address.getAddress().isLoopbackAddress(),
                  "fabric bound to " + bind + ", which is not a loopback address,");
          options.requireCgroups(address.getAddress().isLoopbackAddress(), "fabric");
          WorkerDaemon daemon;
          try {
            daemon =
                new WorkerDaemon(
                    key,
                    address,
                    options.advertise(),
                    options.jarCache(),
                    options.cacheLimitBytes(),
                    !options.noCgroups,
                    options.warmSize());
          } catch (IOException e) {
            throw new CommandException("cannot listen on " + bind + ": " + e.getMessage());
          }
          System.err.println(
              "fabric: worker listening on "
                  + bind
                  + (options.advertise == null
                      ? ""
                      : ", advertised as " + Advertised.show(daemon.advertised())));
          DaemonOptions.runUntilSignal(daemon);
          return 0;
        });
  }

  /** {@code fabric --master}: joins the master until a signal, or until it gives up. */
  private int join() throws CommandException {
    HostPort at;
    try {
      at = HostPort.parse(master);
    } catch (IllegalArgumentException e) {
      throw new CommandException("--master: " + e.getMessage(), 2);
    }
    if (HostPort.isWildcard(at.host())) {
      throw new CommandException(
          "--master " + master + " is a wildcard address, which names no machine", 2);
    }
    Optional<InetSocketAddress> address = Optional.empty();
    if (bind != null) {
      // Only its host matters: the processes listen there on ports of their own.
      InetSocketAddress a = Addresses.parseHost("<bind-addr>", bind);
      options.requireAdvertisable("<bind-addr> " + bind, a);
      address = Optional.of(a);
    }
    Optional<String> advertised = options.advertise().map(HostPort::host);
    Resources capacity = capacity();
    String node = name != null ? name : WorkerDaemon.defaultName();
    String bad = WorkerLink.Join.checkName(node);
    if (bad != null) {
      throw new CommandException("--name: " + bad, 2);
    }
    Optional<java.time.Duration> giveUpAfter =
        exitAfter == null
            ? Optional.empty()
            : Optional.of(Durations.parse("--exit-after", exitAfter));
    InetSocketAddress resolved = at.toSocketAddress();
    boolean loopback =
        !resolved.isUnresolved()
            && resolved.getAddress().isLoopbackAddress()
            && address.map(a -> a.getAddress().isLoopbackAddress()).orElse(true);
    ClusterKey key =
        ClusterKeys.resolve(
            options.keyFile,
            loopback,
            "fabric joining " + master + ", which is not a loopback address,");
    options.requireCgroups(loopback, "fabric");
    WorkerDaemon.JoinOptions join;
    try {
      join =
          new WorkerDaemon.JoinOptions(
              key,
              at,
              node,
              capacity,
              advertised,
              address,
              options.jarCache(),
              options.cacheLimitBytes(),
              !options.noCgroups,
              options.warmSize(),
              giveUpAfter);
    } catch (IllegalArgumentException e) {
      throw new CommandException(e.getMessage(), 2);
    }
    WorkerDaemon daemon = WorkerDaemon.join(join);
    System.err.println(
        "fabric: joining the master at "
            + master
            + " as "
            + node
            + " with "
            + capacity
            + (exitAfter == null ? "" : "; exits once it is unreachable for " + exitAfter));
    String why = DaemonOptions.runUntilSignalOr(daemon, daemon.gaveUp());
    System.err.println("fabric: " + why);
    return daemon.retired() ? 0 : 1;
  }

  /** Parses {@code --mem} and {@code --cpus}, each defaulting to what the JVM sees here. */
  Resources capacity() throws CommandException {
    Resources machine = WorkerDaemon.machineCapacity();
    long memory = machine.memory();
    double cores = machine.cpu();
    if (mem != null) {
      try {
        memory = Resources.parseMemory(mem);
      } catch (IllegalArgumentException e) {
        throw new CommandException("--mem: " + e.getMessage(), 2);
      }
    }
    if (cpus != null) {
      try {
        cores = Double.parseDouble(cpus.trim());
      } catch (NumberFormatException e) {
        throw new CommandException("--cpus: \"" + cpus + "\" is not a number of cores", 2);
      }
      if (!(cores > 0) || Double.isInfinite(cores)) {
        throw new CommandException("--cpus: \"" + cpus + "\" is not a positive number", 2);
      }
    }
    try {
      return new Resources(memory, cores);
    } catch (IllegalArgumentException e) {
      throw new CommandException("--mem: " + e.getMessage(), 2);
    }
  }
}
