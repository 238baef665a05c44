package dev.deploy.program;

import dev.deploy.security.Ownership;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Jars by content hash in one directory, as {@code <sha256>.jar}, so that a machine asks for a jar
 * only the first time a program uses it.
 *
 * <p>A jar's file is in place only once it is complete and its size and SHA-256 are checked: bytes
 * go to a temporary file in the directory ({@code .<hash prefix>-<random>.tmp}, owner-only), which
 * is synced, then linked (or, where the file system has no links, renamed) to its name in one step.
 * Two uploads of the same jar may race; both succeed and one file remains, the same bytes either
 * way. So threads of one JVM and several JVMs (fabrics) sharing the directory need no lock. What
 * they can still do to each other is evict a jar the other is about to use: each evicts only the
 * least recently used, and {@link #get} marks a jar used.
 *
 * <pre>{@code
 * JarCache cache = new JarCache(JarCache.defaultDirectory());
 * List<JarRef> wanted = cache.missing(refs);
 * try (JarCache.Upload upload = cache.begin(ref)) {
 *   upload.write(bytes, 0, bytes.length);   // as they arrive
 *   Path jar = upload.commit();
 * }
 * }</pre>
 *
 * <p>Thread safe. Every method touches the file system, so none belongs on the I/O loop.
 */
public final class JarCache {
  /** How old a temporary file must be before {@link #evict} takes it for abandoned. */
  static final Duration ABANDONED = Duration.ofHours(1);

  private static final String JAR_SUFFIX = ".jar";

  private static final String TEMP_SUFFIX = ".tmp";

  private static final int BUFFER = 64 * 1024;

  /**
   * The cache's directory, absolute; it existed as a directory owned by this user and writable by
   * nobody else when this cache was opened.
   */
  private final Path dir;

  /** Gives the time a jar is marked used at, and the age of temporary files. */
  private final Clock clock;

  /** How large a jar {@link #begin} takes, and a program's jars together. */
  private final JarLimits limits;

  /** Opens a temporary file for writing; {@link FileChannel#open} but for tests. */
  private final Opener opener;

  /** Opens a temporary file for writing. */
  @FunctionalInterface
  interface Opener {
    FileChannel open(Path file) throws IOException;
  }

  /**
   * Opens the cache in {@code dir} with the default {@link JarLimits}, creating the directory (and
   * its missing parents) if missing, each readable only by its owner on POSIX file systems.
   *
   * @throws IOException one sentence naming the directory when it cannot be created, is not a
   *     directory, or is not safe (see {@link Ownership}): another user owns it or may write to it
   *     or to a directory above it, who could put any code in place of a jar
   */
  public JarCache(Path dir) throws IOException {
    this(dir, JarLimits.DEFAULT);
  }

  /**
   * Opens the cache in {@code dir} as {@link #JarCache(Path)}, taking jars up to {@code limits}.
   *
   * @throws IOException as {@link #JarCache(Path)}
   */
  public JarCache(Path dir, JarLimits limits) throws IOException {
    this(dir, Clock.systemUTC(), limits, Ownership.system(), JarCache::openForWriting);
  }

  /** Opens the cache in {@code dir}, with {@code clock} for the times it sets and compares. */
  JarCache(Path dir, Clock clock) throws IOException {
    this(dir, clock, JarLimits.DEFAULT, Ownership.system(), JarCache::openForWriting);
  }

  /** Opens the cache with every seam given; for tests. */
  JarCache(Path dir, Clock clock, JarLimits limits, Ownership ownership, Opener opener)
      throws IOException {
    this.dir = dir.toAbsolutePath().normalize();
    this.clock = Objects.requireNonNull(clock, "clock");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.opener = Objects.requireNonNull(opener, "opener");
    open(this.dir, ownership);
  }

  private static FileChannel openForWriting(Path file) throws IOException {
    return FileChannel.open(file, StandardOpenOption.WRITE);
  }

  /** Returns how large the jars this cache takes may be. */
  public JarLimits limits() {
    return limits;
  }

  /**
   * Returns the default cache directory: {@code $XDG_CACHE_HOME/deploy/jars} when that variable
   * holds an absolute path, else {@code ~/.cache/deploy/jars}.
   */
  public static Path defaultDirectory() {
    return defaultDirectory(System.getenv(), System.getProperty("user.home"));
  }

  /** Returns the default directory for environment {@code env} and home directory {@code home}. */
  static Path defaultDirectory(Map<String, String> env, String home) {
    String xdg = env.get("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isEmpty()) {
      try {
        Path base = Path.of(xdg);
        // The XDG spec: a relative path in these variables is invalid and is ignored.
        if (base.isAbsolute()) {
          return base.resolve("deploy").resolve("jars");
        }
      } catch (InvalidPathException e) {
        // Ignored as the spec says for an invalid value: fall back to the home directory.
      }
    }
    return Path.of(home, ".cache", "deploy", "jars");
  }

  /** Returns the cache's directory, as an absolute path. */
  public Path directory() {
    return dir;
  }

  /**
   * Returns the cached jar with SHA-256 {@code sha256}, marking it used now (its modification time)
   * so that {@link #evict} keeps it longest; empty when the cache does not have it.
   *
   * @throws IllegalArgumentException when {@code sha256} is not 64 lowercase hex characters (it
   *     comes from the network; no other string is ever made into a path)
   */
  public Optional<Path> get(String sha256) {
    Path jar = file(sha256);
    if (!Files.isRegularFile(jar, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    try {
      Files.setLastModifiedTime(jar, FileTime.from(clock.instant()));
    } catch (NoSuchFileException e) {
      return Optional.empty(); // evicted by another JVM a moment ago
    } catch (IOException e) {
      // A read-only cache still serves its jars; they just are not marked used.
    }
    return Optional.of(jar);
  }

  /** Returns those of {@code refs} the cache does not have, in their order. */
  public List<JarRef> missing(List<JarRef> refs) {
    List<JarRef> missing = new ArrayList<>();
    for (JarRef ref : refs) {
      if (!Files.isRegularFile(file(ref.sha256()), LinkOption.NOFOLLOW_LINKS)) {
        missing.add(ref);
      }
    }
    return missing;
  }

  /**
   * Starts receiving the jar {@code ref} into a new temporary file in the cache's directory.
   *
   * @throws ProgramException naming the jar, its size and the limit when it is larger than {@link
   *     JarLimits#maxJarSize}; no file is created
   * @throws IOException naming the directory when the file cannot be created
   */
  public Upload begin(JarRef ref) throws IOException, ProgramException {
    Objects.requireNonNull(ref, "ref");
    limits.checkJar(ref, "this machine");
    Path temp;
    try {
      temp = Files.createTempFile(dir, "." + ref.sha256().substring(0, 16) + "-", TEMP_SUFFIX);
    } catch (IOException e) {
      throw new IOException(
          "cannot write to the jar cache " + dir + ": " + ProgramException.reason(e), e);
    }
    try {
      return new Receiving(ref, temp, opener.open(temp));
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw new IOException(
          "cannot write to the jar cache " + dir + ": " + ProgramException.reason(e), e);
    }
  }

  /**
   * One jar on its way into the cache, from {@link #begin} to {@link #commit} or {@link #close}.
   * Use it from one thread at a time, in a try-with-resources block so that an abandoned upload
   * leaves no file behind.
   */
  public interface Upload extends AutoCloseable {
    /**
     * Appends {@code length} bytes of {@code bytes} from {@code offset}.
     *
     * @throws ProgramException when they would take the jar beyond its announced size (which {@link
     *     #begin} checked against the limit); nothing is written and {@link #commit} will fail, so
     *     a hostile sender cannot fill the disk
     * @throws IOException one sentence naming the jar and the cache when the temporary file cannot
     *     be written (the disk is full): the file is deleted, and {@link #commit} will fail too
     * @throws IllegalStateException after {@link #commit} or {@link #close}
     */
    void write(byte[] bytes, int offset, int length) throws IOException, ProgramException;

    /**
     * Checks that the bytes written are the jar announced, then puts them in place as {@code
     * <sha256>.jar} and returns that file. When another upload of the same jar got there first, its
     * file (the same bytes) is returned.
     *
     * @throws ProgramException naming the jar when its byte count or SHA-256 is not as announced,
     *     or a write was refused; the temporary file is then deleted
     * @throws IOException one sentence naming the jar and the cache when the file cannot be
     *     written, synced or put in place; the temporary file is then deleted
     * @throws IllegalStateException after {@link #commit} or {@link #close}
     */
    Path commit() throws IOException, ProgramException;

    /** Deletes the temporary file unless {@link #commit} put it in place; never throws. */
    @Override
    void close();
  }

  /**
   * Stores the local jar {@code file} as {@code ref} by copying it, verified as {@link
   * Upload#commit} does, and returns the cached file. When the cache has the jar already nothing is
   * copied; only {@code file}'s size is checked.
   *
   * @throws ProgramException naming the jar when {@code file} is not the jar {@code ref} describes
   * @throws IOException when {@code file} cannot be read or the cache cannot be written
   */
  public Path put(Path file, JarRef ref) throws IOException, ProgramException {
    Optional<Path> cached = get(ref.sha256());
    if (cached.isPresent()) {
      long size = Files.size(file);
      if (size != ref.size()) {
        throw new ProgramException(
            ref.name() + ": " + file + " has " + size + " bytes, expected " + ref.size());
      }
      return cached.get();
    }
    try (Upload upload = begin(ref);
        InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[BUFFER];
      for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
        upload.write(buffer, 0, n);
      }
      return upload.commit();
    }
  }

  /**
   * Deletes the least recently used jars (oldest modification time first) until the jars in the
   * cache take at most {@code maxBytes}, never one whose SHA-256 is in {@code keep}; also deletes
   * temporary files older than an hour, left by uploads that died. Returns the bytes freed.
   *
   * <p>Kept jars count towards the total, so it may stay above {@code maxBytes}. A jar marked used
   * (by another JVM) after this method looked at it is spared.
   *
   * @throws IllegalArgumentException when {@code maxBytes} is negative
   * @throws IOException naming the directory when it cannot be listed
   */
  public long evict(long maxBytes, Set<String> keep) throws IOException {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes is negative: " + maxBytes);
    }
    Objects.requireNonNull(keep, "keep");
    Instant abandonedBefore = clock.instant().minus(ABANDONED);
    List<Cached> jars = new ArrayList<>();
    long total = 0;
    long freed = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path path : files) {
        String name = path.getFileName().toString();
        BasicFileAttributes attributes;
        try {
          attributes =
              Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
          continue; // committed or evicted meanwhile
        }
        if (!attributes.isRegularFile()) {
          continue;
        }
        if (isJarName(name)) {
          jars.add(
              new Cached(
                  path,
                  name.substring(0, name.length() - JAR_SUFFIX.length()),
                  attributes.size(),
                  attributes.lastModifiedTime()));
          total += attributes.size();
        } else if (name.startsWith(".")
            && name.endsWith(TEMP_SUFFIX)
            && attributes.lastModifiedTime().toInstant().isBefore(abandonedBefore)
            && Files.deleteIfExists(path)) {
          freed += attributes.size();
        }
      }
    } catch (IOException e) {
      throw new IOException(
          "cannot list the jar cache " + dir + ": " + ProgramException.reason(e), e);
    }
    jars.sort(Comparator.comparing(Cached::used).thenComparing(Cached::sha256));
    for (Cached jar : jars) {
      if (total <= maxBytes) {
        break;
      }
      if (keep.contains(jar.sha256())) {
        continue;
      }
      try {
        FileTime used = Files.getLastModifiedTime(jar.path(), LinkOption.NOFOLLOW_LINKS);
        if (!used.equals(jar.used())) {
          continue; // marked used since we looked: spare it
        }
        if (Files.deleteIfExists(jar.path())) {
          freed += jar.size();
        }
      } catch (NoSuchFileException e) {
        // Another JVM evicted it.
      }
      total -= jar.size();
    }
    return freed;
  }

  /** A jar file seen by {@link #evict}. */
  private record Cached(Path path, String sha256, long size, FileTime used) {}

  /** Returns true for {@code <sha256>.jar}. */
  private static boolean isJarName(String name) {
    return name.endsWith(JAR_SUFFIX)
        && JarRef.isSha256(name.substring(0, name.length() - JAR_SUFFIX.length()));
  }

  /** Returns the file jar {@code sha256} has, after checking it is a SHA-256 and so a safe name. */
  private Path file(String sha256) {
    if (!JarRef.isSha256(sha256)) {
      throw new IllegalArgumentException(
          "not a SHA-256 (64 lowercase hex characters): "
              + (sha256 == null ? "null" : JarRef.quote(sha256)));
    }
    return dir.resolve(sha256 + JAR_SUFFIX);
  }

  /**
   * Creates the directory owner-only if missing; refuses one that is not a directory, or that
   * another user owns or may write to (see {@link Ownership}).
   */
  private static void open(Path dir, Ownership ownership) throws IOException {
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)
        && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
        && !Files.isSymbolicLink(dir)) {
      throw new IOException("cannot open the jar cache " + dir + ": it is not a directory");
    }
    ownership.privateDirectory(dir, "the jar cache", "put any code in place of a jar");
  }

  /** An upload into a temporary file. Not thread safe: one thread at a time, as documented. */
  private final class Receiving implements Upload {
    private final JarRef ref;
    private final Path temp;
    private final FileChannel channel;

    /** Buffers writes to {@link #channel}. */
    private final OutputStream out;

    /** Hashes every byte written to {@link #out}. */
    private final MessageDigest digest = ClassPathPacker.newSha256();

    /** Bytes written so far; never more than {@code ref.size()}. */
    private long received;

    /** Why a write was refused, then commit fails with it too; null while all is well. */
    private String refused;

    /** False once committed or closed; then the upload takes no more calls. */
    private boolean open = true;

    Receiving(JarRef ref, Path temp, FileChannel channel) {
      this.ref = ref;
      this.temp = temp;
      this.channel = channel;
      this.out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException, ProgramException {
      Objects.checkFromIndexSize(offset, length, bytes.length);
      requireOpen();
      if (refused != null) {
        throw new ProgramException(refused);
      }
      if (length > ref.size() - received) {
        refused =
            ref.name()
                + ": received more than "
                + ref.size()
                + " bytes, the size it was announced with";
        throw new ProgramException(refused);
      }
      try {
        out.write(bytes, offset, length);
      } catch (IOException e) {
        throw cannotStore(e);
      }
      digest.update(bytes, offset, length);
      received += length;
    }

    /**
     * Deletes the temporary file, so a full disk keeps nothing of the jar, and returns the failure
     * as one sentence; commit fails with it too.
     */
    private IOException cannotStore(IOException e) {
      refused =
          "the jar cache "
              + dir
              + " cannot take "
              + ref.name()
              + " ("
              + ref.size()
              + " bytes): "
              + ProgramException.reason(e);
      discard();
      return new IOException(refused, e);
    }

    @Override
    public Path commit() throws IOException, ProgramException {
      requireOpen();
      try {
        if (refused != null) {
          throw new ProgramException(refused);
        }
        if (received != ref.size()) {
          throw new ProgramException(
              ref.name() + ": received " + received + " bytes, expected " + ref.size());
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equals(ref.sha256())) {
          throw new ProgramException(
              ref.name()
                  + ": content does not match its SHA-256 "
                  + ref.sha256()
                  + " (it hashes to "
                  + actual
                  + ")");
        }
        try {
          out.flush();
          // On disk before it has its name, so a crash never leaves a short jar in place.
          channel.force(true);
          channel.close();
          return install();
        } catch (IOException e) {
          throw cannotStore(e);
        }
      } finally {
        close();
      }
    }

    /** Puts the verified temporary file in place and returns the jar's file. */
    private Path install() throws IOException {
      Path jar = dir.resolve(ref.sha256() + JAR_SUFFIX);
      try {
        // A link fails, atomically, when the name is taken: by the same bytes, so that is fine.
        Files.createLink(jar, temp);
      } catch (FileAlreadyExistsException e) {
        // Another upload of this jar won the race.
      } catch (UnsupportedOperationException | IOException e) {
        moveWithoutLinks(jar);
      }
      try {
        Files.setLastModifiedTime(jar, FileTime.from(clock.instant()));
      } catch (IOException e) {
        // Marking it used is only a hint for eviction.
      }
      return jar;
    }

    /** Renames the temporary file to {@code jar}, for file systems without hard links. */
    private void moveWithoutLinks(Path jar) throws IOException {
      try {
        Files.move(temp, jar, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AccessDeniedException e) {
        // Some file systems refuse to replace a file, or one that is open: the winner's is there.
        if (!Files.isRegularFile(jar, LinkOption.NOFOLLOW_LINKS)) {
          throw e;
        }
      }
    }

    @Override
    public void close() {
      if (!open) {
        return;
      }
      open = false;
      discard();
    }

    /** Closes and deletes the temporary file; the upload takes no more bytes after. */
    private void discard() {
      try {
        channel.close();
      } catch (IOException e) {
        // The file is deleted next; what it held no longer matters.
      }
      try {
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        // Left for evict(), which deletes temporary files older than an hour.
      }
    }

    private void requireOpen() {
      if (!open) {
        throw new IllegalStateException(
            "the upload of " + ref.name() + " is already committed or closed");
      }
    }
  }
}
