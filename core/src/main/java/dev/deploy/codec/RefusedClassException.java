package dev.deploy.codec;

import com.esotericsoftware.kryo.KryoException;

/**
 * Thrown inside Kryo by {@link ClassAllowList} when a class may not travel in a message, or cannot
 * be found. It extends {@link KryoException} so that Kryo's serializers add their field trace and
 * pass it on unchanged; {@link KryoCodec} turns it into an {@link IllegalArgumentException} when
 * encoding and a {@link CodecException} when decoding. Never leaves this package.
 */
final class RefusedClassException extends KryoException {
  private static final long serialVersionUID = 1L;

  /** The binary name of the refused class, as written in the message or as {@link Class#getName}. */
  private final String className;

  /** Why, as a clause that completes "cannot serialise X: ..."; never ends with a period. */
  private final String reason;

  /** True when the class is allowed by name but this process cannot load it. */
  private final boolean missing;

  private RefusedClassException(String className, String reason, boolean missing) {
    super(className + ": " + reason);
    this.className = className;
    this.reason = reason;
    this.missing = missing;
  }

  /** The class may not travel in a message. */
  static RefusedClassException refused(String className, String reason) {
    return new RefusedClassException(className, reason, false);
  }

  /** The class is allowed by name but this process cannot load it. */
  static RefusedClassException missing(String className, String reason) {
    return new RefusedClassException(className, reason, true);
  }

  String className() {
    return className;
  }

  String reason() {
    return reason;
  }

  boolean missing() {
    return missing;
  }

  /** The one-line message for a refused encode: "cannot serialise X: reason". */
  String encodeMessage() {
    return "cannot serialise " + className + ": " + reason;
  }

  /** The one-line message for a refused decode, naming the class. */
  String decodeMessage() {
    return missing
        ? "class " + className + " is not on this process's classpath: " + reason
        : "class " + className + " is not allowed in a message: " + reason;
  }
}
