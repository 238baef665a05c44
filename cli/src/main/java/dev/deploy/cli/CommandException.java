package dev.deploy.cli;

/** A command cannot go on; the message is one sentence for the user. */
final class CommandException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The exit code the command ends with. */
  final int code;

  CommandException(String message) {
    this(message, 1);
  }

  CommandException(String message, int code) {
    super(message);
    this.code = code;
  }
}
