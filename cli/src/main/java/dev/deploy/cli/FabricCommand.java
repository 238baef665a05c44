package dev.deploy.cli;

import dev.deploy.cluster.WorkerDaemon;
import dev.deploy.master.Advertised;
import dev.deploy.security.ClusterKey;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
      "The master dials <bind-addr>, or the address given with --advertise, which a wildcard"
          + " <bind-addr> such as 0.0.0.0:7000 requires; processes started here listen on the"
          + " host of <bind-addr> and are dialled at the advertised one. The worker"
          + " keeps every program's jars in a cache by SHA-256 and asks the master only for"
          + " those it lacks. Every connection must prove the cluster key before anything it"
          + " sends is read. Stop it with Ctrl-C or SIGTERM: every process it started is killed."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "130:stopped by Ctrl-C (SIGINT), after killing every process it started",
      "143:stopped by SIGTERM, likewise",
      "1:it could not start (address in use, key file unreadable)",
      "2:the arguments are wrong"
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  DEPLOY_KEY_FILE=cluster.key java -jar deploy.jar fabric 10.0.0.2:7000",
      "  DEPLOY_KEY_FILE=cluster.key java -jar deploy.jar fabric 0.0.0.0:7000 --advertise 10.0.0.2"
    })
final class FabricCommand implements Callable<Integer> {
  @Parameters(
      arity = "0..1",
      paramLabel = "<bind-addr>",
      description = "host:port to listen on for the master, like 10.0.0.2:7000 or [::1]:7000.")
  String bind;

  @Mixin DaemonOptions options;

  @Override
  public Integer call() {
    return Main.guard(
        "fabric",
        options.verbose,
        () -> {
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
}
