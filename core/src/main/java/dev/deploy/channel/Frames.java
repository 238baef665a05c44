package dev.deploy.channel;

import dev.deploy.io.Framing;
import java.nio.ByteBuffer;

/**
 * Frame types and layouts between two processes, after the handshake: the one place that knows what
 * a channel frame holds and how big it is ({@link Framing} knows the header). One transport per
 * pair of processes carries both directions; each direction is one ordered stream of values, cut
 * into epochs by {@link #END} (a {@code Sender} closed). The state machines never put a bare number
 * into a header: they call the encoders below.
 *
 * <p>Stateless; any thread.
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

  /**
   * Dialler to acceptor, before {@link #IDENT} and only when both may use shared memory: {@code
   * string} this machine's boot id, {@code string} the name of a file under {@code /dev/shm} it
   * made (owner-only) and mapped. The acceptor on the same machine maps it and answers {@link
   * #ACCEPT} with a {@code u8 1}: from then on every frame goes through the file's rings and the
   * connection carries only heartbeats and doorbells ({@code io.ShmTransport.DOORBELL}, type 64).
   * An ACCEPT without payload means TCP.
   */
  static final int SHM_OFFER = 13;

  /**
   * Dialler to acceptor, instead of {@link #IDENT}: {@code pid} the dialler's. The pair's TCP
   * connection stalled (nothing read for a few heartbeats) and this fresh connection is to carry it
   * from now on. The acceptor answers {@link #RESUMED} (it switched to this connection) or {@link
   * #REJECT} (it keeps the old one, or its own re-dial wins the race).
   */
  static final int RESUME = 14;

  /**
   * On a resumed connection, once each way, first: the sender's books, {@code u64} values and ENDs
   * received, {@code u64} bytes of credit ever granted, {@code u64} Receivers opened. The acceptor
   * sends it as its answer to {@link #RESUME}, the dialler in turn once it switched. Each side then
   * re-sends, in order, what the other did not receive, takes the credit whose CREDIT frames were
   * lost, and ignores whatever still arrives on the old connection.
   */
  static final int RESUMED = 15;

  /** Bytes of a {@link #RESUMED} frame's books. */
  static final int BOOKS = 3 * 8;

  static final int FIRST = 1;
  static final int LAST = 2;

  /** DATA flag: the value is a {@code byte[]} carried as is, not encoded by the codec. */
  static final int RAW = 4;

  /** The largest chunk of a value in one DATA frame. */
  static final int CHUNK = 64 << 10;

  /** Bytes of a count ({@link #ACK}, {@link #END}, {@link #RECEIVER}): a {@code u64}. */
  static final int COUNT = 8;

  /** Bytes of a {@link #CREDIT} grant: a {@code u32}. */
  static final int GRANT = 4;

  /** Bytes of a DATA frame's flags. */
  static final int FLAGS = 1;

  /** Bytes of the size a value's first of several chunks carries after its flags: a {@code u32}. */
  static final int TOTAL = 4;

  /** A whole ACK, END or RECEIVER frame. */
  static final int COUNT_FRAME = Framing.size(COUNT);

  /** A whole CREDIT frame. */
  static final int CREDIT_FRAME = Framing.size(GRANT);

  /** A whole GOODBYE frame. */
  static final int GOODBYE_FRAME = Framing.size(0);

  private Frames() {}

  /** Puts an {@link #ACK}, {@link #END} or {@link #RECEIVER} frame carrying {@code count}. */
  static void putCount(ByteBuffer out, int type, long count) {
    Framing.putHeader(out, type, COUNT).putLong(count);
  }

  /** Puts a {@link #CREDIT} frame granting {@code bytes}. */
  static void putCredit(ByteBuffer out, int bytes) {
    Framing.putHeader(out, CREDIT, GRANT).putInt(bytes);
  }

  /** Puts a {@link #GOODBYE} frame. */
  static void putGoodbye(ByteBuffer out) {
    Framing.putHeader(out, GOODBYE, 0);
  }

  /**
   * Returns the bytes of a DATA frame carrying {@code chunk} bytes; {@code sized} when it is the
   * first of several chunks, which says the value's size.
   */
  static int dataFrame(int chunk, boolean sized) {
    return Framing.size(FLAGS + (sized ? TOTAL : 0) + chunk);
  }

  /**
   * Puts the header of a DATA frame with {@code flags} carrying {@code chunk} bytes (which the
   * caller puts next); {@code total} is the value's size when the flags say it is the first of
   * several chunks ({@link #FIRST} without {@link #LAST}).
   */
  static void putDataHeader(ByteBuffer out, int flags, int total, int chunk) {
    boolean sized = (flags & (FIRST | LAST)) == FIRST;
    Framing.putHeader(out, DATA, FLAGS + (sized ? TOTAL : 0) + chunk).put((byte) flags);
    if (sized) {
      out.putInt(total);
    }
  }
}
