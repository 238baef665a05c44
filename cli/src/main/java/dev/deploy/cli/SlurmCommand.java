package dev.deploy.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code deploy slurm ...}: run a program on the nodes of a Slurm allocation. */
@Command(
    name = "slurm",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    subcommands = {
      SlurmRunCommand.class,
      SlurmSubmitCommand.class,
      SlurmNodeCommand.class,
      CommandLine.HelpCommand.class
    },
    description = {
      "Run a program on the nodes Slurm gives a job: one fabric per node, sized to the job's"
          + " share of it, and the master and bridge in the process that runs the command.",
      "",
      "  deploy slurm run <app.jar|classpath> [<main-class>] [-- <args>...]   (in salloc or sbatch)",
      "  deploy slurm submit [-N n] [-c cpus] [--mem size] [-t time] [-p partition] <app> ...",
      "",
      "See docs/slurm.md."
    })
final class SlurmCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 0;
  }
}
