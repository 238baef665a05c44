package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClusterKeyTest {
  /** A key's text; tests check it never shows up in messages. */
  private static final String SECRET =
      "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";

  @TempDir Path dir;

  @Test
  void givenGeneratedKey_whenToHex_thenSixtyFourLowercaseHexCharacters() {
    assertThat(ClusterKey.generate().toHex()).matches("[0-9a-f]{64}");
  }

  @Test
  void givenGeneratedKey_whenHexParsedBack_thenEqualKey() {
    ClusterKey key = ClusterKey.generate();

    ClusterKey back = ClusterKey.fromHex(key.toHex());

    assertThat(back).isEqualTo(key).hasSameHashCodeAs(key);
    assertThat(back.toHex()).isEqualTo(key.toHex());
  }

  @Test
  void givenHex_whenParsedAndWritten_thenSameText() {
    assertThat(ClusterKey.fromHex(SECRET).toHex()).isEqualTo(SECRET);
  }

  @Test
  void givenHexWithSurroundingWhiteSpace_whenFromHex_thenIgnored() {
    assertThat(ClusterKey.fromHex("  " + SECRET + "\r\n")).isEqualTo(ClusterKey.fromHex(SECRET));
  }

  @Test
  void givenUppercaseHex_whenFromHex_thenSameKeyAsLowercase() {
    assertThat(ClusterKey.fromHex(SECRET.toUpperCase(Locale.ROOT)))
        .isEqualTo(ClusterKey.fromHex(SECRET));
  }

  @Test
  void givenTwoGeneratedKeys_whenCompared_thenDifferent() {
    assertThat(ClusterKey.generate()).isNotEqualTo(ClusterKey.generate());
  }

  @ParameterizedTest(name = "{0} characters")
  @ValueSource(ints = {1, 32, 63, 65, 128})
  void givenWrongLength_whenFromHex_thenIllegalArgumentWithoutTheText(int length) {
    String text = (SECRET + SECRET + SECRET).substring(0, length);

    assertThatThrownBy(() -> ClusterKey.fromHex(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Integer.toString(length))
        .satisfies(e -> assertNoPartOfSecretIn(e, text));
  }

  @Test
  void givenEmptyText_whenFromHex_thenIllegalArgument() {
    assertThatThrownBy(() -> ClusterKey.fromHex("   "))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "bad character at {0}")
  @ValueSource(ints = {0, 17, 63})
  void givenNonHexCharacter_whenFromHex_thenIllegalArgumentWithoutTheText(int at) {
    String text = SECRET.substring(0, at) + "z" + SECRET.substring(at + 1);

    assertThatThrownBy(() -> ClusterKey.fromHex(text))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertNoPartOfSecretIn(e, text));
  }

  @Test
  void givenKey_whenToString_thenSecretHidden() {
    ClusterKey key = ClusterKey.fromHex(SECRET);

    assertThat(key.toString()).doesNotContain(SECRET.substring(0, 8)).doesNotContain(SECRET);
  }

  @Test
  void givenKeyFileWithTrailingNewline_whenRead_thenKey() throws IOException {
    Path file = dir.resolve("cluster.key");
    Files.writeString(file, SECRET + "\n");

    assertThat(ClusterKey.read(file)).isEqualTo(ClusterKey.fromHex(SECRET));
  }

  @Test
  void givenMissingFile_whenRead_thenIOExceptionNamingTheFile() {
    Path file = dir.resolve("no-such.key");

    assertThatThrownBy(() -> ClusterKey.read(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString());
  }

  @Test
  void givenFileWithGarbage_whenRead_thenIOExceptionNamingTheFileNotItsContent()
      throws IOException {
    Path file = dir.resolve("garbage.key");
    String garbage = SECRET.substring(0, 40) + "xyz";
    Files.writeString(file, garbage);

    assertThatThrownBy(() -> ClusterKey.read(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString())
        .satisfies(e -> assertNoPartOfSecretIn(e, garbage));
  }

  @Test
  void givenFileWithNonAsciiBytes_whenRead_thenIOExceptionNamingTheFile() throws IOException {
    Path file = dir.resolve("binary.key");
    Files.write(file, new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 1});

    assertThatThrownBy(() -> ClusterKey.read(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString());
  }

  @Test
  void givenDirectoryInsteadOfFile_whenRead_thenIOExceptionNamingIt() {
    assertThatThrownBy(() -> ClusterKey.read(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(dir.toString());
  }

  @Test
  void givenGeneratedKeyWrittenToFile_whenRead_thenSameKey() throws IOException {
    ClusterKey key = ClusterKey.generate();
    Path file = dir.resolve("generated.key");
    Files.writeString(file, key.toHex(), StandardCharsets.US_ASCII);

    assertThat(ClusterKey.read(file)).isEqualTo(key);
  }

  /** Fails when any 8-character run of {@code secret} appears in e's messages or causes. */
  private static void assertNoPartOfSecretIn(Throwable e, String secret) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      for (int i = 0; i + 8 <= secret.length(); i++) {
        assertThat(message).doesNotContain(secret.substring(i, i + 8));
      }
    }
  }
}
