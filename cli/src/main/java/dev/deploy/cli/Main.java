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
    subcommands = {Main.VersionCommand.class, KeygenCommand.class})
public final class Main implements Callable<Integer> {
  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
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
