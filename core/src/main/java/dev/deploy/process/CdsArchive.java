package dev.deploy.process;

import dev.deploy.logging.Loggers;
import dev.deploy.security.Ownership;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;

/**
 * A class-data-sharing archive of the runtime's own classes for a program's JVMs, so a spawned JVM
 * maps the classes of its way to the task (handshake, channels, codec, Kryo) instead of loading and
 * verifying them: about half of a spawn's cost above a bare JVM.
 *
 * <p>The archive covers the longest prefix of the class path made of jar files (JDK 17 cannot
 * archive with directories on the path; a prefix of the path is enough for the JVM to use it) and
 * exists only when that prefix holds the runtime. It is made once per (java, prefix jars with their
 * sizes and times) by a training JVM in the background, kept in a directory only its owner may
 * write ({@code $XDG_CACHE_HOME/deploy/cds} or {@code ~/.cache/deploy/cds}; one that another user
 * owns or may write is not used, see {@link Ownership}), and used only once complete. Failures to
 * use it are silenced ({@code -Xlog:cds=off}): it is an optimisation, never an error.
 *
 * <p>Thread safe: {@link #train} runs on a background thread of the fabric (once per program), and
 * {@link #cancel} may come from any thread, before, during or after it.
 */
public final class CdsArchive {
  private static final Logger log = Loggers.get(CdsArchive.class);

  /** Set once an unsafe archive directory was reported, so the warning comes once per JVM. */
  private static final AtomicBoolean REFUSAL_LOGGED = new AtomicBoolean();

  private final String java;
  private final List<String> prefix;
  private final Path file;

  /** Guards starting the training JVM against {@link #cancel}. */
  private final ReentrantLock lock = new ReentrantLock();

  /** Set by {@link #cancel}: no training starts, and one under way is stopped. */
  private volatile boolean cancelled;

  /** The training JVM, once started; guarded by lock. */
  private Process training;

  private CdsArchive(String java, List<String> prefix, Path file) {
    this.java = java;
    this.prefix = List.copyOf(prefix);
    this.file = file;
  }

  /**
   * Returns the archive for {@code command}, or empty when it cannot have one: the user chose their
   * own sharing options, the path's jar prefix lacks the runtime, or there is no private cache
   * directory.
   */
  public static Optional<CdsArchive> forCommand(JvmCommand command, Path runtimeJar) {
    for (String o : command.options()) {
      if (o.startsWith("-Xshare")
          || o.contains("SharedArchiveFile")
          || o.contains("ArchiveClassesAtExit")
          || o.startsWith("-XX:AOT")) {
        return Optional.empty();
      }
    }
    Optional<String> classPath = command.classPath();
    if (classPath.isEmpty() || runtimeJar == null) {
      return Optional.empty();
    }
    List<String> prefix = new ArrayList<>();
    boolean hasRuntime = false;
    for (String entry : classPath.get().split(File.pathSeparator)) {
      if (entry.isEmpty() || !entry.endsWith(".jar") || !Files.isRegularFile(Path.of(entry))) {
        break;
      }
      prefix.add(entry);
      hasRuntime |= sameFile(Path.of(entry), runtimeJar);
    }
    if (!hasRuntime) {
      return Optional.empty();
    }
    return cacheDirectory()
        .map(
            dir ->
                new CdsArchive(
                    command.java(), prefix, dir.resolve(key(command.java(), prefix) + ".jsa")));
  }

  /** The archive {@code file} of {@code prefix} for {@code java}; for tests. */
  static CdsArchive at(String java, List<String> prefix, Path file) {
    return new CdsArchive(java, prefix, file);
  }

  private static boolean sameFile(Path a, Path b) {
    try {
      return Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }

  /** Returns a cache directory only this user can write, creating it, or empty. */
  static Optional<Path> cacheDirectory() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isEmpty()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return cacheDirectory(base, Ownership.system());
  }

  /**
   * Returns {@code base/deploy/cds}, creating what is missing owner-only, or empty when it cannot
   * be made or is not safe (see {@link Ownership}): whoever may write there could put their code in
   * every JVM the fabric starts. Such a refusal is logged once as a warning, and spawns start
   * without an archive, which only makes them slower.
   */
  static Optional<Path> cacheDirectory(Path base, Ownership ownership) {
    Path dir = base.resolve("deploy").resolve("cds");
    try {
      Path checked =
          ownership.privateDirectory(
              dir,
              "the class-sharing archive directory",
              "put code of their own in every JVM the fabric starts");
      return Files.isWritable(checked) ? Optional.of(checked) : Optional.empty();
    } catch (IOException e) {
      if (REFUSAL_LOGGED.compareAndSet(false, true)) {
        log.warn("{}; spawned JVMs start without a class-sharing archive", e.getMessage());
      } else {
        log.debug("no class-sharing archive: {}", e.getMessage());
      }
      return Optional.empty();
    }
  }

