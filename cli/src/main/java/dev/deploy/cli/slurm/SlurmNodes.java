package dev.deploy.cli.slurm;

import dev.deploy.cluster.master.NodeProvider;
import dev.deploy.process.Env;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The nodes of a Slurm allocation as a master's {@link NodeProvider}: one {@code srun} step with a
 * fabric per node ({@link SrunLine}), started when the master listens, given the master's address
 * and the cluster key through its environment ({@link #MASTER}, {@link Env#CLUSTER_KEY}), and ended
 * when the master stops. The step ending by itself (scancel, the time limit, every node lost) is
 * reported to {@code onStepEnd}: {@code salloc} does not signal its command on scancel, so this is
 * how {@code deploy slurm run} learns its job is over.
 *
 * <p>Threading: {@link #start} and {@link #close} on the caller's thread; the step's output is
 * copied to {@code log} by a thread of its own; {@code onStepEnd} runs on the process's exit
 * thread.
 */
public final class SlurmNodes implements NodeProvider {
  /** The variable that gives a node's fabric the master's host:port. */
  public static final String MASTER = "DEPLOY_SLURM_MASTER";

  /** The variable that names the network interface whose address a node's fabric advertises. */
  public static final String INTERFACE = "DEPLOY_SLURM_INTERFACE";

  /** How long a stopped step's tasks get to stop their processes before srun is killed. */
  static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final List<String> command;
  private final Map<String, String> extraEnvironment;
  private final PrintStream log;
  private final Consumer<Integer> onStepEnd;
  private volatile Process srun;
  private volatile Cluster cluster;
  private volatile boolean closing;

  /**
   * A provider that runs {@code command} (an {@code srun} line) with this JVM's environment plus
   * {@code extraEnvironment}, copies its output to {@code log}, and calls {@code onStepEnd} with
   * srun's exit status when the step ends before {@link #close}.
   */
  public SlurmNodes(
      List<String> command,
      Map<String, String> extraEnvironment,
      PrintStream log,
      Consumer<Integer> onStepEnd) {
    this.command = List.copyOf(command);
    this.extraEnvironment = Map.copyOf(extraEnvironment);
    this.log = log;
    this.onStepEnd = onStepEnd;
  }

  @Override
  public void start(Cluster cluster) {
    this.cluster = cluster;
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    env.putAll(extraEnvironment);
    env.put(MASTER, cluster.joinAddress().getHostString() + ":" + cluster.joinAddress().getPort());
    env.put(Env.CLUSTER_KEY, cluster.key().toHex());
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.redirectErrorStream(true);
    Process p;
    try {
      p = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start srun: " + e.getMessage(), e);
    }
    srun = p;
    copy(p.getInputStream());
    p.onExit()
        .thenAccept(
            ended -> {
              if (!closing) {
                onStepEnd.accept(ended.exitValue());
              }
            });
  }

  private void copy(InputStream in) {
    Thread t =
        new Thread(
            () -> {
              try (in) {
                byte[] buffer = new byte[8192];
                int n;
                while ((n = in.read(buffer)) > 0) {
                  if (!closing) { // srun's news of the step we end ourselves is noise
                    log.write(buffer, 0, n);
                    log.flush();
                  }
                }
              } catch (IOException e) {
                // srun ended.
              }
            },
            "deploy-srun-output");
    t.setDaemon(true);
    t.start();
  }

  /** Returns the master's view, once {@link #start} ran. */
  public Optional<Cluster> cluster() {
    return Optional.ofNullable(cluster);
  }

  /** Returns the srun process's pid, once started. */
  public Optional<Long> srunPid() {
    Process p = srun;
    return p == null ? Optional.empty() : Optional.of(p.pid());
  }

  /** Returns whether the step is still running. */
  public boolean running() {
    Process p = srun;
    return p != null && p.isAlive();
  }

  /**
   * Waits until {@code count} nodes joined, the step ended, or {@code timeout} passed; returns how
   * many joined.
   */
  public int awaitJoined(int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Cluster c = cluster;
      int joined = c == null ? 0 : c.nodes().size();
      if (joined >= count || !running() || System.nanoTime() - deadline > 0) {
        return joined;
      }
      // Returns early when srun ends.
      srun.waitFor(100, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Ends the step: SIGTERM to srun, which passes it to every task (each fabric then kills its
   * processes and exits); srun is killed if it has not ended after {@link #STOP_GRACE}.
   */
  @Override
  public void close() {
    closing = true;
    Process p = srun;
    if (p == null || !p.isAlive()) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** A future completed when the step ends, with srun's exit status. */
  public CompletableFuture<Integer> ended() {
    Process p = srun;
    return p == null
        ? CompletableFuture.failedFuture(new IllegalStateException("not started"))
        : p.onExit().thenApply(Process::exitValue);
  }
}
