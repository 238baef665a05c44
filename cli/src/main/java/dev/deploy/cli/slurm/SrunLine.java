package dev.deploy.cli.slurm;

import java.util.ArrayList;
import java.util.List;

/**
 * The one {@code srun} step of {@code deploy slurm run}: a task per node of the allocation, each a
 * fabric JVM ({@code deploy slurm node}) that sizes itself from the step and joins the master. The
 * master's address and the job's key reach the tasks through the environment ({@code srun} passes
 * its own on), never this command line. Stateless.
 */
public final class SrunLine {
  /** The step's name, as squeue and sacct show it. */
  public static final String STEP_NAME = "deploy-fabric";

  private SrunLine() {}

  /**
   * Returns the command.
   *
   * @param nodes how many nodes the job has: one task on each
   * @param cpusPerTask {@code -c}, passed explicitly (Slurm 22.05 no longer has the step inherit
   *     the job's)
   * @param java the java executable
   * @param deployJar the class path holding deploy's command line (deploy.jar)
   * @param extraSrunArguments further arguments for srun, before the command
   */
  public static List<String> command(
      int nodes, int cpusPerTask, String java, String deployJar, List<String> extraSrunArguments) {
    List<String> c = new ArrayList<>();
    c.add("srun");
    c.add("--nodes=" + nodes);
    c.add("--ntasks=" + nodes);
    c.add("--ntasks-per-node=1");
    c.add("--cpus-per-task=" + cpusPerTask);
    // A fabric that ends (a lost node) must not take the others down; the program decides.
    c.add("--kill-on-bad-exit=0");
    c.add("--no-kill");
    c.add("--job-name=" + STEP_NAME);
    c.add("--export=ALL");
    c.addAll(extraSrunArguments);
    c.add(java);
    c.add("-Xmx" + SlurmAllocation.FABRIC_HEAP);
    c.add("-XX:+UseSerialGC");
    c.add("-cp");
    c.add(deployJar);
    c.add("dev.deploy.cli.Main");
    c.add("deploy");
    c.add("slurm");
    c.add("node");
    return c;
  }
}
