package dev.deploy.program;

/**
 * A jar identified by its content: what a machine is told about a jar before it decides whether it
 * needs the bytes.
 *
 * <p>Every field is checked on construction, since refs arrive from the network: a {@code sha256}
 * that passes {@link #isSha256} is safe to put in a file name, and {@code name} is only ever shown
 * to humans, never used as a path.
 *
 * @param sha256 the SHA-256 of the jar's bytes, 64 lowercase hex characters
 * @param name the jar's file name for humans ({@code "app.jar"}): 1 to {@value #MAX_NAME_LENGTH}
 *     characters, no {@code '/'}, {@code '\\'} or NUL, and not {@code "."} or {@code ".."}
 * @param size the jar's length in bytes, at least 0
 */
public record JarRef(String sha256, String name, long size) {
  /** The longest {@link #name} allowed, in characters. */
  public static final int MAX_NAME_LENGTH = 200;

  /** How much of a bad value an error message quotes. */
  private static final int QUOTED = 80;

  /**
   * Checks the fields.
   *
   * @throws IllegalArgumentException naming the field when {@code sha256}, {@code name} or {@code
   *     size} is not as described above
   * @throws NullPointerException when {@code sha256} or {@code name} is null
   */
  public JarRef {
    if (sha256 == null) {
      throw new NullPointerException("sha256 is null");
    }
    if (!isSha256(sha256)) {
      throw new IllegalArgumentException(
          "sha256 is not 64 lowercase hex characters: " + quote(sha256));
    }
    if (name == null) {
      throw new NullPointerException("name is null");
    }
    String problem = nameProblem(name);
    if (problem != null) {
      throw new IllegalArgumentException("name " + problem + ": " + quote(name));
    }
    if (size < 0) {
      throw new IllegalArgumentException("size is negative: " + size);
    }
  }

  /** Returns true when {@code s} is 64 lowercase hex characters ({@code 0-9 a-f}); null is not. */
  public static boolean isSha256(String s) {
    if (s == null || s.length() != 64) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  /** Returns what is wrong with {@code name} as a phrase, or null when it is a good name. */
  private static String nameProblem(String name) {
    if (name.isEmpty()) {
      return "is empty";
    }
    if (name.length() > MAX_NAME_LENGTH) {
      return "is longer than " + MAX_NAME_LENGTH + " characters";
    }
    if (name.equals(".") || name.equals("..")) {
      return "is not a file name";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '/' || c == '\\') {
        return "contains a path separator";
      }
      if (c == '\0') {
        return "contains NUL";
      }
    }
    return null;
  }

  /**
   * Returns {@code s} quoted for an error message: cut short, and with control characters escaped
   * so that a hostile value cannot rewrite the user's terminal.
   */
  static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    int end = Math.min(s.length(), QUOTED);
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
        out.append(c == '"' || c == '\\' ? "\\" + c : String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
    if (s.length() > end) {
      out.append(" (").append(s.length()).append(" characters)");
    }
    return out.toString();
  }
}
