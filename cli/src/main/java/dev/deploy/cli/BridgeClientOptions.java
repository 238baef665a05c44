package dev.deploy.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options {@code deploy list}, {@code stop} and {@code attach} share: the key that proves them
 * to the bridge, and stack traces on errors. A picocli mixin, as {@link DaemonOptions} is for the
 * daemons.
 */
final class BridgeClientOptions {
  @Option(
      names = "--key-file",
      paramLabel = "<file>",
      description = "The cluster key (default: $DEPLOY_KEY_FILE; on loopback, your own key).")
  Path keyFile;

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  /** Returns {@code --format}'s value, else {@code DEPLOY_FORMAT}'s, else null (human). */
  static String formatName(String option) {
    return option != null ? option : System.getenv("DEPLOY_FORMAT");
  }
}
