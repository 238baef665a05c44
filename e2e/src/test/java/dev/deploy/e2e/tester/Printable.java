package dev.deploy.e2e.tester;

import java.nio.charset.StandardCharsets;

/**
 * Renders output for failure reports: as a Java string literal with escapes, cut to a readable
 * length with the total size noted, so a 50 MB stdout or a binary stream still fits on a line.
 *
 * <p>JDK only (programs' JVMs load {@link Content}, which uses it). Stateless.
 */
final class Printable {
  /** Characters of a rendered output before it is cut. */
  static final int LIMIT = 400;

  private Printable() {}

  /** {@code "hi\n"} for small outputs, {@code "hi\n…" (123456 bytes)} for large ones. */
  static String bytes(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    String rendered = quoted(text, LIMIT);
    return bytes.length > LIMIT ? rendered + " (" + bytes.length + " bytes)" : rendered;
  }

  /** {@code text} in double quotes, escaped, cut after {@code limit} characters. */
  static String quoted(String text, int limit) {
    return "\"" + text(text, limit) + "\"";
  }

  /** {@code text} escaped (\n, \t, \\uXXXX for other controls), cut after {@code limit}. */
  static String text(String text, int limit) {
    return escaped(text, limit, true);
  }

  /** A regex as written in Java source minus the doubled backslashes: {@code hi \d+\n}. */
  static String pattern(String regex, int limit) {
    return escaped(regex, limit, false);
  }

  private static String escaped(String text, int limit, boolean escapeQuoteAndBackslash) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      if (out.length() >= limit) {
        out.append('…');
        break;
      }
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '"', '\\' -> {
          if (escapeQuoteAndBackslash) {
            out.append('\\');
          }
          out.append(c);
        }
        default -> {
          if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) || c == '\uFFFD') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }
}
