package dev.deploy.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class OwnerOnlyFilesTest {
  @TempDir Path dir;

  @Test
  @Timeout(10)
  void givenPosix_whenCreateFileAndDirectory_thenOnlyTheOwnerMayUseThem() throws Exception {
    assumeTrue(
        dir.getFileSystem().supportedFileAttributeViews().contains("posix"),
        "the temporary directory has no POSIX permissions");
    Path file = dir.resolve("key");
    Path sub = dir.resolve("cache");

    OwnerOnlyFiles.createFile(file);
    OwnerOnlyFiles.createDirectory(sub);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sub)))
        .isEqualTo("rwx------");
    assertThat(OwnerOnlyFiles.FILE).isEqualTo(Files.getPosixFilePermissions(file));
  }

  @Test
  @Timeout(10)
  void givenAnExistingFile_whenCreateFile_thenRefusedAndLeftAlone() throws Exception {
    Path file = Files.writeString(dir.resolve("taken"), "secret");

    assertThatThrownBy(() -> OwnerOnlyFiles.createFile(file))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readString(file)).isEqualTo("secret");
  }
}
