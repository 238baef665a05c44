package dev.deploy.codec;

/**
 * Turns the values programs send, and the tasks they spawn, into bytes and back. Java's built-in
 * object serialization is never used. Implementations are thread-safe: the channel layer calls them
 * from user threads (encode in {@code send}, decode in {@code recv}) and the runtime from the main
 * thread (the spawned task and its argument).
 *
 * <p>What may travel: records, enums, {@code String}, boxed primitives, arrays, the JDK's
 * collections (including the immutable and unmodifiable ones), {@code Optional}, {@code UUID},
 * {@code java.time} values, {@code BigInteger}/{@code BigDecimal}, {@link dev.deploy.Pid}, {@code
 * null}, and the program's own classes, with or without a no-arg constructor. Not: threads,
 * sockets, streams, channel ends, lambdas (except the spawned task, see {@link LambdaCodec}), nor
 * cyclic object graphs (references are not tracked, so a shared object arrives as copies).
 */
public interface Codec {
  /**
   * Returns the bytes of {@code value} (which may be null).
   *
   * @throws IllegalArgumentException when the value, or an object inside it, cannot be serialised;
   *     the message names that object's class and why, e.g. {@code "cannot serialise
   *     java.lang.Thread: a thread is a live resource of this process, not a value"}
   */
  byte[] encode(Object value);

  /**
   * Returns the value whose bytes are {@code bytes[offset, offset + length)}, which must be exactly
   * one encoded value.
   *
   * @throws CodecException when the bytes are malformed, name a class that may not travel in a
   *     message (refused before it is loaded or initialised) or a class this process cannot load;
   *     the message names the class when there is one
   * @throws IndexOutOfBoundsException when the range is not inside {@code bytes}
   */
  Object decode(byte[] bytes, int offset, int length);

  /** Decodes a whole array: {@code decode(bytes, 0, bytes.length)}. */
  default Object decode(byte[] bytes) {
    return decode(bytes, 0, bytes.length);
  }

  /**
   * Does now the one-time set-up the first {@code encode} or {@code decode} would otherwise do (for
   * {@link KryoCodec}, tens of milliseconds in a fresh JVM). Optional; call it from a spare thread
   * at process start. Thread-safe.
   */
  default void warmUp() {}

  /**
   * Returns the codec of the runtime: a shared {@link KryoCodec} that loads the program's classes
   * through the system class loader. Created on first use.
   */
  static Codec standard() {
    return KryoCodec.standard();
  }
}
