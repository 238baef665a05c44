package dev.deploy.cli;

import dev.deploy.Resources;
import dev.deploy.cluster.worker.WorkerDaemon;
import dev.deploy.fabric.Fabric;
import dev.deploy.program.JarCache;
import dev.deploy.util.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutionException;

/**
 * A node's fabric joining its master ({@link WorkerDaemon#join}): named after the Slurm node, sized
 * to the job's share, bound to and advertising the address chosen for it, giving up (its processes
 * killed) when the master has been unreachable for {@link #EXIT_AFTER}. Runs until SIGTERM (srun
 * passes it on when the step ends) or until it gives up.
 */
final class SlurmJoin {
  /** How long a node's fabric waits for a master it lost before it kills its processes. */
  static final Duration EXIT_AFTER = Duration.ofSeconds(30);

  private SlurmJoin() {}

  static int run(SlurmNodeCommand.Setup setup, boolean verbose) throws CommandException {
    JarCache cache;
    try {
      cache = new JarCache(JarCache.defaultDirectory());
    } catch (IOException e) {
      throw new CommandException(e.getMessage());
    }
    int warm;
    try {
      warm = Fabric.warmSize(System.getenv("DEPLOY_WARM"));
    } catch (IllegalArgumentException e) {
      throw new CommandException("DEPLOY_WARM: " + e.getMessage(), 2);
    }
    boolean cgroups = !"0".equals(System.getenv("DEPLOY_CGROUPS"));
    Resources capacity = setup.capacity();
    WorkerDaemon.JoinOptions options =
        WorkerDaemon.JoinOptions.of(
                setup.key(),
                new HostPort(setup.master().getHostString(), setup.master().getPort()),
                cache)
            .withName(setup.share().node())
            .withCapacity(capacity)
            .withAdvertise(setup.bind().getHostAddress())
            .withBind(new InetSocketAddress(setup.bind(), 0))
            .withFabric(10L << 30, cgroups, warm)
            .withExitAfter(EXIT_AFTER);
    WorkerDaemon daemon;
    try {
      daemon = WorkerDaemon.join(options);
    } catch (IllegalArgumentException e) {
      throw new CommandException(e.getMessage(), 2);
    }
    if (verbose) {
      System.err.println(
          SlurmNodeCommand.NAME
              + ": "
              + setup.share().node()
              + " joins "
              + setup.master().getHostString()
              + ":"
              + setup.master().getPort()
              + " with "
              + Resources.formatMemory(capacity.memory())
              + " and "
              + setup.share().cpus()
              + " cpus ("
              + setup.share().memoryFrom()
              + ")");
    }
    Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "deploy-slurm-node-stop"));
    try {
      String why = daemon.gaveUp().get();
      System.err.println(SlurmNodeCommand.NAME + ": " + setup.share().node() + ": " + why);
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } catch (ExecutionException e) {
      throw new CommandException(String.valueOf(e.getCause()));
    }
  }
}
