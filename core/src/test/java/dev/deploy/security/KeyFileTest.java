package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(30)
class KeyFileTest {
  private static final String SECRET =
      "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";

  @TempDir Path dir;

  @BeforeEach
  void requirePosix() {
    assumeTrue(
        FileSystems.getDefault().supportedFileAttributeViews().contains("posix"),
        "these tests check POSIX modes");
  }

  @Test
  void givenNewPath_whenWrite_thenOwnerReadWriteOnly() throws IOException {
    Path file = dir.resolve("cluster.key");

    KeyFile.write(file, ClusterKey.generate());

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
  }

  @Test
  void givenKey_whenWrite_thenFileIsHexAndNewline() throws IOException {
    Path file = dir.resolve("cluster.key");

    KeyFile.write(file, ClusterKey.fromHex(SECRET));

    assertThat(Files.readString(file, StandardCharsets.US_ASCII)).isEqualTo(SECRET + "\n");
  }

  @Test
  void givenWrittenKey_whenRead_thenSameKey() throws IOException {
    ClusterKey key = ClusterKey.generate();
    Path file = dir.resolve("cluster.key");
    KeyFile.write(file, key);

    assertThat(KeyFile.read(file)).isEqualTo(key);
  }

  @Test
  void givenWrite_whenDone_thenNoTemporaryFileLeftBehind() throws IOException {
    KeyFile.write(dir.resolve("cluster.key"), ClusterKey.generate());

    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(dir.resolve("cluster.key"));
    }
  }

  @Test
  void givenExistingFile_whenWrite_thenRefusedNamingItAndFileUnchanged() throws IOException {
    Path file = dir.resolve("cluster.key");
    Files.writeString(file, "precious\n");

    assertThatThrownBy(() -> KeyFile.write(file, ClusterKey.generate()))
        .isInstanceOf(FileAlreadyExistsException.class)
        .hasMessage("the key file " + file + " already exists");
    assertThat(Files.readString(file)).isEqualTo("precious\n");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void givenExistingFileAndOverwriteFalse_whenWrite_thenRefused() throws IOException {
    Path file = dir.resolve("cluster.key");
    Files.writeString(file, "precious\n");

    assertThatThrownBy(() -> KeyFile.write(file, ClusterKey.generate(), false))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readString(file)).isEqualTo("precious\n");
  }

  @Test
  void givenDanglingSymlink_whenWrite_thenRefusedAndNothingCreatedAtItsTarget() throws IOException {
    Path target = dir.resolve("elsewhere.key");
    Path link = Files.createSymbolicLink(dir.resolve("cluster.key"), target);

    assertThatThrownBy(() -> KeyFile.write(link, ClusterKey.generate()))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(target).doesNotExist();
  }

  @Test
  void givenExistingWorldReadableFileAndOverwrite_whenWrite_thenReplacedWithOwnerOnlyFile()
      throws IOException {
    Path file = dir.resolve("cluster.key");
    Files.writeString(file, "old\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    ClusterKey key = ClusterKey.generate();

    KeyFile.write(file, key, true);

    assertThat(KeyFile.read(file)).isEqualTo(key);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
  }

  @Test
  void givenMissingDirectory_whenWrite_thenIOExceptionNamingFileAndDirectory() {
    Path file = dir.resolve("no-such-dir").resolve("cluster.key");

    assertThatThrownBy(() -> KeyFile.write(file, ClusterKey.generate()))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "cannot write the key file "
                + file
                + ": the directory "
                + dir.resolve("no-such-dir")
                + " does not exist");
  }

  @Test
  void givenParentIsARegularFile_whenWrite_thenIOExceptionNamingTheFile() throws IOException {
    Path notADir = Files.writeString(dir.resolve("plain"), "x");
    Path file = notADir.resolve("cluster.key");

    assertThatThrownBy(() -> KeyFile.write(file, ClusterKey.generate()))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot write the key file " + file + ": ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void givenReadOnlyDirectory_whenWrite_thenIOExceptionNamingTheFile() throws IOException {
    Path readOnly = Files.createDirectory(dir.resolve("ro"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-x------"));
    assumeTrue(!Files.isWritable(readOnly), "running as root: every directory is writable");
    Path file = readOnly.resolve("cluster.key");
    try {
      assertThatThrownBy(() -> KeyFile.write(file, ClusterKey.generate()))
          .isInstanceOf(IOException.class)
          .hasMessage("cannot write the key file " + file + ": permission denied in " + readOnly);
    } finally {
      Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("rwx------"));
    }
  }

  /**
   * While one thread writes keys, another watches the file: whenever the file exists it is whole
   * (65 bytes) and owner-only. Each write replaces it, so the watcher sees many versions.
   */
  @Test
  void givenWatcher_whenKeysWrittenRepeatedly_thenFileNeverPartialNorOpenToOthers()
      throws Exception {
    Path file = dir.resolve("cluster.key");
    KeyFile.write(file, ClusterKey.generate());
    AtomicBoolean done = new AtomicBoolean();
    CountDownLatch watching = new CountDownLatch(1);
    ExecutorService watcher = Executors.newSingleThreadExecutor();
    try {
      Future<List<String>> problems =
          watcher.submit(
              () -> {
                List<String> seen = new ArrayList<>();
                watching.countDown();
                while (!done.get()) {
                  try {
                    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
                    byte[] bytes = Files.readAllBytes(file);
                    if (bytes.length != 65) {
                      seen.add("length " + bytes.length);
                    }
                    if (!PosixFilePermissions.toString(mode).equals("rw-------")) {
                      seen.add(PosixFilePermissions.toString(mode));
                    }
                  } catch (IOException e) {
                    seen.add(e.toString());
                  }
                }
                return seen;
              });
      assertThat(watching.await(10, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < 300; i++) {
        KeyFile.write(file, ClusterKey.generate(), true);
      }
      done.set(true);

      assertThat(problems.get(10, TimeUnit.SECONDS)).isEmpty();
    } finally {
      done.set(true);
      watcher.shutdownNow();
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "rw-r--r--, readable by others, 0644",
    "rw-rw-rw-, readable and writable by others, 0666",
    "rw-----w-, writable by others, 0602",
    "rw-r-----, readable by its group, 0640",
    "rw--w----, writable by its group, 0620",
    "rw-rw----, readable and writable by its group, 0660",
    "rwxr-xr-x, readable by others, 0755",
  })
  void givenKeyFileOpenToOthers_whenRead_thenRefusedWithModeAndChmod(
      String permissions, String what, String mode) throws IOException {
    Path file = dir.resolve("cluster.key");
    Files.writeString(file, SECRET + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));

    assertThatThrownBy(() -> KeyFile.read(file))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the key file " + file + " is " + what + " (mode " + mode + "); run chmod 600 " + file);
  }

  @Test
  void givenOwnerOnlyKeyFileOwnedBySomeoneElse_whenRead_thenRefusedWithOwnerModeAndChown()
      throws IOException {
    Path file = dir.resolve("cluster.key");
    Files.writeString(file, SECRET + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    java.nio.file.attribute.UserPrincipal me = Files.getOwner(dir);
    java.nio.file.attribute.UserPrincipal mallory = () -> "mallory";
    Ownership fake =
        new Ownership(me, null, (p, options) -> p.equals(file) ? mallory : Files.getOwner(p));

    assertThatThrownBy(() -> KeyFile.read(file, fake))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the key file "
                + file
                + " is owned by mallory, not "
                + me.getName()
                + " (mode 0600); run chown "
                + me.getName()
                + " "
                + file);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"rw-------", "r--------", "rwx------", "rw---x--x"})
  void givenKeyFileClosedToOthers_whenRead_thenKey(String permissions) throws IOException {
    Path file = dir.resolve("cluster.key");
    Files.writeString(file, SECRET + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));

    assertThat(KeyFile.read(file)).isEqualTo(ClusterKey.fromHex(SECRET));
  }

  @Test
  void givenMissingFile_whenRead_thenIOExceptionSayingItDoesNotExist() {
    Path file = dir.resolve("no-such.key");

    assertThatThrownBy(() -> KeyFile.read(file))
        .isInstanceOf(IOException.class)
        .hasMessage("the key file " + file + " does not exist");
  }

  @Test
  void givenDirectory_whenRead_thenIOExceptionSayingSo() {
    assertThatThrownBy(() -> KeyFile.read(dir))
        .isInstanceOf(IOException.class)
        .hasMessage("the key file " + dir + " is a directory, not a file");
  }

  @Test
  void givenOwnerOnlyFileWithGarbage_whenRead_thenIOExceptionNamingFileNotContent()
      throws IOException {
    Path file = dir.resolve("cluster.key");
    Files.writeString(file, SECRET.substring(0, 40) + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

    assertThatThrownBy(() -> KeyFile.read(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString())
        .hasMessageNotContaining(SECRET.substring(0, 8));
  }

  @Test
  void givenNoOptionAndNoVariable_whenFromEnvironment_thenEmpty() throws IOException {
    assertThat(KeyFile.fromEnvironment(Map.of("HOME", "/root"), null)).isEmpty();
  }

  @Test
  void givenVariable_whenFromEnvironment_thenKeyFromThatFile() throws IOException {
    ClusterKey key = ClusterKey.generate();
    Path file = dir.resolve("env.key");
    KeyFile.write(file, key);

    assertThat(KeyFile.fromEnvironment(Map.of(KeyFile.ENV, file.toString()), null)).contains(key);
  }

  @Test
  void givenOptionAndVariable_whenFromEnvironment_thenOptionWins() throws IOException {
    ClusterKey fromOption = ClusterKey.generate();
    Path optionFile = dir.resolve("option.key");
    KeyFile.write(optionFile, fromOption);
    Path envFile = dir.resolve("env.key");
    KeyFile.write(envFile, ClusterKey.generate());

    assertThat(KeyFile.fromEnvironment(Map.of(KeyFile.ENV, envFile.toString()), optionFile))
        .contains(fromOption);
  }

  @Test
  void givenOptionAndVariableNamingMissingFile_whenFromEnvironment_thenOptionWins()
      throws IOException {
    ClusterKey fromOption = ClusterKey.generate();
    Path optionFile = dir.resolve("option.key");
    KeyFile.write(optionFile, fromOption);

    assertThat(
            KeyFile.fromEnvironment(
                Map.of(KeyFile.ENV, dir.resolve("missing.key").toString()), optionFile))
        .contains(fromOption);
  }

  @Test
  void givenOptionNamingMissingFile_whenFromEnvironment_thenIOExceptionNamingIt() {
    Path missing = dir.resolve("missing.key");

    assertThatThrownBy(() -> KeyFile.fromEnvironment(Map.of(), missing))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(missing.toString());
  }

  @Test
  void givenVariableNamingWorldReadableFile_whenFromEnvironment_thenRefused() throws IOException {
    Path file = dir.resolve("open.key");
    Files.writeString(file, SECRET + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> KeyFile.fromEnvironment(Map.of(KeyFile.ENV, file.toString()), null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("chmod 600 " + file);
  }

  @Test
  void givenEmptyVariable_whenFromEnvironment_thenIOExceptionNamingTheVariable() {
    assertThatThrownBy(() -> KeyFile.fromEnvironment(Map.of(KeyFile.ENV, " "), null))
        .isInstanceOf(IOException.class)
        .hasMessage("DEPLOY_KEY_FILE is set but empty: set it to a key file's path or unset it");
  }

  @Test
  void givenVariableWithNulCharacter_whenFromEnvironment_thenIOExceptionNamingTheVariable() {
    assertThatThrownBy(() -> KeyFile.fromEnvironment(Map.of(KeyFile.ENV, "a\0b"), null))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("DEPLOY_KEY_FILE=\"a\0b\" is not a path");
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({"rw-------, 0600", "rwxr-xr-x, 0755", "---------, 0000", "r---w---x, 0421"})
  void givenPermissions_whenMode_thenOctal(String permissions, String octal) {
    assertThat(String.format("%04o", KeyFile.mode(PosixFilePermissions.fromString(permissions))))
        .isEqualTo(octal);
  }
}
