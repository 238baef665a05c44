package dev.deploy.program;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class JarRefTest {
  static final String SHA = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @Test
  void givenGoodFields_whenConstructed_thenKept() {
    JarRef ref = new JarRef(SHA, "app-1.0.jar", 1234);

    assertThat(ref.sha256()).isEqualTo(SHA);
    assertThat(ref.name()).isEqualTo("app-1.0.jar");
    assertThat(ref.size()).isEqualTo(1234);
  }

  @Test
  void givenEmptyJar_whenConstructed_thenSizeZeroAccepted() {
    assertThat(new JarRef(SHA, "empty.jar", 0).size()).isZero();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "../../etc/passwd",
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015add",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ag",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2001/..",
        ""
      })
  void givenNotLowercaseHex64_whenChecked_thenNotSha256(String s) {
    assertThat(JarRef.isSha256(s)).isFalse();
    assertThatThrownBy(() -> new JarRef(s, "a.jar", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("sha256 is not 64 lowercase hex characters: ");
  }

  @Test
  void givenNull_whenChecked_thenNotSha256() {
    assertThat(JarRef.isSha256(null)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "lib/a.jar", "lib\\a.jar", "a\0.jar", ".", ".."})
  void givenBadName_whenConstructed_thenRefusedNamingName(String name) {
    assertThatThrownBy(() -> new JarRef(SHA, name, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("name ");
  }

  @Test
  void givenNameOf200Characters_whenConstructed_thenAcceptedAnd201Refused() {
    assertThat(new JarRef(SHA, "a".repeat(200), 1).name()).hasSize(200);
    assertThatThrownBy(() -> new JarRef(SHA, "a".repeat(201), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("name is longer than 200 characters: \"aaa")
        .hasMessageEndingWith(" (201 characters)");
  }

  @Test
  void givenNegativeSize_whenConstructed_thenRefusedNamingSize() {
    assertThatThrownBy(() -> new JarRef(SHA, "a.jar", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("size is negative: -1");
  }

  @Test
  void givenControlCharactersInBadValue_whenRefused_thenMessageEscapesThem() {
    assertThatThrownBy(() -> new JarRef("\u001b[2J", "a.jar", 1))
        .hasMessage("sha256 is not 64 lowercase hex characters: \"\\u001b[2J\"");
  }
}
