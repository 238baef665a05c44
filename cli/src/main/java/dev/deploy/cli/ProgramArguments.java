package dev.deploy.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The program a command runs and how its output is shown, as {@code deploy slurm run}, {@code
 * deploy slurm submit} and {@code deploy k8s run} take them: {@code <app.jar|classpath>
 * [<main-class>] [-- <args>...]} with {@code --format}, {@code --jvm-option} and {@code --env}. A
 * picocli mixin ({@code @Mixin ProgramArguments program;}); read it on the command's thread after
 * parsing.
 */
public final class ProgramArguments {
  /** A program as a command line names it: its class path, main class (or null) and arguments. */
  public record Program(String classPath, String mainClass, List<String> arguments) {}

  /** The command this mixes into: its parse result has the raw arguments, {@code --} included. */
  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(
      names = "--format",
      paramLabel = "human|json",
      description = "Output format (default: $DEPLOY_FORMAT, else human).")
  String format;

  @Option(
      names = "--jvm-option",
      paramLabel = "<option>",
      description = "A JVM option for every process of the program; repeatable.")
  List<String> jvmOptions = new ArrayList<>();

  @Option(
      names = "--env",
      paramLabel = "NAME=value",
      description = "An environment variable for every process of the program; repeatable.")
  List<String> environment = new ArrayList<>();

  @Parameters(
      paramLabel = "<app.jar|classpath> [<main-class>] [-- <args>...]",
      arity = "0..*",
      description = "The program, its main class, its arguments (after --).")
  List<String> positional = new ArrayList<>();

  /**
   * Returns the program the command line names.
   *
   * @param command the command's name for the message, like {@code deploy slurm run}
   * @throws IllegalArgumentException with one sentence when the program is missing or its arguments
   *     come before {@code --}
   */
  public Program program(String command) {
    return split(command, mixee.commandLine().getParseResult().originalArgs(), positional);
  }

  /**
   * Returns the output format's name: {@code --format}, else {@code $DEPLOY_FORMAT}, else null (for
   * human).
   *
   * @throws IllegalArgumentException with one sentence when it is neither human nor json
   */
  public String formatName() {
    String name = format != null ? format : System.getenv("DEPLOY_FORMAT");
    if (name != null && !name.equals("human") && !name.equals("json")) {
      throw new IllegalArgumentException("--format is human or json, not \"" + name + "\"");
    }
    return name;
  }

  /** Returns the {@code --jvm-option}s, in order. */
  public List<String> jvmOptions() {
    return jvmOptions;
  }

  /** Returns the {@code --env} entries, in order, as given (not yet checked). */
  public List<String> environment() {
    return environment;
  }

  /**
   * Sorts a command's positional arguments into the program: everything after the first {@code --}
   * of {@code raw} is the program's, options included; before it, the class path and maybe the main
   * class.
   *
   * @throws IllegalArgumentException with one sentence when the program is missing or its arguments
   *     come before --
   */
  static Program split(String command, List<String> raw, List<String> positional) {
    int dashes = raw.indexOf("--");
    int programArgs = dashes < 0 ? 0 : raw.size() - dashes - 1;
    List<String> before = positional.subList(0, positional.size() - programArgs);
    List<String> arguments =
        List.copyOf(positional.subList(positional.size() - programArgs, positional.size()));
    if (before.isEmpty()) {
      throw new IllegalArgumentException(
          "give the program, like: " + command + " app.jar (see " + command + " --help)");
    }
    if (before.size() > 2) {
      throw new IllegalArgumentException(
          "the program's arguments go after --, like: "
              + command
              + " "
              + before.get(0)
              + " "
              + before.get(1)
              + " -- "
              + String.join(" ", before.subList(2, before.size())));
    }
    return new Program(before.get(0), before.size() == 2 ? before.get(1) : null, arguments);
  }
}
