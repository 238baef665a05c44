package dev.deploy.io;

import dev.deploy.security.Nonces;
import dev.deploy.util.OwnerOnlyFiles;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shared memory of one pair of processes on one machine: a file under {@code /dev/shm} with a
 * random name, owner-only, holding two {@link ShmRing}s (one per direction). The dialler creates
 * and maps it and sends its name over the authenticated connection; the acceptor checks and maps it
 * and unlinks it at once, and the dialler unlinks it too when the answer comes, so once both have
 * mapped it no name is left (a crash leaves nothing behind; the memory goes with the last mapping).
 * The name starts with the creator's OS pid ({@code deploy-<pid>-<32 hex>}): a dialler killed
 * between creating its offer and the acceptor's unlink leaves its file, and whoever sees that pid
 * end ({@link #sweepEnded}, the fabric that started it) or a later start ({@link #sweepStale})
 * removes it.
 *
 * <p>Shared memory is on by default ({@link #DEFAULT}); {@code DEPLOY_SHM=0} (or {@code
 * -Ddeploy.shm=0}) turns it off, and every pair stays on TCP.
 *
 * <p>The mapping is undone by {@link #release} as soon as the pair's transport is closed, not left
 * to the garbage collector: a dead mapping holds its 2 MiB of {@code /dev/shm} until a full
 * collection finds it, and then the JVM's single reference-handler thread unmaps each one in turn
 * (a {@code munmap} that frees the pages), so a collection after a few hundred closed pairs delays
 * every weak or soft reference's enqueueing by tens of milliseconds or more. Any thread; the caller
 * of {@link #release} makes sure no thread touches the rings afterwards.
 */
public final class ShmFile {
  /** Where the files go: tmpfs on Linux. */
  static final Path DIR = Path.of("/dev/shm");

  /** Bytes of data in each direction's ring. */
  static final int RING = 1 << 20;

  /** Bytes of the file: two rings. */
  static final int SIZE = 2 * ShmRing.size(RING);

  /**
   * The names this side accepts: no path, nothing but what {@link #create} makes ({@code
   * deploy-<creator's OS pid>-<32 hex>}), or the older {@code deploy-<32 hex>}.
   */
  private static final Pattern NAME = Pattern.compile("deploy-(?:[0-9]{1,10}-)?[0-9a-f]{32}");

  /** The names {@link #sweep} looks at: those that say their creator's OS pid (group 1). */
  private static final Pattern OWNED = Pattern.compile("deploy-([0-9]{1,10})-[0-9a-f]{32}");

  /**
   * A process's start time as the JDK reports it is counted from the boot time in whole seconds: a
   * file is older than the process holding its pid only when older by more than this.
   */
  static final Duration START_SLACK = Duration.ofSeconds(2);

  /**
   * The sweep at start leaves files younger than this: an offer lives for one handshake, and a file
   * of a process in another pid namespace sharing {@code /dev/shm} is not ours to judge by pid.
   */
  static final Duration START_SWEEP_MIN_AGE = Duration.ofMinutes(1);

  /** The names of earlier versions, which did not say their creator's pid. */
  private static final Pattern LEGACY = Pattern.compile("deploy-[0-9a-f]{32}");

  /**
   * The sweep at start removes a file of the older, pid-less form only when it is at least this
   * old. An offer lives for one handshake (seconds), and a mapping outlives the unlink of its file,
   * so such a file is an orphan long before this; the margin is for clocks and doubt.
   */
  static final Duration LEGACY_MIN_AGE = Duration.ofHours(1);

  private final String name;
  private final MappedByteBuffer map;
  private final AtomicBoolean released = new AtomicBoolean();

  private ShmFile(String name, MappedByteBuffer map) {
    this.name = name;
    this.map = map;
  }

  /**
   * Whether shared memory is used when neither {@code DEPLOY_SHM} nor {@code deploy.shm} says: yes,
   * between processes of one machine (the whole channel suite and the Reactive Streams TCK pass
   * over it; docs/channels.md).
   */
  static final boolean DEFAULT = true;

  /**
   * Returns whether shared memory may be used: not turned off ({@code DEPLOY_SHM=0}, or {@code
   * -Ddeploy.shm=0}, which wins; any other value, or none, leaves it on), and this machine has it.
   */
  public static boolean enabled() {
    String v = System.getProperty("deploy.shm", System.getenv("DEPLOY_SHM"));
    boolean asked = v == null || v.isEmpty() ? DEFAULT : !"0".equals(v);
    return asked && BootId.VALUE != null && Files.isDirectory(DIR);
  }

  /** Returns this machine's boot id, or null when it cannot be read (no shared memory then). */
  public static String bootId() {
    return BootId.VALUE;
  }

  /** Read once, when first asked. */
  private static final class BootId {
    static final String VALUE = read();

    private static String read() {
      try {
        String id = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
        return id.isEmpty() ? null : id;
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
  }

  /** Creates a new file, owner-only, of {@link #SIZE} bytes, and maps it. */
  public static ShmFile create() throws IOException {
    String name = newName();
    Path path = DIR.resolve(name);
    OwnerOnlyFiles.createFile(path);
    try {
      allocate(path);
      return new ShmFile(name, map(path));
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(path);
      throw e;
    }
  }

  /**
   * The name of the file made ahead for this process's next offer ({@link #prepareSpare}), created
   * and written but not mapped, or null. Making a file (create, write 2 MiB) takes 1-4 ms on a busy
   * machine, which was on the way of a pair's first value when the dialler made it as it offered;
   * mapping it then costs a system call. Unmapped, it is nobody's mapping until offered.
   */
  private static final AtomicReference<String> SPARE = new AtomicReference<>();

  /**
   * Returns a file to offer: the one {@link #prepareSpare} made ahead, mapped now, when there is
   * one, else a new one ({@link #create}). Any thread.
   */
  public static ShmFile takeSpareOrCreate() throws IOException {
    String spare = SPARE.getAndSet(null);
    if (spare != null) {
      Path path = DIR.resolve(spare);
      try {
        return new ShmFile(spare, map(path));
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(path); // gone or broken: make a new one
      }
    }
    return create();
  }

  /**
   * Makes the file the next {@link #takeSpareOrCreate} maps, unless one is ready; blocking, so call
   * it off the I/O thread at a quiet moment. Never throws: without one, the next offer makes its
   * own. The spare keeps its name until offered; {@link #dropSpare} at exit, or the fabric's {@link
   * #sweepEnded} after a kill, removes it.
   */
  public static void prepareSpare() {
    if (SPARE.get() != null || !enabled()) {
      return;
    }
    try {
      String name = newName();
      Path path = DIR.resolve(name);
      OwnerOnlyFiles.createFile(path);
      try {
        allocate(path);
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(path);
        throw e;
      }
      if (!SPARE.compareAndSet(null, name)) {
        Files.deleteIfExists(path); // another thread made one meanwhile
      }
    } catch (IOException | RuntimeException e) {
      // No spare: the next offer makes its file, and says so if it cannot.
    }
  }

  /** Returns the spare's name, or null; for tests. */
  static String spare() {
    return SPARE.get();
  }

  /** Removes the spare, if any (at exit). Any thread; never throws. */
  public static void dropSpare() {
    String spare = SPARE.getAndSet(null);
    if (spare != null) {
      try {
        Files.deleteIfExists(DIR.resolve(spare));
      } catch (IOException e) {
        // Not ours to remove any more: nothing to do.
      }
    }
  }

  /** Returns a new file name: {@code deploy-<this OS pid>-<32 random hex>}. */
  private static String newName() {
    byte[] random = new byte[16];
    // Not a SecureRandom: its providers' set-up cost each process 10-25 ms, on the I/O thread of
    // its first pair (nothing else in a process uses one).
    Nonces.fill(random);
    return "deploy-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(random);
  }

  /**
   * Maps the file the remote named, after checking it is one of ours: the name's form, a regular
   * file (not a link), owned by this process's user, readable and writable by nobody else, of
   * {@link #SIZE} bytes. Then unlinks it: both sides have it mapped.
   *
   * @throws IOException naming what is wrong
   */
  public static ShmFile open(String name) throws IOException {
    if (!NAME.matcher(name).matches()) {
      throw new IOException(
          "the shared memory name " + quote(name) + " is not deploy-<pid>-<32 hex>");
    }
    Path path = DIR.resolve(name);
    try {
      PosixFileAttributes a =
          Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile()) {
        throw new IOException(path + " is not a regular file");
      }
      String me = System.getProperty("user.name");
      if (!a.owner().getName().equals(me)) {
        throw new IOException(path + " belongs to " + a.owner().getName() + ", not " + me);
      }
      if (!a.permissions().equals(OwnerOnlyFiles.FILE)) {
        throw new IOException(
            path + " has permissions " + PosixFilePermissions.toString(a.permissions()));
      }
      if (a.size() != SIZE) {
        throw new IOException(path + " has " + a.size() + " bytes, not " + SIZE);
      }
      return new ShmFile(name, map(path));
    } finally {
      Files.deleteIfExists(path);
    }
  }

  /**
   * Removes the offer files that process {@code pid} (an OS pid) created and left: call when it
   * ended, e.g. from the fabric that started it. A dialler killed after it created its offer and
   * before the acceptor mapped and unlinked it leaves the file (2 MiB) behind; nobody else would
   * remove it. Returns how many it removed. Never throws: a machine without {@code /dev/shm} has
   * nothing to remove.
   */
  public static int sweepEnded(long pid) {
    return sweep(DIR, pid, Duration.ZERO, Processes.OS);
  }

  /**
   * Removes the offer files of any process that has ended (its pid is free, or held by a process
   * that started after the file was last written) and that are older than {@link
   * #START_SWEEP_MIN_AGE}: what a crashed fabric or run could not remove. Returns how many.
   */
  public static int sweepStale() {
    return sweep(DIR, -1, START_SWEEP_MIN_AGE, Processes.OS);
  }

  /**
   * Removes from {@code dir} the files named {@code deploy-<pid>-<hex>} (of {@code onlyPid}, or of
   * any pid when it is negative) that are regular files of this user, at least {@code minAge} old,
   * and {@link #stale} by what {@code processes} says of their pid; and, when {@code onlyPid} is
   * negative, this user's files of the older form {@code deploy-<hex>} at least {@link
   * #LEGACY_MIN_AGE} old, which no process's end would ever remove.
   */
  static int sweep(Path dir, long onlyPid, Duration minAge, Processes processes) {
    int removed = 0;
    String me = System.getProperty("user.name");
    Instant now = Instant.now();
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(dir, onlyPid >= 0 ? "deploy-" + onlyPid + "-*" : "deploy-*")) {
      for (Path path : files) {
        String name = path.getFileName().toString();
        Matcher m = OWNED.matcher(name);
        boolean legacy = onlyPid < 0 && LEGACY.matcher(name).matches();
        if (!m.matches() && !legacy) {
          continue;
        }
        try {
          PosixFileAttributes a =
              Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          Instant written = a.lastModifiedTime().toInstant();
          if (!a.isRegularFile()
              || !a.owner().getName().equals(me)
              || written.plus(legacy ? LEGACY_MIN_AGE : minAge).isAfter(now)
              || (!legacy && !stale(written, m.group(1), processes))) {
            continue;
          }
          if (Files.deleteIfExists(path)) {
            removed++;
          }
        } catch (IOException | RuntimeException e) {
          // Gone meanwhile, or not ours to read or remove: leave it.
        }
      }
    } catch (IOException | RuntimeException e) {
      // No such directory, or not readable: nothing to sweep here.
    }
    return removed;
  }

  /**
   * The sweep rule. A file last written at {@code written} by the process whose pid its name holds
   * is stale when no process holds that pid now ({@code alive} false), or when the process holding
   * it started more than {@link #START_SLACK} after the file was written (the pid was reused: a
   * process cannot have written a file before it started). A running holder whose start is unknown
   * ({@code started} null) keeps the file.
   */
  private static boolean stale(Instant written, String pid, Processes processes) {
    long p = Long.parseLong(pid);
    return stale(written, processes.alive(p), processes.started(p));
  }

  static boolean stale(Instant written, boolean alive, Instant started) {
    if (!alive) {
      return true;
    }
    return started != null && written.plus(START_SLACK).isBefore(started);
  }

  /** What the sweep asks about an OS pid (a seam for tests). */
  interface Processes {
    /** Whether a process holds {@code pid} now. */
    boolean alive(long pid);

    /** When the process holding {@code pid} started, or null when unknown or none. */
    Instant started(long pid);

    /** The machine's processes, as the JDK sees them. */
    Processes OS =
        new Processes() {
          @Override
          public boolean alive(long pid) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
          }

          @Override
          public Instant started(long pid) {
            return ProcessHandle.of(pid).flatMap(p -> p.info().startInstant()).orElse(null);
          }
        };
  }

  /**
   * Writes the whole file once, so tmpfs gives it its pages now: a full {@code /dev/shm} is then an
   * {@code IOException} here (the pair stays on TCP), never a fault when a ring first touches a
   * page.
   */
  private static void allocate(Path path) throws IOException {
    try (FileChannel f =
        FileChannel.open(path, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      java.nio.ByteBuffer zeros = java.nio.ByteBuffer.allocate(64 << 10);
      for (long at = 0; at < SIZE; ) {
        zeros.clear().limit((int) Math.min(zeros.capacity(), SIZE - at));
        at += f.write(zeros, at);
      }
    }
  }

  private static MappedByteBuffer map(Path path) throws IOException {
    try (FileChannel f =
        FileChannel.open(
            path, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      return f.map(FileChannel.MapMode.READ_WRITE, 0, SIZE);
    }
  }

  private static String quote(String s) {
    return "'" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'";
  }

  /** Returns the file's name under {@code /dev/shm}. */
  public String name() {
    return name;
  }

  /** Removes the name (idempotent); the mapping stays. */
  public void unlink() {
    try {
      Files.deleteIfExists(DIR.resolve(name));
    } catch (IOException e) {
      // Gone already, or not ours to remove: nothing to leave behind either way.
    }
  }

  /**
   * Unmaps the file now (idempotent). Call only when no thread can touch its rings any more: an
   * access after this is a fault. Where the JVM cannot unmap on demand, the collector does it
   * later, as before.
   */
  public void release() {
    if (UNMAP != null && released.compareAndSet(false, true)) {
      try {
        UNMAP.invokeExact((ByteBuffer) map);
      } catch (Throwable e) {
        // Not unmapped: the collector's cleaner unmaps it later.
      }
    }
  }

  /**
   * {@code sun.misc.Unsafe.invokeCleaner}, bound: Java 17's only way to unmap a mapped buffer at a
   * known time (module jdk.unsupported, no flag needed); null where it is missing.
   */
  private static final MethodHandle UNMAP = unmapper();

  private static MethodHandle unmapper() {
    try {
      Class<?> type = Class.forName("sun.misc.Unsafe");
      Field field = type.getDeclaredField("theUnsafe");
      field.setAccessible(true);
      return MethodHandles.lookup()
          .findVirtual(type, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
          .bindTo(field.get(null));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** Returns the ring this side writes: the dialler's is the first. */
  ShmRing out(boolean dialer) {
    return ring(dialer ? 0 : 1);
  }

  /** Returns the ring this side reads. */
  ShmRing in(boolean dialer) {
    return ring(dialer ? 1 : 0);
  }

  private ShmRing ring(int which) {
    int size = ShmRing.size(RING);
    return new ShmRing(map.slice(which * size, size), RING);
  }
}
