package dev.deploy.cli;

import dev.deploy.security.ClusterKey;
import dev.deploy.security.KeyFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keygen [--force] <file>}: writes a fresh cluster key, mode 0600, for every fabric, master,
 * bridge and {@code deploy} of one cluster to share. Runs on the main thread; prints to the command
 * line's writers so tests can capture them.
 */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Write a new cluster key to <file>, readable only by you.",
      "",
      "Every connection in a cluster (fabric, master, bridge, deploy and the channels between"
          + " processes) proves it knows this key before anything else is read from it. Copy"
          + " the file to each machine, keep it mode 600, and point each command at it with"
          + " DEPLOY_KEY_FILE=<file> or --key-file <file>."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:the key was written",
      "1:it was not: <file> exists (see --force) or cannot be written",
      "2:the arguments are wrong"
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  java -jar deploy.jar keygen cluster.key",
      "  export DEPLOY_KEY_FILE=$PWD/cluster.key"
    })
final class KeygenCommand implements Callable<Integer> {
  /** What a shell takes as one word without quotes. */
  private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./+-]+");

  @Spec private CommandSpec spec;

  @Option(
      names = "--force",
      description =
          "Replace <file> if it exists. Whatever used the old key will be refused until it is"
              + " given the new one.")
  private boolean force;

  @Parameters(
      paramLabel = "<file>",
      description = "Where to write the key: 64 hex characters and a newline, mode 600.")
  private Path file;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      KeyFile.write(file, ClusterKey.generate(), force);
    } catch (FileAlreadyExistsException e) {
      err.println("keygen: " + e.getMessage() + "; pass --force to replace it");
      err.flush();
      return 1;
    } catch (IOException e) {
      err.println("keygen: " + e.getMessage());
      err.flush();
      return 1;
    }
    String where = shellWord(file.toAbsolutePath().normalize().toString());
    out.println(
        "Wrote a new cluster key to "
            + where
            + "; use it with DEPLOY_KEY_FILE="
            + where
            + " or --key-file "
            + where);
    out.flush();
    return 0;
  }

  /** Returns {@code text} quoted for a POSIX shell when it is not a plain word. */
  private static String shellWord(String text) {
    return PLAIN_WORD.matcher(text).matches() ? text : "'" + text.replace("'", "'\\''") + "'";
  }
}
