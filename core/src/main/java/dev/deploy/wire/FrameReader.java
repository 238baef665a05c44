package dev.deploy.wire;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads length-prefixed frames from a blocking stream: {@code u32 length, u8 type, payload} where
 * length counts the type byte and the payload and is at most {@link #MAX_FRAME}.
 *
 * <p>Not thread safe: one reader thread per connection.
 */
public final class FrameReader {
  /** The largest frame a peer may send: 16 MiB of payload plus the type byte. */
  public static final int MAX_FRAME = (16 << 20) + 1;

  private final DataInputStream in;

  /** Reads from {@code in}, which must already be authenticated. */
  public FrameReader(InputStream in) {
    this.in = new DataInputStream(in);
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
      int type = in.readUnsignedByte();
      byte[] payload = new byte[length - 1];
      in.readFully(payload);
      return new Frame(type, payload);
    } catch (EOFException e) {
      throw new ProtocolException("the stream ended inside a frame of " + length + " bytes");
    }
  }
}
