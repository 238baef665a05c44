package dev.deploy.cli;

import dev.deploy.Resources;
import dev.deploy.cli.slurm.ReachableAddress;
import dev.deploy.cli.slurm.SlurmAllocation;
import dev.deploy.cli.slurm.SlurmNodes;
import dev.deploy.cli.slurm.SlurmQuery;
import dev.deploy.process.Env;
import dev.deploy.security.ClusterKey;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code deploy slurm node} (hidden): one task of {@code deploy slurm run}'s srun step. Sizes this
 * node from the step's environment ({@link SlurmAllocation}), reads the master's address and the
 * cluster key from the environment ({@link SlurmNodes#MASTER}, {@link Env#CLUSTER_KEY}), joins the
 * master under the node's Slurm name, and runs until stopped (SIGTERM from srun) or until its
 * master has been unreachable for 30 s.
 */
@Command(
    name = "node",
    hidden = true,
    description = "One node's fabric of deploy slurm run; started by srun, not by hand.")
final class SlurmNodeCommand implements Callable<Integer> {
  static final String NAME = "deploy slurm node";

  @Option(names = "--verbose", description = "Log more, and print stack traces of errors.")
  boolean verbose;

  @Override
  public Integer call() {
    return Main.guard(NAME, verbose, this::run);
  }

  /** What a node's fabric needs, read from its environment. */
  record Setup(
      InetSocketAddress master,
      ClusterKey key,
      SlurmAllocation.NodeShare share,
      InetAddress bind,
      Optional<String> networkInterface) {
    Resources capacity() {
      return new Resources(share.capacity(), share.cpus());
    }
  }

  /**
   * Reads the setup from {@code env}, {@code procStatus} (the text of /proc/self/status) and Slurm.
   *
   * @throws CommandException naming the missing or malformed variable
   */
  static Setup setup(
      Map<String, String> env, String procStatus, SlurmAllocation.RealMemory realMemory)
      throws CommandException {
    String masterText = env.get(SlurmNodes.MASTER);
    String keyText = env.get(Env.CLUSTER_KEY);
    if (masterText == null || keyText == null) {
      throw new CommandException(
          SlurmNodes.MASTER
              + " and "
              + Env.CLUSTER_KEY
              + " are not both set: this runs only as a task of deploy slurm run's srun step",
          2);
    }
    InetSocketAddress master = Addresses.parse(SlurmNodes.MASTER, masterText);
    ClusterKey key;
    try {
      key = ClusterKey.fromHex(keyText.trim());
    } catch (IllegalArgumentException e) {
      throw new CommandException(Env.CLUSTER_KEY + " is not a cluster key: " + e.getMessage(), 2);
    }
    SlurmAllocation.NodeShare share;
    try {
      share = SlurmAllocation.ofStep(env, SlurmAllocation.cpusAllowedList(procStatus), realMemory);
    } catch (IllegalArgumentException e) {
      throw new CommandException(e.getMessage(), 2);
    }
    if (share.capacity() < Resources.MIN_MEMORY) {
      throw new CommandException(
          "the job holds only "
              + Resources.formatMemory(share.memory())
              + " on "
              + share.node()
              + " ("
              + share.memoryFrom()
              + "), too little for a fabric and its processes: ask for more with --mem",
          2);
    }
    Optional<String> nic = Optional.ofNullable(env.get(SlurmNodes.INTERFACE));
    InetAddress bind;
    if (nic.isPresent()) {
      try {
        bind = ReachableAddress.ofInterface(nic.get());
      } catch (IllegalArgumentException e) {
        throw new CommandException(share.node() + ": " + e.getMessage(), 2);
      }
    } else {
      bind =
          ReachableAddress.towards(master.getAddress())
              .orElseThrow(
                  () ->
                      new CommandException(
                          share.node()
                              + " has no route to the master at "
                              + masterText
                              + ": choose the network with --interface"));
    }
    return new Setup(master, key, share, bind, nic);
  }

  private int run() throws CommandException {
    String status;
    try {
      status = Files.readString(Path.of("/proc/self/status"));
    } catch (IOException e) {
      status = ""; // not Linux: SLURM_CPUS_ON_NODE alone says
    }
    Setup setup = setup(System.getenv(), status, new SlurmQuery());
    return SlurmJoin.run(setup, verbose);
  }
}
