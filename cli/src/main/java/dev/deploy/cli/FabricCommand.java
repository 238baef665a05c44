package dev.deploy.cli;

import dev.deploy.cluster.WorkerDaemon;
import dev.deploy.fabric.Fabric;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
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
    subcommands = {MasterCommand.class},
    description = {
      "Run a worker: receive programs from the cluster's master and run their processes.",
      "",
      "The master dials <bind-addr>; processes started here listen on its host. The worker"
          + " keeps every program's jars in a cache by SHA-256 and asks the master only for"
          + " those it lacks. Every connection must prove the cluster key before anything it"
          + " sends is read. Stop it with Ctrl-C or SIGTERM: every process it started is killed."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:stopped by a signal",
      "1:it could not start (address in use, key file unreadable)",
      "2:the arguments are wrong"
    },
    footerHeading = "%nExample:%n",
    footer = {"  DEPLOY_KEY_FILE=cluster.key java -jar deploy.jar fabric 10.0.0.2:7000"})
final class FabricCommand implements Callable<Integer> {
  @Parameters(
      arity = "0..1",
      paramLabel = "<bind-addr>",
      description = "host:port to listen on for the master, like 10.0.0.2:7000 or [::1]:7000.")
  String bind;

  @Option(
      names = "--key-file",
      paramLabel = "<file>",
      description = "The cluster key (default: $DEPLOY_KEY_FILE; on loopback, your own key).")
  Path keyFile;

  @Option(
      names = "--cache",
      paramLabel = "<dir>",
      description = "Where jars are kept (default: ~/.cache/deploy/jars).")
  Path cache;

  @Option(names = "--verbose", description = "Log more, and print stack traces of errors.")
  boolean verbose;

  @Option(
      names = "--no-cgroups",
      description =
          "Do not put each process in a cgroup of its own (memory limit, cpu quota); enforce"
              + " with JVM flags only.")
  boolean noCgroups;

  @Option(
      names = "--cache-limit",
      paramLabel = "<size>",
      description =
          "How much the jar cache may hold; jars unused the longest are removed past it, every 10"
              + " minutes, never those of a running program (default: 10GiB).")
  String cacheLimit = "10GiB";

  @Option(
      names = "--warm",
      paramLabel = "<n>",
      description =
          "JVMs kept started and waiting per program and resources, so a spawn costs a message"
              + " (default: $DEPLOY_WARM, else 2; 0 turns the pool off).")
  Integer warm;

  @Override
  public Integer call() {
    return Main.guard(
        "fabric",
        verbose,
        () -> {
          if (bind == null) {
            throw new CommandException(
                "give the address to listen on, like: fabric 10.0.0.2:7000 (see --help)", 2);
          }
          InetSocketAddress address = Addresses.parse("<bind-addr>", bind);
          ClusterKey key =
              ClusterKeys.resolve(
                  keyFile,
                  address.getAddress().isLoopbackAddress(),
                  "fabric bound to " + bind + ", which is not a loopback address,");
          JarCache jars = openCache(cache);
          WorkerDaemon daemon;
          try {
            daemon =
                new WorkerDaemon(
                    key, address, jars, cacheLimit(cacheLimit), !noCgroups, warmSize(warm));
          } catch (IOException e) {
            throw new CommandException("cannot listen on " + bind + ": " + e.getMessage());
          }
          System.err.println("fabric: worker listening on " + bind);
          runUntilSignal(daemon);
          return 0;
        });
  }

  /** The pool size from {@code --warm}, else {@code DEPLOY_WARM}, else the default. */
  static int warmSize(Integer option) throws CommandException {
    try {
      return Fabric.warmSize(option != null ? option.toString() : System.getenv("DEPLOY_WARM"));
    } catch (IllegalArgumentException e) {
      throw new CommandException(
          (option != null ? "--warm" : "DEPLOY_WARM")
              + ": "
              + e.getMessage().replace("DEPLOY_WARM must be", "must be"),
          2);
    }
  }

  /** Parses {@code --cache-limit}. */
  static long cacheLimit(String size) throws CommandException {
    try {
      return dev.deploy.Resources.parseMemory(size);
    } catch (IllegalArgumentException e) {
      throw new CommandException("--cache-limit: " + e.getMessage(), 2);
    }
  }

  static JarCache openCache(Path dir) throws CommandException {
    try {
      return new JarCache(dir != null ? dir : JarCache.defaultDirectory());
    } catch (IOException e) {
      throw new CommandException(e.getMessage());
    }
  }

  /** Blocks until SIGINT or SIGTERM; then closes {@code daemon}, which kills its processes. */
  static void runUntilSignal(AutoCloseable daemon) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    daemon.close();
                  } catch (Exception ignored) {
                    // Stopping anyway.
                  }
                  stopped.countDown();
                },
                "deploy-daemon-stop"));
    try {
      new CountDownLatch(1).await(); // until the JVM exits by a signal
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
