package dev.deploy.cli;

import dev.deploy.bridge.EventFormat;
import dev.deploy.bridge.Formats;
import dev.deploy.cli.slurm.ReachableAddress;
import dev.deploy.cli.slurm.SlurmAllocation;
import dev.deploy.cli.slurm.SlurmNodes;
import dev.deploy.cli.slurm.SlurmQuery;
import dev.deploy.cli.slurm.SrunLine;
import dev.deploy.cluster.client.DeployClient;
import dev.deploy.cluster.link.Environment;
import dev.deploy.cluster.master.ClusterMaster;
import dev.deploy.master.Advertised;
import dev.deploy.security.ClusterKey;
import dev.deploy.util.HostPort;
import dev.deploy.wire.ProtocolException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code deploy slurm run}: inside an allocation, starts the master and bridge in this JVM (with no
 * room of its own), one fabric per node with a single {@code srun} step, deploys the program to its
 * own bridge and prints its output as {@code deploy} does; exits with the program's code. The step
 * ending by itself (scancel, time limit: {@code salloc} does not signal its command) ends the run;
 * the run ending ends the step.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Inside a Slurm allocation (salloc, or an sbatch script): start one fabric per allocated"
          + " node with one srun step, each sized to the job's share of its node, then run the"
          + " program across them and print its output as deploy does. Exits with the program's"
          + " exit code. A fresh cluster key per run, passed to the nodes in the environment.",
      "",
      "The nodes dial this process at: --advertise <addr>, else the address of --interface"
          + " <name>, else the address this machine's routes use to reach the job's first node"
          + " (its NodeAddr in scontrol show node). Ports are chosen by the system."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:every process exited 0",
      "n:the code of the first process that did not (128+signal; 1 when lost)",
      "1:the nodes could not start or join, or the step ended under the program",
      "2:the arguments are wrong, or this is not inside an allocation"
    },
    footerHeading = "%nExample:%n",
    footer = {"  salloc -N 2 -c 4 --mem 8G deploy slurm run app.jar com.example.Main -- input.csv"})
final class SlurmRunCommand implements Callable<Integer> {
  private static final String NAME = "deploy slurm run";

  /** How long a failed run waits to learn whether its step ended under it. */
  private static final Duration STEP_END_GRACE = Duration.ofSeconds(2);

  @Option(names = "--verbose", description = "Say more, and print stack traces of errors.")
  boolean verbose;

  @Option(
      names = "--advertise",
      paramLabel = "<addr>",
      description =
          "The address the nodes dial to reach this process (it then listens on every"
              + " interface). Default: see above.")
  String advertise;

  @Option(
      names = "--interface",
      paramLabel = "<name>",
      description =
          "The network interface (like ib0 or eth1) whose address this process and every node's"
              + " fabric listen on and advertise.")
  String networkInterface;

  @Option(
      names = "--join-timeout",
      paramLabel = "<seconds>",
      description = "How long the nodes' fabrics may take to start and join (default: 120).")
  int joinTimeout = 120;

  @Mixin ProgramArguments arguments;

  @Override
  public Integer call() {
    return Main.guard(NAME, verbose, this::run);
  }

