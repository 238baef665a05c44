package dev.deploy.e2e.programs.limits;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import java.lang.reflect.Field;

/**
 * Spawns a child of 128 MiB that allocates native memory (outside the heap, which {@code -Xmx}
 * would stop first) until something stops it, then waits for the child's end and exits 0. Under a
 * per-process cgroup the kernel kills the child for its memory limit; {@code CgroupIT} checks that
 * it is reported so and that the run goes on. Not part of the self-describing suite: without
 * cgroups the child would take the machine's memory.
 */
public final class NativeMemoryHog {
  /** The child's whole memory. */
  public static final long LIMIT = 128L << 20;

  private NativeMemoryHog() {}

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    Pid hog = spawn(NativeMemoryHog::hog, 0, new Resources(LIMIT, 1)).orElseThrow();
    try (Receiver<Integer> fromHog = new Receiver<>(hog)) {
      fromHog.recv();
    } catch (ChannelException e) {
      System.out.println("the hog ended: " + e.reason());
    }
  }

  static void hog(Pid parent, Integer ignored) throws Exception {
    Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
    f.setAccessible(true);
    Object unsafe = f.get(null);
    var allocate = unsafe.getClass().getMethod("allocateMemory", long.class);
    var set = unsafe.getClass().getMethod("setMemory", long.class, long.class, byte.class);
    long chunk = 8L << 20;
    for (long total = chunk; total <= 8 * LIMIT; total += chunk) {
      long address = (long) allocate.invoke(unsafe, chunk);
      set.invoke(unsafe, address, chunk, (byte) 1); // touch every page: charged to the group
    }
    System.out.println("allocated 8 times the limit: nothing limits this process");
  }
}
