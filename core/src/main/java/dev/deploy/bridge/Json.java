package dev.deploy.bridge;

/**
 * Writes JSON strings: {@link #quote} escapes what JSON requires ({@code "}, {@code \}, control
 * characters) and the line and paragraph separators, so a quoted string is safe in a JSON line and
 * in a {@code <script>}-free page.
 *
 * <p>Stateless: any thread may call it.
 */
public final class Json {
  private Json() {}

  /** Returns {@code text} as a JSON string literal, quotes included; {@code null} for null. */
  public static String quote(String text) {
    if (text == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(text.length() + 2).append('"');
    appendEscaped(b, text);
    return b.append('"').toString();
  }

  /** Appends {@code text}'s characters to {@code b}, escaped for inside a JSON string. */
  public static void appendEscaped(StringBuilder b, CharSequence text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '<' -> b.append("\\u003c");
        case '>' -> b.append("\\u003e");
        case '&' -> b.append("\\u0026");
        default -> {
          if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
  }
}
