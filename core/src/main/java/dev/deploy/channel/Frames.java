package dev.deploy.channel;

/**
 * Frame types on a connection between two processes, after the handshake. One connection per pair
 * of processes carries both directions; each direction is one ordered stream of values, cut into
 * epochs by {@link #END} (a {@code Sender} closed).
 */
final class Frames {
  /** Dialer to acceptor, first: the dialer's pid. */
  static final int IDENT = 1;

  /** Acceptor to dialer: this connection is the pair's. */
  static final int ACCEPT = 2;

  /** Acceptor to dialer: the pair already has (or is making) another connection. */
  static final int REJECT = 3;

  /** A value or a chunk of one: {@code u8 flags (FIRST=1, LAST=2), bytes}. */
  static final int DATA = 4;

  /**
   * The sender closed its {@code Sender}: {@code u64} how many {@link #RECEIVER} openings of the
   * receiving side the sender had heard of then. It ends the receiving side's {@code Receiver} only
   * when that Receiver took a value of this Sender's, or when nobody did and this Receiver is the
   * last one the sender had heard of (the lifetime rule in docs/channels.md); else it is skipped.
   */
  static final int END = 5;

  /** Cumulative count of values (and ENDs) received: {@code u64}. */
  static final int ACK = 6;

  /** The receiver consumed this many more bytes: {@code u32}. */
  static final int CREDIT = 7;

  /** The sender of this frame is exiting cleanly; nothing follows. */
  static final int GOODBYE = 8;

  /** Neither side has used the connection for a while: may we close it? */
  static final int IDLE = 9;

  /** Answer to IDLE: yes; both sides close it, and dial again when a channel needs it. */
  static final int IDLE_OK = 10;

  /** Answer to IDLE: no, this side has something going on. */
  static final int IDLE_NO = 11;

  /**
   * This side opened a {@code Receiver} to the remote: {@code u64} how many it has opened so far
   * (cumulative, like {@link #ACK}; one frame stands for every opening since the last one).
   */
  static final int RECEIVER = 12;

  static final int FIRST = 1;
  static final int LAST = 2;

  /** DATA flag: the value is a {@code byte[]} carried as is, not encoded by the codec. */
  static final int RAW = 4;

  /** The largest chunk of a value in one DATA frame. */
  static final int CHUNK = 64 << 10;

  private Frames() {}
}
