package dev.deploy.cli;

import dev.deploy.runtime.ProcessRuntime;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar deploy.jar <command>}: the command-line tools. The jar is also the library:
 * programs put it on their classpath.
 */
@Command(
    name = "deploy.jar",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "The deploy runtime for distributed Java programs.",
      "Put this jar on your program's classpath and call Deploy.init() first in main;",
      "`java -cp deploy.jar:<your classes> <Main>` then runs it on this machine."
    },
    subcommands = {
      CommandLine.HelpCommand.class,
      Main.VersionCommand.class,
      KeygenCommand.class,
      FabricCommand.class,
      DeployCommand.class
    })
public final class Main implements Callable<Integer> {
  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 0;
  }

  public static void main(String[] args) {
    boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
    // deploy slurm runs daemons inside a user's command: their routine news is noise there.
    boolean slurm = args.length >= 2 && args[0].equals("deploy") && args[1].equals("slurm");
    System.setProperty(
        "org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : slurm ? "warn" : "info");
    System.setProperty("org.slf4j.simpleLogger.showThreadName", String.valueOf(verbose));
    System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    dev.deploy.logging.Loggers.initialize(); // before any thread logs (see there)
    try {
      dev.deploy.security.FrameProtection.configured();
    } catch (IllegalArgumentException e) {
      System.err.println(
          "deploy.jar: " + dev.deploy.security.FrameProtection.VARIABLE + ": " + e.getMessage());
      System.exit(2);
    }
    try {
      dev.deploy.io.SilenceLimit
          .current(); // every command's links; a daemon's option may replace it
    } catch (IllegalArgumentException e) {
      System.err.println("deploy.jar: " + e.getMessage());
      System.exit(2);
    }
    if (args.length >= 2 && args[0].equals("deploy") && args[1].equals("k8s")) {
      System.exit(K8sLauncher.run(java.util.Arrays.copyOfRange(args, 2, args.length)));
    }
    CommandLine line = new CommandLine(new Main());
    line.setParameterExceptionHandler(Main::badArguments);
    System.exit(line.execute(args));
  }

  /** Wrong arguments: one sentence and where to read more, not the whole usage; exit 2. */
  private static int badArguments(CommandLine.ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    String name = command.getCommandSpec().qualifiedName(" ").replaceFirst("^deploy\\.jar ", "");
    command.getErr().println(name + ": " + e.getMessage() + " (see " + name + " --help)");
    command.getErr().flush();
    return 2;
  }

  /** A command's body, which may fail with a sentence for the user. */
  interface Body {
    int run() throws CommandException;
  }

  /**
   * Runs a command's body: a {@link CommandException} becomes {@code <command>: <sentence>} on
   * stderr and its exit code; anything else is a bug of ours, one line too, with the stack trace
   * under {@code --verbose}.
   */
  static int guard(String command, boolean verbose, Body body) {
    try {
      return body.run();
    } catch (CommandException e) {
      System.err.println(command + ": " + e.getMessage());
      if (verbose) {
        e.printStackTrace();
      }
      return e.code;
    } catch (RuntimeException e) {
      System.err.println(command + ": internal error: " + e + " (--verbose shows where)");
      if (verbose) {
        e.printStackTrace();
      }
      return 1;
    }
  }

  /** Prints the library's version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"deploy " + ProcessRuntime.version()};
    }
  }

  /** {@code version}: prints the version. */
  @Command(name = "version", description = "Print the version of deploy.")
  static final class VersionCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      System.out.println("deploy " + ProcessRuntime.version());
      return 0;
    }
  }
}
