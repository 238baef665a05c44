package dev.deploy.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Files and directories only their owner may read or write, made so from their first byte (the
 * permissions are given at creation, never set after a window where others could open them).
 * Stateless; any thread may call it.
 */
public final class OwnerOnlyFiles {
  /** rw------- : an owner-only file. */
  public static final Set<PosixFilePermission> FILE =
      Collections.unmodifiableSet(
          EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));

  /** rwx------ : an owner-only directory. */
  public static final Set<PosixFilePermission> DIRECTORY =
      Collections.unmodifiableSet(
          EnumSet.of(
              PosixFilePermission.OWNER_READ,
              PosixFilePermission.OWNER_WRITE,
              PosixFilePermission.OWNER_EXECUTE));

  private OwnerOnlyFiles() {}

  /**
   * Creates the new, empty file {@code path} as rw------- on a POSIX file system (and makes sure
   * the umask did not take the owner's bits).
   *
   * @throws java.nio.file.FileAlreadyExistsException when {@code path} exists
   * @throws UnsupportedOperationException when the file system has no POSIX permissions
   */
  public static void createFile(Path path) throws IOException {
    Files.createFile(path, PosixFilePermissions.asFileAttribute(FILE));
    Files.setPosixFilePermissions(path, FILE);
  }

  /**
   * Creates the new directory {@code dir} as rwx------ where the file system has POSIX permissions,
   * else with its defaults.
   *
   * @throws java.nio.file.FileAlreadyExistsException when {@code dir} exists
   */
  public static void createDirectory(Path dir) throws IOException {
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
    } else {
      Files.createDirectory(dir);
    }
  }
}