  private int run() throws CommandException {
    Map<String, String> env = System.getenv();
    String job = env.get("SLURM_JOB_ID");
    if (job == null || job.isBlank()) {
      throw new CommandException(
          "this is not inside a Slurm allocation (SLURM_JOB_ID is not set): run it under salloc"
              + " or in an sbatch script, or submit it with deploy slurm submit",
          2);
    }
    ProgramArguments.Program program;
    String formatName;
    try {
      program = arguments.program(NAME);
      formatName = arguments.formatName();
    } catch (IllegalArgumentException e) {
      throw new CommandException(e.getMessage(), 2);
    }
    try {
      Environment.parse(arguments.environment());
    } catch (ProtocolException e) {
      throw new CommandException("--env: " + e.getMessage(), 2);
    }
    EventFormat out = Formats.forName(formatName);
    if (advertise != null && networkInterface != null) {
      throw new CommandException("give --advertise or --interface, not both", 2);
    }
    if (joinTimeout < 1) {
      throw new CommandException("--join-timeout must be at least 1 second", 2);
    }
    List<String> nodes;
    int cpus;
    try {
      nodes = SlurmAllocation.nodes(env);
      cpus = SlurmAllocation.cpusPerTask(env);
    } catch (IllegalArgumentException e) {
      throw new CommandException(e.getMessage(), 2);
    }
    SlurmQuery slurm = new SlurmQuery();
    InetAddress bindHost = bindAddress(nodes, slurm);
    Optional<HostPort> advertised = advertised();

    ClusterKey key = ClusterKey.generate();
    Map<String, String> nodeEnv = new HashMap<>();
    if (networkInterface != null) {
      nodeEnv.put(SlurmNodes.INTERFACE, networkInterface);
    }
    AtomicInteger stepStatus = new AtomicInteger(Integer.MIN_VALUE);
    DeployClient[] clientRef = new DeployClient[1];
    SlurmNodes provider =
        new SlurmNodes(
            SrunLine.command(nodes.size(), cpus, javaExecutable(), deployJar(), List.of()),
            nodeEnv,
            System.err,
            status -> {
              stepStatus.set(status);
              DeployClient c = clientRef[0];
              if (c != null) {
                // Every fabric is gone: their processes are lost; let the bridge say so, then stop.
                c.interrupt(5_000);
              }
            });
    ClusterMaster master =
        SlurmMasters.start(key, new InetSocketAddress(bindHost, 0), advertised, provider);
    boolean json = "json".equals(formatName);
    DeployClient client =
        new DeployClient(key, out, json ? null : System.err, Formats.stderrIsTerminal());
    clientRef[0] = client;
    Thread stop =
        new Thread(
            () -> {
              client.interrupt(5_000);
              master.close();
              provider.close();
            },
            "deploy-slurm-stop");
    Runtime.getRuntime().addShutdownHook(stop);
    try {
      int joined;
      try {
        joined = provider.awaitJoined(nodes.size(), Duration.ofSeconds(joinTimeout));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CommandException("interrupted while the nodes joined");
      }
      if (joined < nodes.size()) {
        if (!provider.running()) {
          throw new CommandException(
              "the srun step ended (status "
                  + provider.ended().join()
                  + ") before the nodes' fabrics joined: see srun's messages above");
        }
        throw new CommandException(
            "only "
                + joined
                + " of the "
                + nodes.size()
                + " nodes' fabrics joined within "
                + joinTimeout
                + " s; if they cannot reach "
                + Advertised.show(master.advertised())
                + ", choose the address with --interface or --advertise (see docs/slurm.md)");
      }
      if (verbose) {
        System.err.println(
            NAME
                + ": "
                + joined
                + " nodes joined the master at "
                + Advertised.show(master.advertised()));
      }
      InetSocketAddress bridge =
          new InetSocketAddress(
              master.advertisedBridge().getHostString(), master.advertisedBridge().getPort());
      int code;
      try {
        code =
            client.run(
                new DeployClient.Request(
                    bridge,
                    program.classPath(),
                    program.mainClass(),
                    program.arguments(),
                    arguments.jvmOptions(),
                    arguments.environment()));
      } catch (DeployClient.DeployFailure e) {
        throw new CommandException(e.getMessage());
      }
      if (code != 0 && stepStatus.get() == Integer.MIN_VALUE) {
        // Its nodes' fabrics gone at once (scancel, time limit) end the program before srun
        // notices: a moment for srun to say whether its step ended.
        awaitStepEnd(provider);
      }
      if (stepStatus.get() != Integer.MIN_VALUE || !provider.running()) {
        System.err.println(
            NAME
                + ": the srun step ended (status "
                + provider.ended().join()
                + ") while the program ran: the job was cancelled, reached its time limit, or"
                + " lost its nodes");
        return code == 0 ? 1 : code;
      }
      return code;
    } finally {
      removeHook(stop);
      // The master first: its deployments and links end quietly, then it closes the provider.
      master.close();
      provider.close();
    }
  }

  /** Waits up to {@link #STEP_END_GRACE} for the step to end. */
  private static void awaitStepEnd(SlurmNodes provider) {
    try {
      provider.ended().get(STEP_END_GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      // Still running: the program failed by itself.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The address this JVM listens on; see the command's description. */
  private InetAddress bindAddress(List<String> nodes, SlurmQuery slurm) throws CommandException {
    if (networkInterface != null) {
      try {
        return ReachableAddress.ofInterface(networkInterface);
      } catch (IllegalArgumentException e) {
        throw new CommandException("--interface: " + e.getMessage(), 2);
      }
    }
    if (advertise != null) {
      return wildcard();
    }
    String first = nodes.get(0);
    String nodeAddress = slurm.nodeAddress(first).orElse(first);
    try {
      InetAddress peer = InetAddress.getByName(nodeAddress);
      Optional<InetAddress> local = ReachableAddress.towards(peer);
      if (local.isPresent()) {
        return local.get();
      }
    } catch (UnknownHostException e) {
      // Fall back to this machine's name.
    }
    try {
      return InetAddress.getLocalHost();
    } catch (UnknownHostException e) {
      throw new CommandException(
          "cannot tell which of this machine's addresses the nodes reach (no route to "
              + nodeAddress
              + ", and this machine's name does not resolve): pass --interface or --advertise",
          2);
    }
  }

  private static InetAddress wildcard() {
    try {
      return InetAddress.getByName("0.0.0.0");
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private Optional<HostPort> advertised() throws CommandException {
    if (advertise == null) {
      return Optional.empty();
    }
    try {
      HostPort parsed = HostPort.parseHostAndOptionalPort(advertise);
      if (HostPort.isWildcard(parsed.host())) {
        throw new CommandException(
            "--advertise " + advertise + " is a wildcard, which names no machine", 2);
      }
      return Optional.of(new HostPort(parsed.host(), 0));
    } catch (IllegalArgumentException e) {
      throw new CommandException("--advertise: " + e.getMessage(), 2);
    }
  }

  /** This JVM's java executable, which the nodes run too (a shared or identical install). */
  static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The jar (or class path) this command runs from, which the nodes run too. */
  static String deployJar() throws CommandException {
    try {
      return Path.of(
              SlurmRunCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (java.net.URISyntaxException | RuntimeException e) {
      throw new CommandException("cannot tell where deploy.jar is: " + e.getMessage());
    }
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook runs.
    }
  }
}
