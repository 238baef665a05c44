package dev.deploy.security;

import dev.deploy.util.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.AclEntry;
import java.nio.file.attribute.AclEntryPermission;
import java.nio.file.attribute.AclEntryType;
import java.nio.file.attribute.AclFileAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The cluster key file: the key's 64 lowercase hex characters and a newline, readable and writable
 * by its owner only.
 *
 * <p>{@link #write} never lets the secret be seen by anyone else, not even for an instant: it
 * creates a temporary file in the same directory with mode {@code 0600} already set (on POSIX file
 * systems; elsewhere the empty file's ACL is narrowed to its owner before the key goes in), writes
 * and syncs the key, then links or renames it into place, so {@code file} appears whole or not at
 * all. {@link #read} refuses a key file that its group or others may read or write, or that another
 * user owns, as ssh does, because such a key is no longer a secret.
 *
 * <pre>{@code
 * KeyFile.write(Path.of("/etc/deploy/cluster.key"), ClusterKey.generate());
 * Optional<ClusterKey> key = KeyFile.fromEnvironment(System.getenv(), keyFileOption);
 * }</pre>
 *
 * <p>Stateless; any thread may call it.
 */
public final class KeyFile {
  /** The environment variable that names the key file when {@code --key-file} is not given. */
  public static final String ENV = "DEPLOY_KEY_FILE";

  /** rw------- */
  private static final Set<PosixFilePermission> OWNER_ONLY = OwnerOnlyFiles.FILE;

  private KeyFile() {}

  /**
   * Writes {@code key} to a new file {@code file}, readable and writable only by its owner.
   *
   * @throws FileAlreadyExistsException when {@code file} exists (a key is never replaced unless
   *     asked, see {@link #write(Path, ClusterKey, boolean)})
   * @throws IOException naming the file when it cannot be written
   */
  public static void write(Path file, ClusterKey key) throws IOException {
    write(file, key, false);
  }

  /**
   * Writes {@code key} to {@code file}, readable and writable only by its owner; replaces an
   * existing file, atomically, only when {@code overwrite} is true.
   *
   * @throws FileAlreadyExistsException when {@code file} exists and {@code overwrite} is false
   * @throws IOException naming the file when it cannot be written
   */
  public static void write(Path file, ClusterKey key, boolean overwrite) throws IOException {
    Path target = file.toAbsolutePath();
    Path name = target.getFileName();
    if (name == null) {
      throw new IOException("cannot write the key file " + file + ": it names no file");
    }
    if (!overwrite && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw alreadyExists(file);
    }
    Path dir = target.getParent();
    Path temp =
        dir.resolve(
            "." + name + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      createOwnerOnly(temp);
      byte[] text = (key.toHex() + "\n").getBytes(StandardCharsets.US_ASCII);
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer bytes = ByteBuffer.wrap(text);
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      if (overwrite) {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } else {
        linkWithoutReplacing(temp, target, file);
      }
    } catch (ExistsException e) {
      throw e;
    } catch (IOException e) {
      throw new IOException("cannot write the key file " + file + ": " + describe(e, dir), e);
    } finally {
      deleteQuietly(temp);
    }
  }

  /** Deletes the temporary file if it is there; an error here must not hide the first one. */
  private static void deleteQuietly(Path temp) {
    try {
      Files.deleteIfExists(temp);
    } catch (IOException e) {
      // Nothing was created (the directory is missing or not one), or the key is already
      // written and linked: the name left behind is owner-only either way.
    }
  }

  /**
   * Reads a key file, after checking on POSIX file systems that it is owned by this user and that
   * neither its group nor others may read or write it.
   *
   * @throws IOException naming the file when it is missing, open to others (with the {@code chmod}
   *     that fixes it), owned by another user (with the {@code chown}), unreadable, or does not
   *     hold a key
   */
  public static ClusterKey read(Path file) throws IOException {
    return read(file, Ownership.system());
  }

  /** Reads a key file as {@link #read(Path)}, checking its owner with {@code ownership}. */
  static ClusterKey read(Path file, Ownership ownership) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (view != null) {
      PosixFileAttributes attributes;
      try {
        attributes = view.readAttributes();
      } catch (NoSuchFileException e) {
        throw new IOException("the key file " + file + " does not exist", e);
      } catch (IOException e) {
        throw new IOException("cannot read the key file " + file + ": " + describe(e, null), e);
      }
      if (attributes.isDirectory()) {
        throw new IOException("the key file " + file + " is a directory, not a file");
      }
      refuseOpenToOthers(file, attributes.permissions());
      // Whoever owns it may change it, or open it to anyone: only this user's own key is a secret.
      ownership.checkFile(file, "the key file");
    }
    return ClusterKey.read(file);
  }

  /**
   * Returns the cluster key named by {@code --key-file} ({@code keyFileOption}, which wins when not
   * null) or else by {@link #ENV} in {@code env}; empty when neither names a file.
   *
   * @throws IOException when the file named cannot be read (see {@link #read}) or {@link #ENV} is
   *     set to an empty or impossible path
   */
  public static Optional<ClusterKey> fromEnvironment(Map<String, String> env, Path keyFileOption)
      throws IOException {
    if (keyFileOption != null) {
      return Optional.of(read(keyFileOption));
    }
    String value = env.get(ENV);
    if (value == null) {
      return Optional.empty();
    }
    if (value.isBlank()) {
      throw new IOException(ENV + " is set but empty: set it to a key file's path or unset it");
    }
    Path file;
    try {
      file = Path.of(value);
    } catch (InvalidPathException e) {
      throw new IOException(ENV + "=\"" + value + "\" is not a path: " + e.getReason(), e);
    }
    return Optional.of(read(file));
  }

  /** Creates {@code temp} empty, readable and writable by its owner only, before any secret. */
  private static void createOwnerOnly(Path temp) throws IOException {
    Path dir = temp.getParent();
    if (Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class)) {
      OwnerOnlyFiles.createFile(temp);
      return;
    }
    Files.createFile(temp);
    AclFileAttributeView acl = Files.getFileAttributeView(temp, AclFileAttributeView.class);
    if (acl != null) {
      AclEntry owner =
          AclEntry.newBuilder()
              .setType(AclEntryType.ALLOW)
              .setPrincipal(Files.getOwner(temp))
              .setPermissions(EnumSet.allOf(AclEntryPermission.class))
              .build();
      acl.setAcl(List.of(owner));
    }
  }

  /**
   * Puts {@code temp} at {@code target} unless something is there already: a hard link fails
   * atomically when the name is taken; where links are not supported, a check then a rename.
   */
  private static void linkWithoutReplacing(Path temp, Path target, Path file) throws IOException {
    try {
      Files.createLink(target, temp);
      return;
    } catch (FileAlreadyExistsException e) {
      throw alreadyExists(file);
    } catch (UnsupportedOperationException | IOException e) {
      // No hard links on this file system: fall through to check-then-rename.
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw alreadyExists(file);
    }
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Throws when the group or others may read or write the key file. */
  private static void refuseOpenToOthers(Path file, Set<PosixFilePermission> permissions)
      throws IOException {
    boolean otherRead = permissions.contains(PosixFilePermission.OTHERS_READ);
    boolean otherWrite = permissions.contains(PosixFilePermission.OTHERS_WRITE);
    boolean groupRead = permissions.contains(PosixFilePermission.GROUP_READ);
    boolean groupWrite = permissions.contains(PosixFilePermission.GROUP_WRITE);
    if (!otherRead && !otherWrite && !groupRead && !groupWrite) {
      return;
    }
    boolean others = otherRead || otherWrite;
    boolean read = others ? otherRead : groupRead;
    boolean write = others ? otherWrite : groupWrite;
    String access = read && write ? "readable and writable" : read ? "readable" : "writable";
    throw new IOException(
        "the key file "
            + file
            + " is "
            + access
            + " by "
            + (others ? "others" : "its group")
            + " (mode "
            + String.format("%04o", mode(permissions))
            + "); run chmod 600 "
            + file);
  }

  /** Returns the permissions as the octal number {@code ls} and {@code chmod} use. */
  static int mode(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (PosixFilePermission p : permissions) {
      // OWNER_READ is ordinal 0 and worth 0400; each next one is worth half as much.
      mode |= 0400 >> p.ordinal();
    }
    return mode;
  }

  private static ExistsException alreadyExists(Path file) {
    return new ExistsException(file);
  }

  /** The key file is there already; its message is one sentence, not a bare path. */
  private static final class ExistsException extends FileAlreadyExistsException {
    private static final long serialVersionUID = 1L;

    ExistsException(Path file) {
      super(file.toString(), null, "the key file " + file + " already exists");
    }

    @Override
    public String getMessage() {
      return getReason();
    }
  }

  /** Returns what went wrong in words, since a bare FileSystemException message is a path. */
  private static String describe(IOException e, Path dir) {
    if (e instanceof AccessDeniedException) {
      return dir == null ? "permission denied" : "permission denied in " + dir;
    }
    if (e instanceof NoSuchFileException) {
      return dir == null ? "no such file" : "the directory " + dir + " does not exist";
    }
    if (e instanceof FileSystemException fse && fse.getReason() != null) {
      return fse.getReason();
    }
    return String.valueOf(e.getMessage());
  }
}
