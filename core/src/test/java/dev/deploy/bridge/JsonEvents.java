package dev.deploy.bridge;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads back one line of {@link JsonFormat}'s output, for tests and tools (the end-to-end tester
 * parses {@code DEPLOY_FORMAT=json} runs with it).
 *
 * <pre>{@code
 * // line is {"event":"exit","pid":"9a1b2c3","code":0}
 * Map<String, Object> event = JsonEvents.parseLine(line);
 * event.get("event"); // "exit"
 * event.get("code");  // Integer 0
 * }</pre>
 *
 * <p>It handles exactly that shape: one flat JSON object whose values are strings (with JSON's
 * escapes), integers (returned as {@link Integer} when they fit in an {@code int}, as {@link Long}
 * when they fit in a {@code long}, such as {@code "ts"}), {@code true}, {@code false} (as {@link
 * Boolean}) or {@code null}; whitespace between tokens is allowed. Anything else (nested objects,
 * arrays, fractions, duplicate keys, trailing text) is refused.
 *
 * <p>Stateless: any thread may call it.
 */
public final class JsonEvents {
  private JsonEvents() {}

  /**
   * Returns the members of the object on {@code line}, in the line's order; a member whose value is
   * {@code null} is present with a null value. The map is unmodifiable.
   *
   * @throws IllegalArgumentException naming the line if it is not such an object
   */
  public static Map<String, Object> parseLine(String line) {
    return new Reader(line).object();
  }

  /** One pass over one line; {@code position} only moves forward. */
  private static final class Reader {
    /** The whole line, for reading and for error messages. */
    private final String line;

    /** Index of the next character to read, 0..line.length(). */
    private int position;

    Reader(String line) {
      this.line = line;
    }

    Map<String, Object> object() {
      Map<String, Object> members = new LinkedHashMap<>();
      skipWhitespace();
      expect('{');
      skipWhitespace();
      if (peek() == '}') {
        position++;
      } else {
        while (true) {
          skipWhitespace();
          int keyAt = position;
          String key = string();
          skipWhitespace();
          expect(':');
          skipWhitespace();
          if (members.containsKey(key)) {
            throw error("duplicate key \"" + key + "\"", keyAt);
          }
          members.put(key, value());
          skipWhitespace();
          char next = peek();
          position++;
          if (next == '}') {
            break;
          }
          if (next != ',') {
            throw error("expected ',' or '}'", position - 1);
          }
        }
      }
      skipWhitespace();
      if (position != line.length()) {
        throw error("text after the object", position);
      }
      return Collections.unmodifiableMap(members);
    }

    private Object value() {
      char first = peek();
      if (first == '"') {
        return string();
      }
      if (first == '-' || (first >= '0' && first <= '9')) {
        return integer();
      }
      if (line.startsWith("true", position)) {
        position += 4;
        return Boolean.TRUE;
      }
      if (line.startsWith("false", position)) {
        position += 5;
        return Boolean.FALSE;
      }
      if (line.startsWith("null", position)) {
        position += 4;
        return null;
      }
      throw error("expected a string, an integer, true, false or null", position);
    }

    private Object integer() {
      int start = position;
      if (peek() == '-') {
        position++;
      }
      int digitsAt = position;
      while (position < line.length()
          && line.charAt(position) >= '0'
          && line.charAt(position) <= '9') {
        position++;
      }
      int digits = position - digitsAt;
      if (digits == 0 || (digits > 1 && line.charAt(digitsAt) == '0') || digits > 19) {
        throw error("bad integer", start);
      }
      if (position < line.length() && ".eE".indexOf(line.charAt(position)) >= 0) {
        throw error("only integers are expected", start);
      }
      long value;
      try {
        value = Long.parseLong(line.substring(start, position));
      } catch (NumberFormatException e) {
        throw error("integer out of long range", start);
      }
      if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
        return value;
      }
      return (int) value;
    }

    private String string() {
      int start = position;
      expect('"');
      StringBuilder text = new StringBuilder();
      while (true) {
        if (position >= line.length()) {
          throw error("unterminated string", start);
        }
        char c = line.charAt(position++);
        if (c == '"') {
          return text.toString();
        }
        if (c < 0x20) {
          throw error("control character in a string", position - 1);
        }
        if (c != '\\') {
          text.append(c);
          continue;
        }
        if (position >= line.length()) {
          throw error("unterminated string", start);
        }
        char escaped = line.charAt(position++);
        switch (escaped) {
          case '"', '\\', '/' -> text.append(escaped);
          case 'b' -> text.append('\b');
          case 'f' -> text.append('\f');
          case 'n' -> text.append('\n');
          case 'r' -> text.append('\r');
          case 't' -> text.append('\t');
          case 'u' -> text.append(unicodeEscape());
          default -> throw error("bad escape \\" + escaped, position - 2);
        }
      }
    }

    /** Reads the four hex digits after {@code \\u}. */
    private char unicodeEscape() {
      if (position + 4 > line.length()) {
        throw error("bad \\u escape", position - 2);
      }
      int code = 0;
      for (int i = 0; i < 4; i++) {
        int digit = Character.digit(line.charAt(position + i), 16);
        if (digit < 0) {
          throw error("bad \\u escape", position - 2);
        }
        code = code * 16 + digit;
      }
      position += 4;
      return (char) code;
    }

    private void expect(char wanted) {
      if (peek() != wanted) {
        throw error("expected '" + wanted + "'", position);
      }
      position++;
    }

    /** Returns the next character, or '\0' at the end of the line. */
    private char peek() {
      return position < line.length() ? line.charAt(position) : '\0';
    }

    private void skipWhitespace() {
      while (position < line.length() && " \t\r\n".indexOf(line.charAt(position)) >= 0) {
        position++;
      }
    }

    private IllegalArgumentException error(String what, int at) {
      return new IllegalArgumentException(
          "not a deploy JSON event line (" + what + " at index " + at + "): " + line);
    }
  }
}
