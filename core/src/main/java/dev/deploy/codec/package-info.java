/**
 * How values and tasks become bytes: the {@link dev.deploy.codec.Codec} of channel messages (Kryo 5
 * behind {@link dev.deploy.codec.KryoCodec}, with an allow-list of the classes that may travel,
 * checked before a class named by a message is loaded) and {@link dev.deploy.codec.LambdaCodec},
 * which ships a spawned task as the description of its lambda plus its captured values. Java's
 * object serialization is never used.
 *
 * <p>Called from user threads (a channel's {@code send} encodes, its {@code recv} decodes; {@code
 * spawn} encodes the task) and from a spawned process's main thread (decoding its task). Never from
 * the I/O thread: frames carry bytes, and codec work stays off the I/O loop. Everything here is
 * thread-safe; Kryo instances are pooled, one thread at a time each.
 *
 * <p>Not API: programs never import this package.
 */
package dev.deploy.codec;
