package dev.deploy.maven;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a line of arguments, as in {@code -Ddeploy.args="a 'b c'"}, the way a shell would for
 * plain words and quotes: white space separates; single or double quotes keep it.
 *
 * <p>Stateless.
 */
final class ArgumentLine {
  private ArgumentLine() {}

  /**
   * Returns the words of {@code line}; none for null.
   *
   * @throws IllegalArgumentException naming the line when a quote is not closed
   */
  static List<String> split(String line) {
    List<String> words = new ArrayList<>();
    if (line == null) {
      return words;
    }
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (quote != 0) {
      throw new IllegalArgumentException(
          "the arguments \"" + line + "\" have a " + quote + " that is not closed");
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
