package dev.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.deploy.security.ClusterKey;
import dev.deploy.security.KeyFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(30)
class KeygenCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @Test
  void givenNewPath_whenKeygen_thenExitZeroAndUsableOwnerOnlyKey() throws IOException {
    Path file = dir.resolve("cluster.key");

    int status = run("keygen", file.toString());

    assertThat(status).isZero();
    assertThat(err.toString()).isEmpty();
    assertThat(KeyFile.read(file)).isNotNull();
    assertThat(Files.readString(file)).matches("[0-9a-f]{64}\n");
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-------");
    }
  }

  @Test
  void givenNewPath_whenKeygen_thenOneLineSayingWhereAndHowToUseIt() {
    Path file = dir.resolve("cluster.key");

    run("keygen", file.toString());

    String where = file.toAbsolutePath().normalize().toString();
    assertThat(out.toString())
        .isEqualTo(
            "Wrote a new cluster key to "
                + where
                + "; use it with DEPLOY_KEY_FILE="
                + where
                + " or --key-file "
                + where
                + System.lineSeparator());
  }

  @Test
  void givenRelativePath_whenKeygen_thenPrintsTheAbsolutePath() throws IOException {
    Path relative = Path.of("").toAbsolutePath().relativize(dir.resolve("relative.key"));

    int status = run("keygen", relative.toString());

    assertThat(status).isZero();
    assertThat(out.toString()).contains("DEPLOY_KEY_FILE=" + dir.resolve("relative.key"));
    assertThat(KeyFile.read(dir.resolve("relative.key"))).isNotNull();
  }

  @Test
  void givenPathWithSpace_whenKeygen_thenPrintedQuotedForTheShell() {
    Path file = dir.resolve("my cluster.key");

    run("keygen", file.toString());

    assertThat(out.toString()).contains("DEPLOY_KEY_FILE='" + file + "'");
  }

  @Test
  void givenExistingFile_whenKeygen_thenExitOneOneSentenceAndFileUnchanged() throws IOException {
    Path file = dir.resolve("cluster.key");
    Files.writeString(file, "precious\n");

    int status = run("keygen", file.toString());

    assertThat(status).isEqualTo(1);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString())
        .isEqualTo(
            "keygen: the key file "
                + file
                + " already exists; pass --force to replace it"
                + System.lineSeparator());
    assertThat(Files.readString(file)).isEqualTo("precious\n");
  }

  @Test
  void givenExistingFileAndForce_whenKeygen_thenReplacedWithNewKey() throws IOException {
    Path file = dir.resolve("cluster.key");
    ClusterKey old = ClusterKey.generate();
    KeyFile.write(file, old);

    int status = run("keygen", "--force", file.toString());

    assertThat(status).isZero();
    assertThat(KeyFile.read(file)).isNotEqualTo(old);
  }

  @Test
  void givenTwoRuns_whenKeygenWithForce_thenDifferentKeys() throws IOException {
    Path file = dir.resolve("cluster.key");
    run("keygen", file.toString());
    ClusterKey first = KeyFile.read(file);

    run("keygen", file.toString(), "--force");

    assertThat(KeyFile.read(file)).isNotEqualTo(first);
  }

  @Test
  void givenMissingDirectory_whenKeygen_thenExitOneOneSentenceNoStackTrace() {
    Path file = dir.resolve("missing").resolve("cluster.key");

    int status = run("keygen", file.toString());

    assertThat(status).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo(
            "keygen: cannot write the key file "
                + file
                + ": the directory "
                + dir.resolve("missing")
                + " does not exist"
                + System.lineSeparator());
  }

  @Test
  void givenReadOnlyDirectory_whenKeygen_thenExitOneOneSentenceNoStackTrace() throws IOException {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path readOnly = Files.createDirectory(dir.resolve("ro"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-x------"));
    try {
      assumeTrue(!Files.isWritable(readOnly), "running as root: every directory is writable");

      int status = run("keygen", readOnly.resolve("cluster.key").toString());

      assertThat(status).isEqualTo(1);
      assertThat(err.toString())
          .startsWith("keygen: cannot write the key file ")
          .contains("permission denied")
          .doesNotContain("Exception")
          .hasLineCount(1);
    } finally {
      Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void givenNoFile_whenKeygen_thenUsageErrorExitTwo() {
    int status = run("keygen");

    assertThat(status).isEqualTo(2);
    assertThat(err.toString()).contains("Missing required parameter: '<file>'");
  }

  @Test
  void givenHelpOption_whenKeygen_thenDescribesCommandOptionAndExitStatus() {
    int status = run("keygen", "--help");

    assertThat(status).isZero();
    assertThat(out.toString())
        .contains("Usage: deploy.jar keygen [-hV] [--force] <file>")
        .contains("Write a new cluster key to <file>, readable only by you.")
        .contains("DEPLOY_KEY_FILE=<file> or --key-file <file>")
        .contains("--force")
        .contains("Replace <file> if it exists.")
        .contains("Exit status:")
        .contains("Example:");
  }

  @Test
  void givenTopLevelHelp_whenRun_thenListsKeygenWithItsDescription() {
    int status = run("--help");

    assertThat(status).isZero();
    assertThat(out.toString())
        .containsPattern("keygen\\s+Write a new cluster key to <file>, readable only by you.");
  }

  @Test
  void givenEnvironmentNamingTheWrittenFile_whenFromEnvironment_thenSameKeyAsFile()
      throws IOException {
    Path file = dir.resolve("cluster.key");
    run("keygen", file.toString());

    assertThat(KeyFile.fromEnvironment(Map.of(KeyFile.ENV, file.toString()), null))
        .contains(KeyFile.read(file));
  }

  private int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }
}
