package dev.deploy.codec;

/**
 * Thrown when bytes cannot be decoded: they are malformed, or they name a class that may not travel
 * in a message or that this process cannot load. The message is one line and names the class when
 * there is one. Unchecked: a peer that sends such bytes has a bug or is hostile, and the caller
 * (the channel layer) treats the connection as broken rather than handling each case.
 */
public final class CodecException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a one-line message. */
  public CodecException(String message) {
    super(message);
  }

  /** Creates an exception with a one-line message and the failure that caused it. */
  public CodecException(String message, Throwable cause) {
    super(message, cause);
  }
}
