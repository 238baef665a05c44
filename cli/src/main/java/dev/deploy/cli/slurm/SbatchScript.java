package dev.deploy.cli.slurm;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The batch script {@code deploy slurm submit} writes: {@code #SBATCH} lines for the allocation
 * (one task per node), then {@code deploy slurm run} with the same program, its exit code written
 * to a file next to the output so the submitting side can return it. Every value is quoted for the
 * shell. Stateless.
 */
public final class SbatchScript {
  private SbatchScript() {}

  /**
   * What to ask for and run.
   *
   * @param nodes {@code -N}
   * @param cpus {@code -c}: processors per node (one task per node)
   * @param memory {@code --mem} as Slurm takes it (like {@code 8G}), or empty: Slurm's default
   * @param time {@code -t}, or empty
   * @param partition {@code -p}, or empty
   * @param sbatchArguments more {@code #SBATCH} options, each as given
   * @param outputBase the output files' path without suffix, with {@code %j} for the job id: {@code
   *     .out}, {@code .err} and {@code .exit} are added
   * @param java the java executable on the nodes
   * @param deployJar deploy.jar's path on the nodes
   * @param runArguments everything after {@code deploy slurm run}
   */
  public record Plan(
      int nodes,
      int cpus,
      Optional<String> memory,
      Optional<String> time,
      Optional<String> partition,
      List<String> sbatchArguments,
      String outputBase,
      String jobName,
      String java,
      String deployJar,
      List<String> runArguments) {}

  /** Returns the script's text. */
  public static String text(Plan p) {
    StringBuilder s = new StringBuilder();
    s.append("#!/bin/bash\n");
    s.append("# Written by deploy slurm submit: one fabric per node, the master here.\n");
    s.append("#SBATCH --job-name=").append(p.jobName()).append('\n');
    s.append("#SBATCH --nodes=").append(p.nodes()).append('\n');
    s.append("#SBATCH --ntasks-per-node=1\n");
    s.append("#SBATCH --cpus-per-task=").append(p.cpus()).append('\n');
    p.memory().ifPresent(m -> s.append("#SBATCH --mem=").append(m).append('\n'));
    p.time().ifPresent(t -> s.append("#SBATCH --time=").append(t).append('\n'));
    p.partition().ifPresent(t -> s.append("#SBATCH --partition=").append(t).append('\n'));
    s.append("#SBATCH --no-kill\n");
    s.append("#SBATCH --output=").append(p.outputBase()).append(".out\n");
    s.append("#SBATCH --error=").append(p.outputBase()).append(".err\n");
    for (String a : p.sbatchArguments()) {
      s.append("#SBATCH ").append(a).append('\n');
    }
    String exitFile = p.outputBase().replace("%j", "${SLURM_JOB_ID}") + ".exit";
    s.append(quote(p.java())).append(" -jar ").append(quote(p.deployJar()));
    s.append(" deploy slurm run");
    for (String a : p.runArguments()) {
      s.append(' ').append(quote(a));
    }
    s.append('\n');
    s.append("code=$?\n");
    s.append("echo \"$code\" > \"").append(exitFile).append("\"\n");
    s.append("exit \"$code\"\n");
    return s.toString();
  }

  /** Quotes {@code text} for the shell: single quotes, each inner one as {@code '\''}. */
  public static String quote(String text) {
    if (text.matches("[A-Za-z0-9_@%+=:,./-]+")) {
      return text;
    }
    return "'" + text.replace("'", "'\\''") + "'";
  }

  /** Returns {@code base} with the job id in place of {@code %j}, as Slurm names the files. */
  public static Path file(String base, String jobId, String suffix) {
    return Path.of(base.replace("%j", jobId) + suffix);
  }
}
