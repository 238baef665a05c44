package dev.deploy.security;

import dev.deploy.logging.Loggers;
import dev.deploy.util.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * Who owns, and who may write, the files and directories the daemons trust: the key file, the jar
 * cache, the class-sharing archives. One of them that another user owns or may write is refused,
 * since that user could read the key or put their code in place of the program's.
 *
 * <p>The rules, as ssh's {@code StrictModes}: a trusted file or directory is owned by the current
 * user and neither its group nor others may write it; it is not a symbolic link (a directory) and
 * every directory above it, as written and as resolved, is owned by the current user or root and
 * writable by nobody else unless its sticky bit is set (as {@code /tmp}'s is). So {@code
 * /tmp/deploy-cache-alice} made in advance by mallory is refused, and no link is followed there.
 * Directories made here are made {@code rwx------} in the same call that creates them, never
 * narrowed afterwards.
 *
 * <p>Where the file system has no POSIX permissions nothing can be checked: that is logged once and
 * the file is trusted, as before.
 *
 * <p>Stateless apart from the once-only log; any thread may call it.
 */
public final class Ownership {
  private static final Logger log = Loggers.get(Ownership.class);

  /** The sticky bit of {@code unix:mode}: only a file's owner may delete or rename it there. */
  private static final int STICKY = 01000;

  /** Set once "cannot check" was logged, so that it is said once per JVM. */
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private static final Ownership SYSTEM =
      new Ownership(currentUser(), lookup("root"), Files::getOwner);

  /** Finds who owns a path: {@link Files#getOwner} but for tests. */
  @FunctionalInterface
  public interface Owners {
    /** Returns the owner of {@code path}, of the link itself with {@code NOFOLLOW_LINKS}. */
    UserPrincipal of(Path path, LinkOption... options) throws IOException;
  }

  /** The user this JVM runs as; null when it cannot be told, then owners are not checked. */
  private final UserPrincipal me;

  /** The superuser, trusted with the directories above; null where there is none by that name. */
  private final UserPrincipal root;

  private final Owners owners;

  /**
   * Checks against {@code me}, trusting {@code root} with the directories above, asking {@code
   * owners} who owns a path. For tests, which fake a foreign owner; {@link #system} otherwise.
   */
  public Ownership(UserPrincipal me, UserPrincipal root, Owners owners) {
    this.me = me;
    this.root = root;
    this.owners = owners;
  }

  /** Returns the checks for the user this JVM runs as. */
  public static Ownership system() {
    return SYSTEM;
  }

