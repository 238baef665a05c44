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

  /** The binary name of the refused class ({@link #printable}), as read or as a class's name. */
  private final String className;

  /** Why, as a clause that completes "cannot serialise X: ..."; never ends with a period. */
  private final String reason;

  /** True when the class is allowed by name but this process cannot load it. */
  private final boolean missing;

  /** Names longer than this are cut in messages. */
  private static final int MAX_NAME_IN_MESSAGE = 200;

  private RefusedClassException(String className, String reason, boolean missing) {
    super(printable(className) + ": " + reason);
    this.className = printable(className);
    this.reason = reason;
    this.missing = missing;
  }

  /**
   * Returns a name fit for a one-line message: a name read from a corrupt message may hold line
   * breaks or control characters, which are escaped, and may be of any length.
   */
  static String printable(String name) {
    StringBuilder text = new StringBuilder(Math.min(name.length(), MAX_NAME_IN_MESSAGE) + 8);
    for (int i = 0; i < name.length(); i++) {
      if (text.length() >= MAX_NAME_IN_MESSAGE) {
        return text.append("...").toString();
      }
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f || Character.isISOControl(c)) {
        text.append(String.format("\\u%04x", (int) c));
      } else {
        text.append(c);
      }
    }
    return text.toString();
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