  /** Names an archive by the JVM and the exact jars it was made from. */
  static String key(String java, List<String> prefix) {
    StringBuilder text =
        new StringBuilder(java)
            .append('\n')
            .append(System.getProperty("java.vm.version"))
            .append('\n');
    for (String jar : prefix) {
      Path p = Path.of(jar).toAbsolutePath().normalize();
      text.append(p).append(' ');
      try {
        text.append(Files.size(p)).append(' ').append(Files.getLastModifiedTime(p).toMillis());
      } catch (IOException e) {
        text.append("?");
      }
      text.append('\n');
    }
    byte[] digest =
        dev.deploy.security.Sha256.digest(text.toString().getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(digest, 0, 12);
  }

  /** Returns whether the archive is complete and may be used. */
  public boolean ready() {
    return Files.isRegularFile(file);
  }

  /**
   * Returns the JVM options that use the archive, silently falling back when it does not fit: for a
   * JVM that logs its warnings on stderr only, as the fabric starts them ({@code -Xlog:disable
   * -Xlog:all=warning:stderr} first), so the archive's warnings are turned off there.
   */
  public List<String> options() {
    return List.of(
        "-XX:SharedArchiveFile=" + file,
        "-Xshare:auto",
        "-Xlog:cds=off:stderr",
        "-Xlog:cds+dynamic=off:stderr");
  }

  /**
   * Makes the archive if it is missing: runs a training JVM (about half a second) and moves its
   * archive into place when complete. Blocking; call from a background thread.
   */
  public void train(String trainingMain) {
    if (ready() || cancelled) {
      return;
    }
    prune(file.getParent(), KEEP); // also the partial archives of trainings that were cut short
    Path partial = file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid());
    List<String> argv = new java.util.ArrayList<>(lowestPriority());
    argv.addAll(
        List.of(
            java,
            "-XX:ArchiveClassesAtExit=" + partial,
            "-Xshare:auto",
            "-Xlog:cds=off",
            "-Xlog:cds+dynamic=off",
            "-cp",
            absolute(prefix),
            trainingMain));
    try {
      Process p;
      lock.lock(); // with cancel(): a training starts only while not cancelled
      try {
        if (cancelled) {
          return;
        }
        p =
            new ProcessBuilder(argv)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new File(nullDevice())))
                .start();
        training = p;
      } finally {
        lock.unlock();
      }
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        log.debug("the class-sharing training JVM took over 60 s; spawns stay cold");
        return;
      }
      if (p.exitValue() == 0 && !cancelled && Files.isRegularFile(partial)) {
        Files.move(
            partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        prune(file.getParent(), KEEP);
      }
    } catch (IOException e) {
      log.debug("cannot make a class-sharing archive: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        Files.deleteIfExists(partial);
      } catch (IOException ignored) {
        // A leftover partial archive is never used.
      }
    }
  }

  /**
   * Returns {@code nice -n 19} where the machine has {@code nice}, else nothing: the training JVM
   * then yields the cores to the run's own JVMs, whose start it would otherwise slow (it runs while
   * the run's first spawns do).
   */
  static List<String> lowestPriority() {
    for (String dir : new String[] {"/usr/bin", "/bin"}) {
      Path nice = Path.of(dir, "nice");
      if (Files.isExecutable(nice)) {
        return List.of(nice.toString(), "-n", "19");
      }
    }
    return List.of();
  }

  /**
   * Returns the prefix as absolute paths. The archive records its class path as given, and a JVM
   * resolves a relative entry against its own working directory: an archive trained with {@code
   * lib/app.jar} is refused, silently, by every JVM started elsewhere, while its name (made from
   * absolute paths) says it fits. Absolute entries match a relative path to the same jar.
   */
  static String absolute(List<String> prefix) {
    List<String> paths = new ArrayList<>();
    for (String jar : prefix) {
      paths.add(Path.of(jar).toAbsolutePath().normalize().toString());
    }
    return String.join(File.pathSeparator, paths);
  }

  /**
   * Stops a training under way (its partial archive is deleted when {@link #train} returns) and any
   * later one: a fabric that closes leaves no JVM of its own behind.
   */
  public void cancel() {
    lock.lock();
    try {
      cancelled = true;
      if (training != null) {
        training.destroyForcibly();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Archives kept per user: each rebuild of a program's jars makes a new one. */
  static final int KEEP = 8;

  /**
   * A partial archive ({@code <name>.jsa.<pid>}) older than this is left from a training that was
   * cut short (its fabric was killed): trainings are stopped after 60 s.
   */
  static final long STALE_PARTIAL_MILLIS = TimeUnit.MINUTES.toMillis(2);

  /**
   * Deletes all but the {@code keep} most recently made archives in {@code dir}, and the partial
   * archives of trainings that ended without cleaning up.
   */
  static void prune(Path dir, int keep) {
    List<Path> archives = new ArrayList<>();
    long staleBefore = System.currentTimeMillis() - STALE_PARTIAL_MILLIS;
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        if (name.endsWith(".jsa")) {
          archives.add(f);
        } else if (name.matches(".*\\.jsa\\.[0-9]+") && modified(f) < staleBefore) {
          Files.deleteIfExists(f);
        }
      }
      archives.sort(Comparator.comparing(CdsArchive::modified).reversed());
      for (Path old : archives.subList(Math.min(keep, archives.size()), archives.size())) {
        Files.deleteIfExists(old);
      }
    } catch (IOException e) {
      // Pruning is housekeeping; an old archive left behind costs only disk.
    }
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  private static String nullDevice() {
    return System.getProperty("os.name", "").startsWith("Windows") ? "NUL" : "/dev/null";
  }
}
