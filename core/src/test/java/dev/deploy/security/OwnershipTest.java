package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules for trusted directories, with a fake owner lookup so that "owned by someone else" needs
 * no second user: {@code mallory} owns whatever path {@link #squatted} names.
 */
@Timeout(10)
class OwnershipTest {
  private static final String WHAT = "the jar cache";
  private static final String RISK = "put any code in place of a jar";

  @TempDir Path tmp;

  private UserPrincipal me;
  private final UserPrincipal mallory = () -> "mallory";
  private Path squatted;
  private Ownership ownership;

  @BeforeEach
  void fakeOwners() throws IOException {
    me = Files.getOwner(tmp);
    ownership =
        new Ownership(
            me, null, (p, options) -> p.equals(squatted) ? mallory : Files.getOwner(p, options));
  }

  @Test
  void givenMissingDirectories_whenPrivateDirectory_thenEachCreatedOwnerOnly() throws IOException {
    Path dir = tmp.resolve("a").resolve("b").resolve("jars");

    ownership.privateDirectory(dir, WHAT, RISK);

    for (Path d : new Path[] {tmp.resolve("a"), tmp.resolve("a/b"), dir}) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d)))
          .as(d.toString())
          .isEqualTo("rwx------");
    }
  }

  @Test
  void givenGroupWritableDirectory_whenPrivateDirectory_thenRefusedWithOwnerModeAndChmod()
      throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("jars"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwx---"));

    assertThatThrownBy(() -> ownership.privateDirectory(dir, WHAT, RISK))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the jar cache "
                + dir
                + " is writable by its group (owner "
                + me.getName()
                + ", mode 0770), who could put any code in place of a jar; run chmod 700 "
                + dir);
  }

  @Test
  void givenSquattedDirectoryUnderSharedStickyParent_whenPrivateDirectory_thenRefusedNamingOwner()
      throws IOException {
    Path shared = Files.createDirectory(tmp.resolve("shared"));
    Files.setAttribute(shared, "unix:mode", 01777); // as /tmp
    squatted = Files.createDirectory(shared.resolve("deploy-cache-" + me.getName()));
    Files.setPosixFilePermissions(squatted, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path dir = squatted.resolve("jars");

    assertThatThrownBy(() -> ownership.privateDirectory(dir, WHAT, RISK))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the jar cache "
                + dir
                + " is inside "
                + squatted
                + ", which is owned by mallory (mode 0755), who could swap it for another; run"
                + " chown "
                + me.getName()
                + " "
                + squatted
                + ", or choose another directory");
    assertThat(dir).doesNotExist(); // nothing made inside what mallory owns
  }

  @Test
  void givenSquattedDirectoryItself_whenPrivateDirectory_thenRefusedWithChown() throws IOException {
    Path shared = Files.createDirectory(tmp.resolve("shared"));
    Files.setAttribute(shared, "unix:mode", 01777);
    squatted = Files.createDirectory(shared.resolve("deploy-cache"));

    assertThatThrownBy(() -> ownership.privateDirectory(squatted, WHAT, RISK))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("the jar cache " + squatted + " is owned by mallory, not ")
        .hasMessageContaining("run chown " + me.getName() + " " + squatted);
  }

  @Test
  void givenSymlinkWhereDirectoryShouldBe_whenPrivateDirectory_thenRefusedAndNotFollowed()
      throws IOException {
    Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
    Path link = Files.createSymbolicLink(tmp.resolve("jars"), elsewhere);

    assertThatThrownBy(() -> ownership.privateDirectory(link, WHAT, RISK))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the jar cache "
                + link
                + " is a symbolic link, which is not followed there; give the directory it points"
                + " to");
    assertThat(Files.isSymbolicLink(link)).isTrue();
  }

  @Test
  void givenGroupWritableParentWithoutStickyBit_whenPrivateDirectory_thenRefusedWithChmodGoW()
      throws IOException {
    Path parent = Files.createDirectory(tmp.resolve("team"));
    Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxrwxr-x"));
    Path dir = parent.resolve("jars");

    assertThatThrownBy(() -> ownership.privateDirectory(dir, WHAT, RISK))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the jar cache "
                + dir
                + " is inside "
                + parent
                + ", which its group may write (owner "
                + me.getName()
                + ", mode 0775, no sticky bit), so they could swap it for another; run chmod go-w "
                + parent
                + ", or choose another directory");
  }

  @Test
  void givenOwnDirectoryUnderStickySharedParent_whenPrivateDirectory_thenTrusted()
      throws IOException {
    Path shared = Files.createDirectory(tmp.resolve("shared"));
    Files.setAttribute(shared, "unix:mode", 01777);
    Path dir = shared.resolve("deploy-cache").resolve("jars");

    assertThat(ownership.privateDirectory(dir, WHAT, RISK)).isEqualTo(dir);
    assertThat(Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)).isTrue();
  }

  @Test
  void givenFileOwnedBySomeoneElse_whenCheckFile_thenRefusedWithChown() throws IOException {
    squatted = Files.writeString(tmp.resolve("cluster.key"), "x");
    Files.setPosixFilePermissions(squatted, PosixFilePermissions.fromString("rw-------"));

    assertThatThrownBy(() -> ownership.checkFile(squatted, "the key file"))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the key file "
                + squatted
                + " is owned by mallory, not "
                + me.getName()
                + " (mode 0600); run chown "
                + me.getName()
                + " "
                + squatted);
  }
}
