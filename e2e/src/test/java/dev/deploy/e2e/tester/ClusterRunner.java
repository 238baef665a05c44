package dev.deploy.e2e.tester;

import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs a program as a user deploys it to a {@link Cluster}: {@code java -jar deploy.jar deploy
 * --format json --key-file <key> <bridge> <deploy.jar>:<test-classes> <Program> -- <args>}. The
 * run's options map onto deploy's: JVM options to {@code --jvm-option=}, environment to {@code
 * --env NAME=value}, the format to {@code --format}; the client itself runs with {@link
 * Tool#environment()}, so it learns nothing from {@code DEPLOY_*} variables. The events the client
 * prints are the run's tree, as for a {@link LocalRunner}.
 *
 * <p>Two options have no cluster meaning, and a run that asks for them fails at once:
 *
 * <ul>
 *   <li>{@code DEPLOY_CAPACITY}, the local machine's capacity: a cluster's capacity is its layout.
 *       A runner {@link #standingFor} a capacity accepts it (and drops it), for a cluster whose
 *       layout gives the same outcome to the programs that ask for it.
 *   <li>{@link RunOptions#disposableClasses()}: the cluster runs the jars it keeps by SHA-256, so a
 *       program cannot delete its own classes there.
 * </ul>
 *
 * <p>By default the runner's deployments are the only ones on its cluster, so every process under
 * the daemons belongs to the run: those are checked like a local bridge's descendants (each must
 * end within {@link #GRACE} of the client's exit, or the run names it as a survivor) and killed
 * when the run is closed. {@link #sharing()} gives a runner for concurrent deployments, which
 * watches only its clients. Used by one test thread; {@link #close()} kills what is left of every
 * run started by this runner and its variants.
 */
public final class ClusterRunner implements Runner, AutoCloseable {
  /** How long the cluster may take to end a run's processes once the client exited. */
  public static final Duration GRACE = Duration.ofSeconds(5);

  private final Cluster cluster;
  private final Set<String> capacities;
  private final boolean alone;
  private final List<String> deployOptions;

  /** Shared by a runner and its variants. */
  private final List<RunningProgram> started;

  ClusterRunner(Cluster cluster) {
    this(cluster, Set.of(), true, List.of(), new ArrayList<>());
  }

  private ClusterRunner(
      Cluster cluster,
      Set<String> capacities,
      boolean alone,
      List<String> deployOptions,
      List<RunningProgram> started) {
    this.cluster = cluster;
    this.capacities = Set.copyOf(capacities);
    this.alone = alone;
    this.deployOptions = List.copyOf(deployOptions);
    this.started = started;
  }

  /**
   * The same runner, also accepting runs whose {@code DEPLOY_CAPACITY} is {@code capacity} (like
   * {@code "1GiB 1"}): the caller vouches that this cluster's layout gives the programs that ask
   * for it the outcome they expect on such a machine.
   */
  public ClusterRunner standingFor(String capacity) {
    Set<String> more = new TreeSet<>(capacities);
    more.add(capacity);
    return new ClusterRunner(cluster, more, alone, deployOptions, started);
  }

  /** The same runner for deployments that share the cluster: it watches only its clients. */
  public ClusterRunner sharing() {
    return new ClusterRunner(cluster, capacities, false, deployOptions, started);
  }

  /** The same runner, adding {@code options} (like {@code "--verbose"}) to deploy's command. */
  public ClusterRunner withDeployOptions(String... options) {
    List<String> more = new ArrayList<>(deployOptions);
    more.addAll(List.of(options));
    return new ClusterRunner(cluster, capacities, alone, more, started);
  }

  /** The cluster it deploys to. */
  public Cluster cluster() {
    return cluster;
  }

  @Override
  public String name() {
    return "cluster";
  }

  /**
   * Starts {@code deploy} for {@code program}.
   *
   * @throws IllegalArgumentException when the options ask for what a cluster cannot give
   */
  @Override
  public RunningProgram start(Class<?> program, RunOptions options) {
    RunningProgram running = startNotReading(program, options);
    running.readOn();
    return running;
  }

  /**
   * Starts {@code deploy} for {@code program} with nothing reading its stdout (as a pager that
   * waits for a key) until {@link RunningProgram#readOn()}: the client stays connected and pinging,
   * but takes no more events once its stdout pipe is full.
   */
  public RunningProgram startNotReading(Class<?> program, RunOptions options) {
    List<String> command = Tool.command(deployArguments(program, options).toArray(String[]::new));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().clear();
    builder.environment().putAll(Tool.environment());
    RunningProgram running =
        RunningProgram.startNotReading(
            builder,
            program.getName(),
            name(),
            options,
            null,
            alone ? cluster::processes : List::of,
            alone ? GRACE : Duration.ofSeconds(1));
    started.add(running);
    return running;
  }

  /** The arguments after {@code java -jar deploy.jar} that deploy {@code program}. */
  public List<String> deployArguments(Class<?> program, RunOptions options) {
    if (options.hasDisposableClasses()) {
      throw new IllegalArgumentException(
          program.getName()
              + " asks for a throw-away copy of its classes, but a cluster runs the jars it"
              + " keeps by SHA-256: it cannot be run on a cluster");
    }
    List<String> args = new ArrayList<>();
    args.add("deploy");
    args.add("--format");
    args.add(options.format() == RunOptions.Format.JSON ? "json" : "human");
    args.add("--key-file");
    args.add(cluster.keyFile().toString());
    for (String option : options.jvmOptions()) {
      args.add("--jvm-option=" + option);
    }
    for (Map.Entry<String, String> e : options.env().entrySet()) {
      if (e.getKey().equals("DEPLOY_CAPACITY")) {
        if (!capacities.contains(e.getValue())) {
          throw new IllegalArgumentException(
              program.getName()
                  + " asks for a machine of DEPLOY_CAPACITY="
                  + e.getValue()
                  + ", which means nothing to a cluster; this runner's "
                  + cluster
                  + " stands for "
                  + (capacities.isEmpty() ? "no capacity" : capacities));
        }
        continue;
      }
      args.add("--env");
      args.add(e.getKey() + "=" + e.getValue());
    }
    args.addAll(deployOptions);
    args.add(cluster.bridgeAddress());
    args.add(classPath());
    args.add(program.getName());
    if (!options.args().isEmpty()) {
      args.add("--");
      args.addAll(options.args());
    }
    return args;
  }

  /** The class path deploy ships: {@code deploy.jar} and the compiled programs. */
  public static String classPath() {
    return LocalRunner.deployJar() + File.pathSeparator + LocalRunner.programClasses();
  }

  /** Kills whatever is left of every run this runner or a variant started. */
  @Override
  public void close() {
    CloseAll.closeAll(started);
  }
}
