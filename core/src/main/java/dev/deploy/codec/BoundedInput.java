package dev.deploy.codec;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;

/**
 * A Kryo {@link Input} over one whole message that refuses any length larger than the bytes left.
 * Every element of a string, array or collection takes at least one byte, so a larger length can
 * only come from malformed bytes, and refusing it before allocating keeps a hostile or corrupt
 * message from asking for gigabytes. {@link BoundedSerializers} use {@link #checkLength} for the
 * lengths they read themselves. Confined to the thread holding its {@link KryoCodec} session.
 */
final class BoundedInput extends Input {
  /** Above this many chars the reused char buffer is dropped after a message, not kept. */
  private static final int MAX_RETAINED_CHARS = 64 * 1024;

  private static final byte[] EMPTY = new byte[0];

  BoundedInput() {
    super(EMPTY);
  }

  /** Points this input at one message. */
  void reset(byte[] bytes, int offset, int length) {
    setBuffer(bytes, offset, length);
  }

  /** Forgets the message, so the pool does not keep it (or a huge char buffer) alive. */
  void release() {
    setBuffer(EMPTY);
    if (chars.length > MAX_RETAINED_CHARS) {
      chars = new char[32];
    }
  }

  /** The number of bytes not yet read. */
  int remaining() {
    return limit - position;
  }

  /**
   * Throws unless {@code length} elements of at least one byte each can still be read.
   *
   * @throws KryoException when the length is negative or larger than the bytes left
   */
  void checkLength(int length) {
    if (length < 0 || length > limit - position) {
      throw new KryoException(
          "a length of " + length + " exceeds the " + (limit - position) + " bytes left");
    }
  }

  /**
   * Throws unless {@code length} elements fit in what is left of {@code input}, when it is a
   * bounded input.
   */
  static void checkLength(Input input, int length) {
    if (input instanceof BoundedInput bounded) {
      bounded.checkLength(length);
    }
  }

  /**
   * Checks the length prefix (a positive varint, 0 for null, else length + 1) that Kryo's array
   * serializers read next, without consuming it.
   */
  static void checkLengthPrefix(Input input) {
    if (input instanceof BoundedInput bounded) {
      int start = bounded.position;
      int lengthPlusOne = bounded.readVarInt(true);
      bounded.position = start;
      if (lengthPlusOne != 0) {
        bounded.checkLength(lengthPlusOne - 1);
      }
    }
  }

  @Override
  public String readString() {
    checkUtf8Length();
    return super.readString();
  }

  @Override
  public StringBuilder readStringBuilder() {
    checkUtf8Length();
    return super.readStringBuilder();
  }

  /** Peeks at a UTF-8 string's char count (an ASCII string has none and is bounded by itself). */
  private void checkUtf8Length() {
    if (!readVarIntFlag()) {
      return;
    }
    int start = position;
    int charCount = readVarIntFlag(true);
    position = start;
    if (charCount != 0 && charCount != 1) { // 0 is null, 1 is empty, else the count plus one.
      checkLength(charCount - 1);
    }
  }

  @Override
  public byte[] readBytes(int length) {
    checkLength(length);
    return super.readBytes(length);
  }

  @Override
  public int[] readInts(int length) {
    checkLength(length);
    return super.readInts(length);
  }

  @Override
  public int[] readInts(int length, boolean optimizePositive) {
    checkLength(length);
    return super.readInts(length, optimizePositive);
  }

  @Override
  public long[] readLongs(int length) {
    checkLength(length);
    return super.readLongs(length);
  }

  @Override
  public long[] readLongs(int length, boolean optimizePositive) {
    checkLength(length);
    return super.readLongs(length, optimizePositive);
  }

  @Override
  public float[] readFloats(int length) {
    checkLength(length);
    return super.readFloats(length);
  }

  @Override
  public double[] readDoubles(int length) {
    checkLength(length);
    return super.readDoubles(length);
  }

  @Override
  public short[] readShorts(int length) {
    checkLength(length);
    return super.readShorts(length);
  }

  @Override
  public char[] readChars(int length) {
    checkLength(length);
    return super.readChars(length);
  }

  @Override
  public boolean[] readBooleans(int length) {
    checkLength(length);
    return super.readBooleans(length);
  }
}
