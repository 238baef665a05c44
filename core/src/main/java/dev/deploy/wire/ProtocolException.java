package dev.deploy.wire;

import java.io.IOException;

/** A peer sent bytes that are not a valid frame or message; the message names the bad value. */
public final class ProtocolException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception naming the bad value. */
  public ProtocolException(String message) {
    super(message);
  }
}
