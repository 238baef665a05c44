package dev.deploy.security;

/**
 * A connection did not finish its handshake within its deadline: nothing was proved wrong, it was
 * only slow (a lossy network retransmitting its connect or its proofs), so a dialler may try again,
 * unlike after a bad proof.
 */
public final class HandshakeTimeoutException extends AuthenticationException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception saying how long the handshake was given. */
  public HandshakeTimeoutException(String message) {
    super(message);
  }
}
