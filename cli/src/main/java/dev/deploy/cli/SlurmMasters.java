package dev.deploy.cli;

import dev.deploy.cli.slurm.SlurmNodes;
import dev.deploy.cluster.master.ClusterMaster;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import dev.deploy.util.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * Starts the master of a Slurm run in this JVM: no room of its own (no program process runs here),
 * no static workers, its nodes joining from {@link SlurmNodes}' srun step, which it starts once it
 * listens.
 */
final class SlurmMasters {
  /** The jar cache's limit: the cache is the user's usual one, shared with other runs. */
  private static final long CACHE_LIMIT = 10L << 30;

  private SlurmMasters() {}

  static ClusterMaster start(
      ClusterKey key, InetSocketAddress bind, Optional<HostPort> advertise, SlurmNodes provider)
      throws CommandException {
    JarCache cache;
    try {
      cache = new JarCache(JarCache.defaultDirectory());
    } catch (IOException e) {
      throw new CommandException(e.getMessage());
    }
    try {
      return new ClusterMaster(
          key,
          bind,
          advertise,
          Optional.empty(),
          Optional.empty(),
          List.of(),
          List.of(provider),
          cache,
          CACHE_LIMIT,
          false,
          0);
    } catch (IOException e) {
      throw new CommandException(e.getMessage());
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new CommandException(e.getMessage());
    }
  }
}
