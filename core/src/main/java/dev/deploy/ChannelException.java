package dev.deploy;

import java.io.IOException;

/**
 * A channel's remote is gone. {@link Reason#EXITED}: it closed its end or exited normally, and
 * every value it sent was already received. {@link Reason#LOST}: it died, was killed, became
 * unreachable, or exited before this process acknowledged everything it sent.
 */
public final class ChannelException extends IOException {
  private static final long serialVersionUID = 1L;

  /** How the remote went away. */
  public enum Reason {
    /** It closed its end or exited normally; nothing it sent is missing. */
    EXITED,
    /**
     * It died, was killed, became unreachable, or exited leaving values to this process
     * unacknowledged; values in flight may be missing.
     */
    LOST
  }

  private final Reason reason;
  private final transient Pid remote;

  /** Creates an exception for the channel with {@code remote}. */
  public ChannelException(Pid remote, Reason reason) {
    super(
        "channel with "
            + remote
            + (reason == Reason.EXITED
                ? ": the remote closed its end or exited"
                : ": the remote died or became unreachable"));
    this.remote = remote;
    this.reason = reason;
  }

  /**
   * Creates an exception for the channel with {@code remote} whose message says {@code why} instead
   * of the reason's usual sentence.
   */
  public ChannelException(Pid remote, Reason reason, String why) {
    super("channel with " + remote + ": " + why);
    this.remote = remote;
    this.reason = reason;
  }

  /** Returns how the remote went away. */
  public Reason reason() {
    return reason;
  }

  /** Returns the remote's pid. */
  public Pid remote() {
    return remote;
  }
}
