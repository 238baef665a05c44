package dev.deploy.wire;

import dev.deploy.security.FrameProtection;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads length-prefixed frames from a blocking stream: {@code u32 length, u8 type, payload} where
 * length counts the type byte and the payload and is at most {@link #MAX_FRAME}. Under a {@link
 * FrameProtection} that tags, a tag of {@link FrameProtection#TAG} bytes follows each payload and
 * is checked (and the record decrypted) before the frame is returned.
 *
 * <p>Not thread safe: one reader thread per connection.
 */
public final class FrameReader {
  /** The largest frame a peer may send: 16 MiB of payload plus the type byte. */
  public static final int MAX_FRAME = (16 << 20) + 1;

  private final DataInputStream in;
  private final FrameProtection protection;

  /** Reads from {@code in}, which must already be authenticated, with no protection. */
  public FrameReader(InputStream in) {
    this(in, FrameProtection.none());
  }

  /** Reads from {@code in}, which must already be authenticated, checking {@code protection}. */
  public FrameReader(InputStream in, FrameProtection protection) {
    this.in = new DataInputStream(in);
    this.protection = protection;
  }

  /**
   * Returns the next frame, or null at a clean end of stream between frames.
   *
   * @throws ProtocolException when the length is out of bounds or the stream ends mid-frame
   */
  public Frame read() throws IOException {
    int first = in.read();
    if (first < 0) {
      return null;
    }
    int length;
    try {
      length = (first << 24) | (in.readUnsignedByte() << 16) | in.readUnsignedShort();
    } catch (EOFException e) {
      throw new ProtocolException("the stream ended inside a frame header");
    }
    if (length < 1 || length > MAX_FRAME) {
      throw new ProtocolException(
          "frame length " + Integer.toUnsignedString(length) + " is outside 1.." + MAX_FRAME);
    }
    try {
      if (protection.tagged()) {
        byte[] record = new byte[length + FrameProtection.TAG];
        in.readFully(record);
        protection.open(java.nio.ByteBuffer.wrap(record), 0, length);
        return new Frame(record[0] & 0xFF, java.util.Arrays.copyOfRange(record, 1, length));
      }
      int type = in.readUnsignedByte();
      byte[] payload = new byte[length - 1];
      in.readFully(payload);
      return new Frame(type, payload);
    } catch (EOFException e) {
      throw new ProtocolException("the stream ended inside a frame of " + length + " bytes");
    }
  }
}
