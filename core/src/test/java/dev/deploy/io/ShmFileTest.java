package dev.deploy.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The file two processes share: owner-only, checked before it is mapped, and never left behind. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ShmFileTest {
  @BeforeEach
  void needsShm() {
    Assumptions.assumeTrue(Files.isDirectory(ShmFile.DIR), "this machine has no /dev/shm");
  }

  @Test
  void givenCreatedFile_whenTheRemoteOpensIt_thenOwnerOnlyAndUnlinkedOnceMapped() throws Exception {
    ShmFile made = ShmFile.create();
    Path path = ShmFile.DIR.resolve(made.name());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path)))
        .isEqualTo("rw-------");

    ShmFile opened = ShmFile.open(made.name());

    assertThat(Files.exists(path)).as("unlinked once both mapped it").isFalse();
    ShmRing out = made.out(true);
    ShmRing in = opened.in(false);
    java.nio.ByteBuffer room = out.claim();
    Framing.putHeader(room, 7, 1).put((byte) 42);
    out.commit(room.position());
    int[] seen = new int[2];
    in.read(
        (type, payload) -> {
          seen[0] = type;
          seen[1] = payload.get();
        });
    assertThat(seen).containsExactly(7, 42);
  }

  @Test
  void givenASparePrepared_whenOffersTakeIt_thenTheSpareOnceThenNewFilesAndDropRemovesIt()
      throws Exception {
    Assumptions.assumeTrue(ShmFile.enabled(), "shared memory is turned off here");
    ShmFile.dropSpare();
    ShmFile.prepareSpare();
    ShmFile.prepareSpare(); // one spare, not two
    ShmFile spare = ShmFile.takeSpareOrCreate();
    ShmFile next = ShmFile.takeSpareOrCreate();
    try {
      assertThat(next.name()).as("a new file once the spare is taken").isNotEqualTo(spare.name());
      ShmFile opened = ShmFile.open(spare.name());
      assertThat(Files.exists(ShmFile.DIR.resolve(spare.name()))).isFalse();
      opened.release();

      ShmFile.prepareSpare();
      Path kept = ShmFile.DIR.resolve(ShmFile.spare());
      assertThat(mapped(kept)).as("a spare is not mapped until offered").isFalse();
      assertThat(Files.exists(kept)).as("a spare keeps its name until offered").isTrue();
      ShmFile.dropSpare();
      assertThat(Files.exists(kept)).as("dropped at exit").isFalse();
      ShmFile.dropSpare(); // idempotent
    } finally {
      for (ShmFile f : new ShmFile[] {spare, next}) {
        f.unlink();
        f.release();
      }
      ShmFile.dropSpare();
    }
  }

  /** Whether this process maps {@code file} now. */
  private static boolean mapped(Path file) throws IOException {
    try (java.util.stream.Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
      return maps.anyMatch(l -> l.contains(file.toString()));
    }
  }

  @Test
  void givenNameWithAPath_whenOpened_thenRefusedNamingIt() {
    assertThatThrownBy(() -> ShmFile.open("../../etc/passwd"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("'../../etc/passwd' is not deploy-<pid>-<32 hex>");
  }

  @Test
  void givenFileOthersMayRead_whenOpened_thenRefusedAndRemoved() throws Exception {
    String name = "deploy-" + "0123456789abcdef".repeat(2);
    Path path = ShmFile.DIR.resolve(name);
    Files.deleteIfExists(path);
    Files.createFile(
        path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
    try {
      assertThatThrownBy(() -> ShmFile.open(name))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("has permissions rw-r--r--");
      assertThat(Files.exists(path)).isFalse();
    } finally {
      Files.deleteIfExists(path);
    }
  }
}
