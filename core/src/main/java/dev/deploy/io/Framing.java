package dev.deploy.io;

import java.nio.ByteBuffer;

/**
 * The layout of a frame after the handshake, on any {@link Transport}: {@code u32 length, u8 type,
 * payload}, where the length counts the type and the payload. The one place that knows the header's
 * size: connections, rings and the channel's frame encoders all write headers through here.
 *
 * <p>Stateless; any thread.
 */
public final class Framing {
  /** Bytes of the length field. */
  public static final int LENGTH = 4;

  /** Bytes of the type field. */
  public static final int TYPE = 1;

  /** Bytes before a frame's payload. */
  public static final int HEADER = LENGTH + TYPE;

  /** The largest frame (length field's value): a 64 KiB chunk of a value plus its header. */
  public static final int MAX_FRAME = (64 << 10) + 64;

  private Framing() {}

  /** Returns the bytes a frame with {@code payload} bytes of payload takes, header included. */
  public static int size(int payload) {
    return HEADER + payload;
  }

  /** Puts the header of a frame of {@code type} whose payload is {@code payload} bytes. */
  public static ByteBuffer putHeader(ByteBuffer out, int type, int payload) {
    return out.putInt(TYPE + payload).put((byte) type);
  }

  /** Returns a whole frame of {@code type} carrying {@code payload}. */
  public static byte[] frame(int type, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(size(payload.length));
    putHeader(b, type, payload.length).put(payload);
    return b.array();
  }
}
