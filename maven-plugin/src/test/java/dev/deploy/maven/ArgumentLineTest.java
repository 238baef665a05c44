package dev.deploy.maven;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ArgumentLineTest {
  @Test
  void givenWordsAndQuotes_whenSplit_thenAsAShellWould() {
    assertThat(ArgumentLine.split("  a 'b c' \"d 'e'\" f''g --format json "))
        .containsExactly("a", "b c", "d 'e'", "fg", "--format", "json");
  }

  @Test
  void givenEmptyQuotes_whenSplit_thenAnEmptyArgument() {
    assertThat(ArgumentLine.split("a ''")).containsExactly("a", "");
  }

  @Test
  void givenNull_whenSplit_thenNoArguments() {
    assertThat(ArgumentLine.split(null)).isEmpty();
  }

  @Test
  void givenUnclosedQuote_whenSplit_thenErrorNamesTheLine() {
    assertThatThrownBy(() -> ArgumentLine.split("a 'b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"a 'b\"");
  }
}
