package dev.deploy.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class StreamPlacesTest {
  @TempDir Path dir;

  @Test
  void givenTwoLinksToOneFile_whenCompared_thenSamePlace() throws IOException {
    Path file = Files.createFile(dir.resolve("log"));
    Path a = Files.createSymbolicLink(dir.resolve("a"), file);
    Path b = Files.createSymbolicLink(dir.resolve("b"), file);
    assumeThat(StreamPlaces.samePlace(a, b)).as("unix file attributes on this system").isNotNull();

    assertThat(StreamPlaces.samePlace(a, b)).isTrue();
  }

  @Test
  void givenTwoFiles_whenCompared_thenDifferentPlaces() throws IOException {
    Path a = Files.createFile(dir.resolve("out"));
    Path b = Files.createFile(dir.resolve("err"));
    assumeThat(StreamPlaces.samePlace(a, b)).as("unix file attributes on this system").isNotNull();

    assertThat(StreamPlaces.samePlace(a, b)).isFalse();
  }

  @Test
  void givenMissingLink_whenCompared_thenCannotTell() {
    assertThat(StreamPlaces.samePlace(dir.resolve("none"), dir.resolve("none2"))).isNull();
  }
}
