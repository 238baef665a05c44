package dev.deploy.e2e.tester;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What one output stream (stdout or stderr) of a process is expected to hold: exact bytes, text
 * matching a regex (whole output, {@link Pattern#DOTALL}), text containing a substring, or
 * anything. Text is the bytes decoded as UTF-8.
 *
 * <p>Loaded by the programs' JVMs too (their {@code EXPECTED} field is built at class
 * initialisation), so it uses nothing but the JDK. Immutable.
 */
public sealed interface Content {
  /** Returns true when {@code bytes} are what this expects. */
  boolean accepts(byte[] bytes);

  /** Returns how a report names what this expects: {@code "hi\n"}, {@code /h.*!\n/}. */
  String describe();

  /** Exactly these bytes. */
  static Content exactly(byte[] bytes) {
    return new Exact(bytes.clone());
  }

  /** Exactly this text, UTF-8 encoded. */
  static Content exactly(String text) {
    return new Exact(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The whole output matches {@code regex} (with {@link Pattern#DOTALL}). */
  static Content matching(String regex) {
    return new Regex(Pattern.compile(regex, Pattern.DOTALL));
  }

  /** The output contains {@code text}. */
  static Content containing(String text) {
    return new Contains(Objects.requireNonNull(text, "text"));
  }

  /** Anything, even nothing. */
  static Content anything() {
    return Any.INSTANCE;
  }

  /** Exactly {@code bytes}; holds a private copy. */
  record Exact(byte[] bytes) implements Content {
    @Override
    public boolean accepts(byte[] actual) {
      return Arrays.equals(bytes, actual);
    }

    @Override
    public String describe() {
      return bytes.length == 0 ? "nothing" : Printable.bytes(bytes);
    }
  }

  /** The whole text matches. */
  record Regex(Pattern pattern) implements Content {
    @Override
    public boolean accepts(byte[] actual) {
      return pattern.matcher(new String(actual, StandardCharsets.UTF_8)).matches();
    }

    @Override
    public String describe() {
      return "text matching /" + Printable.pattern(pattern.pattern(), 300) + "/";
    }
  }

  /** The text contains a substring. */
  record Contains(String text) implements Content {
    @Override
    public boolean accepts(byte[] actual) {
      return new String(actual, StandardCharsets.UTF_8).contains(text);
    }

    @Override
    public String describe() {
      return "text containing " + Printable.quoted(text, 300);
    }
  }

  /** No check. */
  enum Any implements Content {
    INSTANCE;

    @Override
    public boolean accepts(byte[] actual) {
      return true;
    }

    @Override
    public String describe() {
      return "anything";
    }
  }
}
