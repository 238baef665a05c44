package dev.deploy.security;

import java.io.IOException;

/** A peer failed the cluster-key handshake; the message says how. */
public class AuthenticationException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception naming how the peer failed. */
  public AuthenticationException(String message) {
    super(message);
  }
}
