package dev.deploy.cli;

import dev.deploy.cli.slurm.SlurmNodes;
import dev.deploy.cluster.ClusterMaster;
import dev.deploy.master.NodesFile;
import dev.deploy.security.ClusterKey;
import java.net.InetSocketAddress;
import java.util.Optional;

/** Starts the master of a Slurm run: no room of its own, its nodes from {@link SlurmNodes}. */
final class SlurmMasters {
  private SlurmMasters() {}

  static ClusterMaster start(
      ClusterKey key,
      InetSocketAddress bind,
      Optional<NodesFile.HostPort> advertise,
      SlurmNodes provider)
      throws CommandException {
    throw new CommandException("workers that join are not in this build yet");
  }
}
