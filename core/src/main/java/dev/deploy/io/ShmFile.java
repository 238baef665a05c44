package dev.deploy.io;

import dev.deploy.util.OwnerOnlyFiles;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * The shared memory of one pair of processes on one machine: a file under {@code /dev/shm} with a
 * random name, owner-only, holding two {@link ShmRing}s (one per direction). The dialler creates
 * and maps it and sends its name over the authenticated connection; the acceptor checks and maps it
 * and unlinks it at once, and the dialler unlinks it too when the answer comes, so once both have
 * mapped it no name is left (a crash leaves nothing behind; the memory goes with the last mapping).
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

  /** The names this side accepts: no path, nothing but what {@link #create} makes. */
  private static final Pattern NAME = Pattern.compile("deploy-[0-9a-f]{32}");

  private static final SecureRandom RANDOM = new SecureRandom();

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
    byte[] random = new byte[16];
    RANDOM.nextBytes(random);
    String name = "deploy-" + HexFormat.of().formatHex(random);
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
   * Maps the file the remote named, after checking it is one of ours: the name's form, a regular
   * file (not a link), owned by this process's user, readable and writable by nobody else, of
   * {@link #SIZE} bytes. Then unlinks it: both sides have it mapped.
   *
   * @throws IOException naming what is wrong
   */
  public static ShmFile open(String name) throws IOException {
    if (!NAME.matcher(name).matches()) {
      throw new IOException("the shared memory name " + quote(name) + " is not deploy-<32 hex>");
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
