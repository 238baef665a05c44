package dev.deploy.program;

import java.io.BufferedOutputStream;
import java.io.File;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Turns a class path into the jars that are shipped to a cluster, each named by its SHA-256.
 *
 * <p>A jar on the class path is used as it is. A directory is packed into a new jar, the same bytes
 * every time its files' names and contents are the same, so an unchanged directory has an unchanged
 * hash and is not sent again: entries are in order of name (the manifest, if the directory has one,
 * first, where {@link java.util.jar.JarInputStream} looks for it), directories have entries of
 * their own as the {@code jar} tool makes them, every entry carries the time 1980-02-01 00:00 and
 * nothing else that depends on when or where it was packed, and nothing is added (no manifest is
 * made up). Entries are deflated, so another JDK's zlib may pack the same directory into other
 * bytes; that costs a cache miss, never a wrong class.
 *
 * <pre>{@code
 * List<PackedJar> jars = ClassPathPacker.pack("build/classes:lib/*", workDir);
 * Optional<String> main = ClassPathPacker.mainClass(jars.stream().map(PackedJar::file).toList());
 * }</pre>
 *
 * <p>Stateless; any thread may call it. It reads and writes files, so not on the I/O loop.
 */
public final class ClassPathPacker {
  /** The time every packed entry carries: the first day zip's MS-DOS time format has in full. */
  static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 2, 1, 0, 0);

  /** The longest directory name kept in a packed jar's name, in characters. */
  private static final int MAX_BASE_NAME = 100;

  private static final int BUFFER = 64 * 1024;

  private static final String MANIFEST = "META-INF/MANIFEST.MF";

  private ClassPathPacker() {}

  /**
   * A jar ready to ship: the file to read its bytes from, and what it is called on the wire.
   *
   * @param file the jar on this machine: the class path's own jar, or one packed under the work
   *     directory
   * @param ref the jar's SHA-256, file name and size
   */
  public record PackedJar(Path file, JarRef ref) {
    /** Checks that neither field is null. */
    public PackedJar {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(ref, "ref");
    }
  }

  /**
   * Returns the jars of {@code classPath}, in class-path order.
   *
   * <p>Entries are separated by {@link File#pathSeparator}; empty entries are skipped. An entry
   * that is a jar (any readable zip file, whatever its name) is used as it is; a directory is
   * packed into a jar under {@code workDir} (created if missing) named after the directory and the
   * first 8 hex characters of its hash ({@code classes-1a2b3c4d.jar}); {@code dir/*} stands for the
   * files in {@code dir} whose names end in {@code .jar} or {@code .JAR}, in order of name, as
   * {@code java -cp} has it. A jar or directory that appears twice, or two with the same content,
   * is kept once, where it first appears: the later one could not add a class.
   *
   * @throws ProgramException naming the entry when the class path is empty, an entry does not
   *     exist, cannot be read, is neither a jar nor a directory, or a directory cannot be packed
   *     into {@code workDir}
   */
  public static List<PackedJar> pack(String classPath, Path workDir) throws ProgramException {
    Objects.requireNonNull(workDir, "workDir");
    List<String> entries = new ArrayList<>();
    if (classPath != null) {
      for (String entry : classPath.split(Pattern.quote(File.pathSeparator), -1)) {
        if (!entry.isEmpty()) {
          entries.add(entry);
        }
      }
    }
    if (entries.isEmpty()) {
      throw new ProgramException("the class path is empty");
    }
    List<PackedJar> jars = new ArrayList<>();
    Set<Path> seenFiles = new HashSet<>();
    Set<String> seenHashes = new HashSet<>();
    for (String entry : entries) {
      for (Named source : expand(entry)) {
        PackedJar jar = packOne(source, workDir, seenFiles);
        if (jar != null && seenHashes.add(jar.ref().sha256())) {
          jars.add(jar);
        }
      }
    }
    if (jars.isEmpty()) {
      throw new ProgramException("the class path " + classPath + " holds no jars");
    }
    return List.copyOf(jars);
  }

  /**
   * Returns the {@code Main-Class} attribute of the first of {@code jars}, in order, whose manifest
   * has one; empty when none has.
   *
   * @throws ProgramException naming the jar when one before it does not exist, cannot be read or is
   *     not a jar
   */
  public static Optional<String> mainClass(List<Path> jars) throws ProgramException {
    for (Path jar : jars) {
      if (!Files.exists(jar)) {
        throw new ProgramException(jar + " does not exist");
      }
      try (JarFile file = new JarFile(jar.toFile(), false)) {
        Manifest manifest = file.getManifest();
        if (manifest == null) {
          continue;
        }
        String main = manifest.getMainAttributes().getValue(Attributes.Name.MAIN_CLASS);
        if (main != null && !main.isBlank()) {
          return Optional.of(main.strip());
        }
      } catch (ZipException e) {
        throw new ProgramException(jar + " is not a jar file: " + e.getMessage(), e);
      } catch (IOException e) {
        throw new ProgramException("cannot read " + jar + ": " + ProgramException.reason(e), e);
      }
    }
    return Optional.empty();
  }

  /**
   * Returns the SHA-256 of {@code file}'s content as 64 lowercase hex characters, reading it in
   * blocks rather than all at once.
   *
   * @throws IOException when the file cannot be read
   */
  public static String sha256(Path file) throws IOException {
    MessageDigest digest = newSha256();
    byte[] buffer = new byte[BUFFER];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** Returns a fresh SHA-256 digest, which every JDK has. */
  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  /** A path and how the user spelled it, for messages. */
  private record Named(String shown, Path path) {}

  /** Returns the paths one class path entry stands for: itself, or a wildcard's jars. */
  private static List<Named> expand(String entry) throws ProgramException {
    boolean wildcard =
        entry.equals("*") || entry.endsWith("/*") || entry.endsWith(File.separator + "*");
    if (!wildcard) {
      return List.of(new Named(entry, toPath(entry, entry)));
    }
    String prefix = entry.substring(0, entry.length() - 1);
    Path dir = toPath(prefix.isEmpty() ? "." : prefix, entry);
    if (!Files.exists(dir)) {
      throw new ProgramException(entry + " matches nothing: " + dir + " does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw new ProgramException(entry + " matches nothing: " + dir + " is not a directory");
    }
    TreeMap<String, Path> jars = new TreeMap<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if ((name.endsWith(".jar") || name.endsWith(".JAR")) && Files.isRegularFile(file)) {
          jars.put(name, file);
        }
      }
    } catch (IOException e) {
      throw new ProgramException("cannot list " + entry + ": " + ProgramException.reason(e), e);
    }
    List<Named> named = new ArrayList<>();
    jars.forEach((name, file) -> named.add(new Named(prefix + name, file)));
    return named;
  }

  private static Path toPath(String text, String entry) throws ProgramException {
    try {
      return Path.of(text);
    } catch (InvalidPathException e) {
      throw new ProgramException(entry + " is not a path: " + e.getReason(), e);
    }
  }

  /**
   * Returns one entry's jar, or null when {@code seenFiles} already has it.
   *
   * @throws ProgramException naming the entry as the user spelled it
   */
  private static PackedJar packOne(Named source, Path workDir, Set<Path> seenFiles)
      throws ProgramException {
    String shown = source.shown();
    Path path = source.path();
    BasicFileAttributes attributes;
    Path real;
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class);
      real = path.toRealPath();
    } catch (NoSuchFileException e) {
      throw new ProgramException(shown + " does not exist", e);
    } catch (IOException e) {
      throw new ProgramException("cannot read " + shown + ": " + ProgramException.reason(e), e);
    }
    if (!attributes.isDirectory() && !attributes.isRegularFile()) {
      throw new ProgramException(shown + " is neither a jar file nor a directory");
    }
    if (!Files.isReadable(path)) {
      throw new ProgramException(shown + " is not readable");
    }
    if (!seenFiles.add(real)) {
      return null;
    }
    if (attributes.isDirectory()) {
      return packDirectory(shown, real, workDir);
    }
    checkJar(shown, path);
    try {
      Tally tally = new Tally(OutputStream.nullOutputStream());
      try (InputStream in = Files.newInputStream(path)) {
        in.transferTo(tally);
      }
      String name = humanName(path.getFileName().toString(), JarRef.MAX_NAME_LENGTH);
      return new PackedJar(path.toAbsolutePath(), new JarRef(tally.sha256(), name, tally.count));
    } catch (IOException e) {
      throw new ProgramException("cannot read " + shown + ": " + ProgramException.reason(e), e);
    }
  }

  /** Throws unless {@code path} opens as a zip file, which is all a jar needs to be. */
  private static void checkJar(String shown, Path path) throws ProgramException {
    try {
      // Opening reads the central directory: enough to know it is a zip.
      new ZipFile(path.toFile()).close();
    } catch (ZipException e) {
      throw new ProgramException(shown + " is not a jar file: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ProgramException("cannot read " + shown + ": " + ProgramException.reason(e), e);
    }
  }

  /** Packs directory {@code dir} (a real path) into a new jar under {@code workDir}. */
  private static PackedJar packDirectory(String shown, Path dir, Path workDir)
      throws ProgramException {
    Path work;
    try {
      work = Files.createDirectories(workDir).toRealPath();
    } catch (IOException e) {
      throw new ProgramException(
          "cannot create the work directory "
              + workDir
              + " to pack "
              + shown
              + " in: "
              + ProgramException.reason(e),
          e);
    }
    List<String> names = new ArrayList<>(list(shown, dir, work));
    Path temp = null;
    try {
      temp = Files.createTempFile(work, ".packing-", ".tmp");
      Tally tally;
      try (OutputStream file = Files.newOutputStream(temp)) {
        tally = new Tally(new BufferedOutputStream(file, BUFFER));
        try (ZipOutputStream zip = new ZipOutputStream(tally)) {
          for (String name : names) {
            writeEntry(zip, name, dir, shown);
          }
        }
      }
      String sha256 = tally.sha256();
      String base = dir.getFileName() == null ? "classes" : dir.getFileName().toString();
      String name = humanName(base, MAX_BASE_NAME) + "-" + sha256.substring(0, 8) + ".jar";
      Path jar = work.resolve(name);
      // The same name holds the same bytes, so replacing one packed earlier changes nothing.
      Files.move(temp, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return new PackedJar(jar, new JarRef(sha256, name, tally.count));
    } catch (Refusal e) {
      throw new ProgramException(e.getMessage(), e);
    } catch (IOException e) {
      throw new ProgramException(
          "cannot pack " + shown + " into " + work + ": " + ProgramException.reason(e), e);
    } finally {
      if (temp != null) {
        deleteQuietly(temp);
      }
    }
  }

  /** Writes one entry: a directory when {@code name} ends in '/', else the file's content. */
  private static void writeEntry(ZipOutputStream zip, String name, Path dir, String shown)
      throws IOException {
    ZipEntry entry = new ZipEntry(name);
    // In local time and within MS-DOS range, so no time zone and no extra timestamp field.
    entry.setTimeLocal(ENTRY_TIME);
    if (name.endsWith("/")) {
      entry.setMethod(ZipEntry.STORED);
      entry.setSize(0);
      entry.setCrc(0);
      zip.putNextEntry(entry);
      zip.closeEntry();
      return;
    }
    Path file = dir.resolve(name);
    InputStream in;
    try {
      in = Files.newInputStream(file);
    } catch (IOException e) {
      throw new Refusal(
          "cannot read " + Path.of(shown).resolve(name) + ": " + ProgramException.reason(e));
    }
    try (in) {
      zip.putNextEntry(entry);
      in.transferTo(zip);
      zip.closeEntry();
    }
  }

  /**
   * Returns the entry names for directory {@code dir}: its files and directories below it,
   * '/'-separated, directories ending in '/', sorted, the manifest first if there is one. Follows
   * symbolic links as a class loader does; skips {@code work} should it lie inside, and anything
   * neither file nor directory (dangling links, pipes).
   */
  private static List<String> list(String shown, Path dir, Path work) throws ProgramException {
    TreeMap<String, Boolean> names = new TreeMap<>();
    boolean workInside = work.startsWith(dir);
    try {
      Files.walkFileTree(
          dir,
          EnumSet.of(FileVisitOption.FOLLOW_LINKS),
          Integer.MAX_VALUE,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
                throws IOException {
              if (workInside && d.toRealPath().equals(work)) {
                return FileVisitResult.SKIP_SUBTREE;
              }
              if (!d.equals(dir)) {
                names.put(entryName(dir.relativize(d)) + "/", true);
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
              if (attrs.isRegularFile()) {
                names.put(entryName(dir.relativize(f)), false);
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
              Path where = Path.of(shown).resolve(dir.relativize(f));
              if (e instanceof FileSystemLoopException) {
                throw new Refusal(shown + " has a symbolic link loop at " + where);
              }
              if (e instanceof AccessDeniedException) {
                throw new Refusal("cannot read " + where + ": permission denied");
              }
              throw e;
            }
          });
    } catch (Refusal e) {
      throw new ProgramException(e.getMessage(), e);
    } catch (IOException e) {
      throw new ProgramException("cannot read " + shown + ": " + ProgramException.reason(e), e);
    }
    List<String> sorted = new ArrayList<>(names.keySet());
    if (sorted.remove(MANIFEST)) {
      sorted.remove("META-INF/");
      sorted.add(0, "META-INF/");
      sorted.add(1, MANIFEST);
    }
    return sorted;
  }

  /** Returns a relative path's zip entry name: its parts joined by '/', whatever the platform. */
  private static String entryName(Path relative) {
    StringBuilder name = new StringBuilder();
    for (Path part : relative) {
      if (name.length() > 0) {
        name.append('/');
      }
      name.append(part);
    }
    return name.toString();
  }

  /**
   * Returns {@code fileName} as a {@link JarRef#name}: backslashes and control characters (legal in
   * a POSIX file name) become '_', and it is cut to {@code max} characters.
   */
  static String humanName(String fileName, int max) {
    StringBuilder name = new StringBuilder();
    for (int i = 0; i < fileName.length() && name.length() < max; i++) {
      char c = fileName.charAt(i);
      name.append(c == '\\' || c < 0x20 || c == 0x7f ? '_' : c);
    }
    if (name.length() > 0 && Character.isHighSurrogate(name.charAt(name.length() - 1))) {
      name.setLength(name.length() - 1);
    }
    String result = name.toString();
    return result.isEmpty() || result.equals(".") || result.equals("..") ? "_" : result;
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A leftover temp file in the work directory is harmless; the first error matters more.
    }
  }

  /** A problem found inside a file walk, carried out of it as one sentence for the user. */
  private static final class Refusal extends IOException {
    private static final long serialVersionUID = 1L;

    Refusal(String message) {
      super(message);
    }
  }

  /** Counts and hashes the bytes on their way to {@code out}. Not thread safe. */
  private static final class Tally extends FilterOutputStream {
    private final MessageDigest digest = newSha256();

    /** Bytes written so far. */
    long count;

    Tally(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      digest.update((byte) b);
      count++;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      out.write(bytes, offset, length);
      digest.update(bytes, offset, length);
      count += length;
    }

    /** Returns the SHA-256 of everything written, once all of it has been. */
    String sha256() {
      return HexFormat.of().formatHex(digest.digest());
    }
  }
}
