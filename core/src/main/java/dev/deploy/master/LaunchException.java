package dev.deploy.master;

/** A process could not be started; the message says why in one sentence. */
public final class LaunchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a one-sentence reason. */
  public LaunchException(String message) {
    super(message);
  }
}