  /** Returns the user this JVM runs as, or null. */
  private static UserPrincipal currentUser() {
    UserPrincipal byName = lookup(System.getProperty("user.name"));
    if (byName != null) {
      return byName;
    }
    try {
      // A uid without a name (containers run with an arbitrary uid): /proc/self is ours on Linux.
      return Files.getOwner(Path.of("/proc/self"));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static UserPrincipal lookup(String name) {
    if (name == null || name.isEmpty()) {
      return null;
    }
    try {
      return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(name);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Checks a file that is read, not written (the key file): owned by this user, and neither its
   * group nor others may write it. Follows links, as {@code ssh} does for its keys.
   *
   * @param what the file for the user, as in "the key file"
   * @throws IOException one sentence naming the file, its owner and mode, and the command to run
   */
  public void checkFile(Path file, String what) throws IOException {
    PosixFileAttributes attributes = posix(file, what, true);
    if (attributes == null) {
      return;
    }
    UserPrincipal owner = owners.of(file);
    if (me != null && !owner.equals(me)) {
      throw new IOException(
          what
              + " "
              + file
              + " is owned by "
              + owner.getName()
              + ", not "
              + me.getName()
              + " (mode "
              + mode(attributes.permissions())
              + "); run chown "
              + me.getName()
              + " "
              + file);
    }
  }

  /**
   * Returns {@code dir}, after creating it if missing (each missing directory {@code rwx------}
   * from the start) and checking, without following links, that it and every directory above it are
   * as the class comment says.
   *
   * @param what the directory for the user, as in "the jar cache"
   * @param risk what another user could do there, as in "put any code in place of a jar"
   * @throws IOException one sentence naming the directory at fault, its owner and mode, and the
   *     command to run; or why it cannot be created
   */
  public Path privateDirectory(Path dir, String what, String risk) throws IOException {
    Path target = dir.toAbsolutePath().normalize();
    Path existing = target;
    while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
      existing = existing.getParent();
    }
    if (existing != null
        && !existing.equals(target)
        && Files.isDirectory(existing, LinkOption.NOFOLLOW_LINKS)
        && posix(existing, what, false) != null) {
      checkFrom(existing, target, what); // before anything is made inside a squatter's directory
    }
    try {
      create(target);
    } catch (IOException e) {
      throw new IOException("cannot create " + what + " " + target + ": " + reason(e), e);
    }
    PosixFileAttributes attributes = posix(target, what, false);
    if (attributes == null) {
      return target;
    }
    if (attributes.isSymbolicLink()) {
      throw new IOException(
          what
              + " "
              + target
              + " is a symbolic link, which is not followed there; give the directory it points"
              + " to");
    }
    if (!attributes.isDirectory()) {
      throw new IOException(what + " " + target + " is not a directory");
    }
    UserPrincipal owner = owners.of(target, LinkOption.NOFOLLOW_LINKS);
    String mode = mode(attributes.permissions());
    if (me != null && !owner.equals(me)) {
      throw new IOException(
          what
              + " "
              + target
              + " is owned by "
              + owner.getName()
              + ", not "
              + me.getName()
              + " (mode "
              + mode
              + "), who could "
              + risk
              + "; run chown "
              + me.getName()
              + " "
              + target
              + " && chmod 700 "
              + target
              + ", or choose another directory");
    }
    Set<PosixFilePermission> p = attributes.permissions();
    boolean others = p.contains(PosixFilePermission.OTHERS_WRITE);
    if (others || p.contains(PosixFilePermission.GROUP_WRITE)) {
      throw new IOException(
          what
              + " "
              + target
              + " is writable by "
              + (others ? "others" : "its group")
              + " (owner "
              + owner.getName()
              + ", mode "
              + mode
              + "), who could "
              + risk
              + "; run chmod 700 "
              + target);
    }
    if (target.getParent() != null) {
      checkFrom(target.getParent(), target, what);
    }
    return target;
  }

  /**
   * Checks {@code first} and every directory above it, as written and as resolved (the directories
   * a link leads through decide who may swap {@code target} too).
   */
  private void checkFrom(Path first, Path target, String what) throws IOException {
    List<Path> above = new ArrayList<>();
    for (Path a = first; a != null; a = a.getParent()) {
      above.add(a);
    }
    for (Path a = first.toRealPath(); a != null; a = a.getParent()) {
      if (!above.contains(a)) {
        above.add(a);
      }
    }
    for (Path a : above) {
      checkAbove(a, target, what);
    }
  }

  /** Refuses directory {@code above} of {@code target} when someone else may rename in it. */
  private void checkAbove(Path above, Path target, String what) throws IOException {
    PosixFileAttributes attributes =
        Files.readAttributes(above, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    UserPrincipal owner = owners.of(above, LinkOption.NOFOLLOW_LINKS);
    String mode = mode(attributes.permissions());
    if (me != null && !owner.equals(me) && !owner.equals(root)) {
      throw new IOException(
          what
              + " "
              + target
              + " is inside "
              + above
              + ", which is owned by "
              + owner.getName()
              + " (mode "
              + mode
              + "), who could swap it for another; run chown "
              + me.getName()
              + " "
              + above
              + ", or choose another directory");
    }
    if (attributes.isSymbolicLink()) {
      return; // a link's own mode means nothing; where it leads is checked as resolved
    }
    Set<PosixFilePermission> p = attributes.permissions();
    boolean others = p.contains(PosixFilePermission.OTHERS_WRITE);
    if ((others || p.contains(PosixFilePermission.GROUP_WRITE)) && !sticky(above)) {
      throw new IOException(
          what
              + " "
              + target
              + " is inside "
              + above
              + ", which "
              + (others ? "others" : "its group")
              + " may write (owner "
              + owner.getName()
              + ", mode "
              + mode
              + ", no sticky bit), so they could swap it for another; run chmod go-w "
              + above
              + ", or choose another directory");
    }
  }

  /** Creates the missing directories of {@code dir}, each owner-only as it is made. */
  private static void create(Path dir) throws IOException {
    List<Path> missing = new ArrayList<>();
    for (Path d = dir;
        d != null && !Files.exists(d, LinkOption.NOFOLLOW_LINKS);
        d = d.getParent()) {
      missing.add(0, d);
    }
    for (Path d : missing) {
      try {
        OwnerOnlyFiles.createDirectory(d);
      } catch (FileAlreadyExistsException e) {
        // Made by another JVM meanwhile, or by someone else: the checks decide.
      }
    }
  }

  /**
   * Returns the POSIX attributes of {@code path}, or null (having said once that nothing is
   * checked) where the file system has none.
   */
  private static PosixFileAttributes posix(Path path, String what, boolean follow)
      throws IOException {
    LinkOption[] options =
        follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    if (Files.getFileAttributeView(path, PosixFileAttributeView.class, options) == null) {
      if (WARNED.compareAndSet(false, true)) {
        log.warn(
            "the file system of {} has no POSIX permissions: cannot check who may change {}"
                + " (nor other such files)",
            path,
            what);
      }
      return null;
    }
    return Files.readAttributes(path, PosixFileAttributes.class, options);
  }

  /** Returns what went wrong in words, since a bare file system exception's message is a path. */
  private static String reason(IOException e) {
    if (e instanceof AccessDeniedException a) {
      return "permission denied in " + a.getFile();
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getFile() + ": " + f.getReason();
    }
    if (e instanceof FileSystemException f) {
      return f.getFile() + " is in the way";
    }
    return String.valueOf(e.getMessage());
  }

  /** Returns whether directory {@code dir} has its sticky bit; false where that cannot be told. */
  private static boolean sticky(Path dir) {
    try {
      Object mode = Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return mode instanceof Integer m && (m & STICKY) != 0;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Returns the permissions as the four octal digits {@code ls} and {@code chmod} use. */
  static String mode(Set<PosixFilePermission> permissions) {
    return String.format("%04o", KeyFile.mode(permissions));
  }
}
