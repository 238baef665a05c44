package dev.deploy.cli;

import java.util.ArrayList;
import java.util.List;
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

  /** A program as a command line names it: its class path, main class and arguments. */
  record Program(String classPath, String mainClass, List<String> arguments) {}

  /**
   * Sorts a command's positional arguments into the program: everything after the first {@code --}
   * of {@code raw} is the program's, options included; before it, the class path and maybe the main
   * class.
   *
   * @throws CommandException (code 2) when the program is missing or its arguments come before --
   */
  static Program program(String command, List<String> raw, List<String> positional)
      throws CommandException {
    int dashes = raw.indexOf("--");
    int programArgs = dashes < 0 ? 0 : raw.size() - dashes - 1;
    List<String> before = positional.subList(0, positional.size() - programArgs);
    List<String> arguments =
        new ArrayList<>(positional.subList(positional.size() - programArgs, positional.size()));
    if (before.isEmpty()) {
      throw new CommandException(
          "give the program, like: " + command + " app.jar (see " + command + " --help)", 2);
    }
    if (before.size() > 2) {
      throw new CommandException(
          "the program's arguments go after --, like: "
              + command
              + " "
              + before.get(0)
              + " "
              + before.get(1)
              + " -- "
              + String.join(" ", before.subList(2, before.size())),
          2);
    }
    return new Program(before.get(0), before.size() == 2 ? before.get(1) : null, arguments);
  }
}
