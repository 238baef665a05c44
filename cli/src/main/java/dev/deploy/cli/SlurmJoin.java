package dev.deploy.cli;

/** A node's fabric joining its master: where the join API plugs in. */
final class SlurmJoin {
  private SlurmJoin() {}

  static int run(SlurmNodeCommand.Setup setup, boolean verbose) throws CommandException {
    throw new CommandException("workers that join are not in this build yet");
  }
}
