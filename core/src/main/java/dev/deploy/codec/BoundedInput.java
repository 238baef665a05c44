package dev.deploy.codec;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;

/**
 * A Kryo {@link Input} over one whole message that refuses any length larger than the message can
 * hold, before anything is allocated, so that a hostile or corrupt message cannot ask for gigabytes
 * or loop for hours. Every char of a string and every element of an array takes at least one byte,
 * so such lengths must not exceed the bytes left ({@link #checkLength}); collections, whose null
 * elements may take no bytes, draw on a budget for the whole message ({@link
 * #checkCollectionSize}). Confined to the thread holding its {@link KryoCodec} session.
 */
final class BoundedInput extends Input {
  /** Above this many chars the reused char buffer is dropped after a message, not kept. */
  private static final int MAX_RETAINED_CHARS = 64 * 1024;

  private static final byte[] EMPTY = new byte[0];

  /** How many more collection elements than bytes a message may have (see checkCollectionSize). */
  static final int FREE_ELEMENTS = 1 << 20;

  /** How many collection elements the rest of this message may still create. */
  private int elementBudget;

  BoundedInput() {
    super(EMPTY);
  }

  /** Points this input at one message. */
  void reset(byte[] bytes, int offset, int length) {
    setBuffer(bytes, offset, length);
    elementBudget = (int) Math.min(Integer.MAX_VALUE, (long) length + FREE_ELEMENTS);
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

  /**
   * Throws unless a collection of {@code size} elements fits in this message, when {@code input} is
   * a bounded input, and counts them. Kryo writes a collection of nothing but nulls as its size
   * alone, zero bytes per element, so the bytes left cannot bound one collection; instead all the
   * collections of one message together may hold at most its length plus {@link #FREE_ELEMENTS}
   * elements (every other element takes a byte of its own), which bounds both the memory and the
   * time a corrupt message can cost.
   */
  static void checkCollectionSize(Input input, int size) {
    if (input instanceof BoundedInput bounded) {
      if (size < 0 || size > bounded.elementBudget) {
        throw new KryoException(
            "a collection of "
                + size
                + " elements exceeds the "
                + bounded.elementBudget
                + " this message can still hold");
      }
      bounded.elementBudget -= size;
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
