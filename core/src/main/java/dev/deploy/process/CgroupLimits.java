package dev.deploy.process;

import dev.deploy.Resources;
import dev.deploy.logging.Loggers;
import dev.deploy.process.CgroupLayout.Unavailable;
import dev.deploy.process.CgroupLayout.Version;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * The operating-system half of a process's {@link Resources}: a cgroup per spawned JVM, with the
 * process's whole memory as a hard limit and its cpu as a quota, made "where the machine lets it".
 * The fabric calls {@link #detect()} once at start (and {@link #cleanStale()}), then {@link
 * #create} per launch from its launch threads; thread safe.
 *
 * <p><b>Where the groups go.</b> Under the fabric's <em>own</em> cgroup (read from {@code
 * /proc/self/cgroup} and {@code /proc/self/mountinfo}), in a parent named for its fabric ({@link
 * CgroupOwner}: {@code deploy-<pid>-<start ticks>-<pid namespace>-<boot id>}): {@code <own
 * group>/deploy-.../<name>}. A crashed fabric's parent is recognised by its name: same boot, same
 * pid namespace, and that pid no longer runs the process that started then (or another boot); it is
 * removed by {@link #cleanStale()}, killing what was left in it. Any other {@code deploy-*} group
 * (another pid namespace's fabric on a shared host, an older fabric's {@code deploy-<pid>}) is left
 * alone.
 *
 * <p><b>cgroup v1</b> (separate hierarchies, e.g. {@code /sys/fs/cgroup/memory}, {@code
 * /sys/fs/cgroup/cpu}; also "hybrid" machines that mount an empty cgroup2 at {@code
 * /sys/fs/cgroup/unified}): {@code memory.limit_in_bytes} (and {@code memory.memsw.limit_in_bytes}
 * to the same value when swap accounting exists), {@code cpu.cfs_quota_us} over a {@code
 * cpu.cfs_period_us} of 100 ms. No cpu hierarchy, or none we may write: memory only.
 *
 * <p><b>cgroup v2</b> (unified): {@code memory.max}, {@code memory.swap.max} 0, {@code
 * memory.oom.group} 1, {@code cpu.max "quota 100000"}. The controllers must be enabled in {@code
 * cgroup.subtree_control} of the fabric's group and of {@code deploy-...}; detection enables them.
 * The "no internal processes" rule forbids that while the fabric's group has processes; when the
 * only one is the fabric itself, it moves itself into the leaf {@code deploy-.../fabric} first;
 * when there are others, detection reports it (run the fabric in its own group: {@code systemd-run
 * --scope -p Delegate=yes}, or a service with {@code Delegate=yes}).
 *
 * <p><b>Best effort</b> means: {@link #detect()} is empty, with {@link #unavailableReason()}, when
 * this is not Linux, no cgroup memory controller is mounted, the hierarchy is read-only or out of
 * our cgroup namespace, or we may not create groups; {@link #create} is empty (logged) when a group
 * or its memory limit cannot be made, and gives a memory-only group when the cpu limit cannot be
 * set. Nothing here throws for "not permitted". Processes then run with their JVM flags only
 * ({@code -Xmx}, {@code -XX:ActiveProcessorCount}).
 */
public final class CgroupLimits {
  private static final Logger log = Loggers.get(CgroupLimits.class);

  /** The prefix of a fabric's parent group; its {@link CgroupOwner} follows. */
  static final String PARENT_PREFIX = CgroupOwner.PREFIX;

  /** The v2 leaf a fabric moves itself into when its own group must have no processes. */
  static final String SELF_LEAF = "fabric";

  /** The cpu period, in microseconds: the kernel default. */
  static final long PERIOD_MICROS = 100_000;

  /** The least quota the kernel takes, in microseconds. */
  private static final long MIN_QUOTA_MICROS = 1_000;

  /** The most groups of one name: {@code name}, {@code name-2} … {@code name-1000}. */
  private static final int MAX_SUFFIX = 1000;

  private static final Set<String> RESERVED =
      Set.of("tasks", "notify_on_release", "release_agent", SELF_LEAF);

  private static final Object LOCK = new Object();

  /** What {@link #detect()} found; null until it first runs. Guarded by LOCK. */
  private static Optional<CgroupLimits> detected;

  /** Why detection found nothing usable; "" when it did. Guarded by LOCK. */
  private static String reason = "not detected yet: call CgroupLimits.detect()";

  private final CgroupLayout layout;

  /** The fabric whose parent groups these are; in their name. */
  private final CgroupOwner owner;

  /** {@code <own memory group>/deploy-...} (v2: the one parent). */
  private final Path memoryParent;

  /** {@code <own cpu group>/deploy-...}; null when cpu cannot be limited. */
  private final Path cpuParent;

  private CgroupLimits(CgroupLayout layout, CgroupOwner owner, Path memoryParent, Path cpuParent) {
    this.layout = layout;
    this.owner = owner;
    this.memoryParent = memoryParent;
    this.cpuParent = cpuParent;
  }

  /**
   * Finds this process's cgroups and prepares its parent group; the first call decides, later ones
   * return the same answer. Empty when the machine does not let us; then {@link
   * #unavailableReason()} says why.
   */
  public static Optional<CgroupLimits> detect() {
    return detect(true);
  }

  /**
   * As {@link #detect()}, saying whether this JVM may move itself into a leaf group to obey cgroup
   * v2's "no internal processes" rule: a fabric daemon may; a local run (the JVM the user started)
   * may not, and then a v2 group that holds it gives no cgroups, with the reason. The first call in
   * a JVM decides, whatever later calls ask.
   */
  public static Optional<CgroupLimits> detect(boolean mayMoveThisJvm) {
    synchronized (LOCK) {
      if (detected == null) {
        try {
          CgroupLimits limits = probe(mayMoveThisJvm);
          reason = "";
          detected = Optional.of(limits);
          Runtime.getRuntime()
              .addShutdownHook(new Thread(limits::removeEmpty, "deploy-cgroup-cleanup"));
          log.debug("cgroup limits: {}", limits);
        } catch (Unavailable e) {
          reason = e.getMessage();
          detected = Optional.empty();
          log.info("no cgroup limits for processes (JVM flags only): {}", reason);
        }
      }
      return detected;
    }
  }

  /**
   * Returns what {@link #detect()} found if something in this JVM called it (a fabric that limits
   * with cgroups), else empty; never probes the machine itself.
   */
  public static Optional<CgroupLimits> detected() {
    synchronized (LOCK) {
      return detected == null ? Optional.empty() : detected;
    }
  }

  /** Returns why {@link #detect()} is empty; "" when it is not. */
  public static String unavailableReason() {
    synchronized (LOCK) {
      return reason;
    }
  }

  /**
   * Removes the {@code deploy-...} groups beside ours whose fabric is provably gone ({@link
   * CgroupOwner#provablyGone}), killing (SIGKILL) the processes a crashed fabric left in them. Does
   * nothing when {@link #detect()} is empty.
   *
   * @return how many stale parent groups were removed
   */
  public static int cleanStale() {
    return detect().map(CgroupLimits::removeStale).orElse(0);
  }

  /** Returns {@code create(name, resources.memory(), resources.cpu())}. */
  public Optional<CgroupGroup> create(String name, Resources resources) {
    return create(name, resources.memory(), resources.cpu());
  }

  /**
   * Makes a group for one process: {@code name} sanitised (and suffixed {@code -2}, {@code -3} … if
   * taken), {@code memoryBytes} as the hard limit of its whole memory, {@code cpu} cores as a quota
   * per 100 ms period (none when 0).
   *
   * @return the group; empty when the kernel refused the group or its memory limit (logged)
   * @throws IllegalArgumentException when {@code memoryBytes} is not positive or {@code cpu} is
   *     negative, NaN or infinite
   */
  public Optional<CgroupGroup> create(String name, long memoryBytes, double cpu) {
    if (memoryBytes <= 0) {
      throw new IllegalArgumentException(
          "cgroup " + name + ": memory " + memoryBytes + " B is not a limit");
    }
    if (Double.isNaN(cpu) || Double.isInfinite(cpu) || cpu < 0) {
      throw new IllegalArgumentException(
          "cgroup " + name + ": cpu " + cpu + " is not a number of cores");
    }
    if (exiting) {
      log.debug("cgroup {}: not made, this JVM is exiting", name);
      return Optional.empty();
    }
    String base = sanitise(name);
    Path memoryDir = null;
    String chosen = base;
    for (int i = 1; memoryDir == null; i++) {
      if (i > MAX_SUFFIX) {
        log.warn(
            "cgroup {}: {} to {}-{} are all taken in {}", name, base, base, i - 1, memoryParent);
        return Optional.empty();
      }
      chosen = i == 1 ? base : base + "-" + i;
      try {
        memoryDir = Files.createDirectory(memoryParent.resolve(chosen));
      } catch (FileAlreadyExistsException e) {
        // taken: try the next suffix
      } catch (IOException e) {
        warnUnlessExiting(
            "cgroup {}: cannot create {}: {}",
            name,
            memoryParent.resolve(chosen),
            CgroupGroup.why(e));
        return Optional.empty();
      }
    }
    Path cpuDir = cpu > 0 ? cpuDirectory(chosen, memoryDir) : null;
    CgroupGroup group = new CgroupGroup(layout.version(), chosen, memoryDir, cpuDir);
    try {
      limitMemory(memoryDir, memoryBytes);
    } catch (IOException e) {
      warnUnlessExiting(
          "cgroup {}: cannot set memory limit {} B in {}: {}",
          chosen,
          memoryBytes,
          memoryDir,
          CgroupGroup.why(e));
      group.close();
      return Optional.empty();
    }
    if (cpuDir != null) {
      try {
        limitCpu(cpuDir, cpu);
      } catch (IOException e) {
        log.warn(
            "cgroup {}: cannot set cpu limit {} in {}: {}; memory only",
            chosen,
            cpu,
            cpuDir,
            CgroupGroup.why(e));
        if (!cpuDir.equals(memoryDir)) {
          CgroupGroup.remove(List.of(cpuDir), System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
        }
        group = new CgroupGroup(layout.version(), chosen, memoryDir, null);
      }
    }
    return Optional.of(group);
  }

  /** Returns the fabric's parent groups: {@code deploy-...} in each hierarchy. */
  public List<Path> parents() {
    List<Path> parents = new ArrayList<>(2);
    parents.add(memoryParent);
    if (cpuParent != null && !cpuParent.equals(memoryParent)) {
      parents.add(cpuParent);
    }
    return parents;
  }

  /** Returns where this fabric's own groups are; for tests that make a second fabric's parent. */
  CgroupLayout layout() {
    return layout;
  }

  /** Returns whether groups get a cpu limit as well as a memory limit. */
  public boolean limitsCpu() {
    return cpuParent != null;
  }

  @Override
  public String toString() {
    return (layout.version() == Version.V2 ? "cgroup v2: " : "cgroup v1: ")
        + "memory under "
        + memoryParent
        + (cpuParent == null ? ", no cpu limit" : ", cpu under " + cpuParent);
  }

  /** Returns {@code open(layout, CgroupOwner.of(fabricPid))}: a fabric of this boot. */
  static CgroupLimits open(CgroupLayout layout, long fabricPid) throws Unavailable {
    return open(layout, CgroupOwner.of(fabricPid));
  }

  /**
   * Prepares the parents of fabric {@code owner} in {@code layout}: creates {@code deploy-...} (its
   * {@link CgroupOwner#name()}) and, for v2, enables the memory and cpu controllers down to it.
   * Used by {@link #detect()} and by tests with a pretend owner or a directory tree standing for
   * cgroupfs.
   *
   * @throws Unavailable naming the directory and what the kernel said
   */
  static CgroupLimits open(CgroupLayout layout, CgroupOwner owner) throws Unavailable {
    return open(layout, owner, true);
  }

  /**
   * As {@link #open(CgroupLayout, CgroupOwner)}; {@code mayMoveSelf} false forbids moving this JVM
   * into a v2 leaf ({@link CgroupDelegation#prepare(Path, Path, long, boolean)}).
   */
  static CgroupLimits open(CgroupLayout layout, CgroupOwner owner, boolean mayMoveSelf)
      throws Unavailable {
    String parentName = owner.name();
    if (layout.version() == Version.V1) {
      Path memoryParent = makeParent(layout.memory().resolve(parentName));
      if (!Files.exists(memoryParent.resolve("memory.limit_in_bytes"))) {
        throw new Unavailable(memoryParent + " has no memory.limit_in_bytes: not a memory cgroup");
      }
      Path cpuParent = null;
      if (layout.cpu().isPresent()) {
        try {
          cpuParent = makeParent(layout.cpu().get().resolve(parentName));
        } catch (Unavailable e) {
          log.info("cgroup limits without cpu: {}", e.getMessage());
        }
      }
      return new CgroupLimits(layout, owner, memoryParent, cpuParent);
    }
    Path own = layout.memory();
    if (own.endsWith(Path.of(parentName, SELF_LEAF))) {
      own = own.getParent().getParent(); // we moved ourselves earlier: our group is above
    }
    Path parent = own.resolve(parentName);
    Set<String> enabled = CgroupDelegation.prepare(own, parent, owner.pid(), mayMoveSelf);
    return new CgroupLimits(layout, owner, parent, enabled.contains("cpu") ? parent : null);
  }

  /**
   * Returns {@code name} as a directory name safe in every hierarchy: letters, digits, {@code _}
   * and {@code -} kept, anything else (dots too, which the kernel's own files have) becomes {@code
   * _}; at most 64 characters; never empty or a name the kernel or we use.
   */
  static String sanitise(String name) {
    String s = name == null ? "" : name;
    StringBuilder b = new StringBuilder(Math.min(s.length(), 64));
    for (int i = 0; i < s.length() && b.length() < 64; i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '-';
      b.append(ok ? c : '_');
    }
    String out = b.toString();
    if (out.isEmpty() || RESERVED.contains(out.toLowerCase(Locale.ROOT))) {
      out = "_" + out;
    }
    return out;
  }

  /** Removes the parents of fabrics that are gone, with their groups; see {@link #cleanStale}. */
  int removeStale() {
    return removeStale(CgroupOwner::startTicksOf);
  }

  /**
   * Removes the parents beside ours whose owner is provably gone, {@code startTicksOf} telling the
   * start time of a running pid (tests fake it).
   */
  int removeStale(java.util.function.LongFunction<java.util.OptionalLong> startTicksOf) {
    Set<Path> owns = new LinkedHashSet<>();
    for (Path p : parents()) {
      owns.add(p.getParent());
    }
    int removed = 0;
    for (Path own : owns) {
      try (DirectoryStream<Path> children = Files.newDirectoryStream(own, PARENT_PREFIX + "*")) {
        for (Path child : children) {
          Optional<CgroupOwner> of = CgroupOwner.parse(child.getFileName().toString());
          if (of.isEmpty() || !Files.isDirectory(child)) {
            log.debug("left cgroup {} alone: not provably a deploy fabric's of this host", child);
            continue;
          }
          CgroupOwner gone = of.get();
          if (gone.equals(owner) || !gone.provablyGone(owner, startTicksOf)) {
            continue;
          }
          if (removeTree(child, System.nanoTime() + TimeUnit.SECONDS.toNanos(3))) {
            log.info("removed cgroup {} of fabric pid {}, which is gone", child, gone.pid());
            removed++;
          }
        }
      } catch (IOException e) {
        log.warn("cannot look for stale cgroups in {}: {}", own, CgroupGroup.why(e));
      }
    }
    return removed;
  }

  /**
   * Set when this JVM's exit began removing the groups: a group made from then on (a pool refill
   * racing the run's end) would be made in a parent being removed, which is no fault to report.
   */
  private volatile boolean exiting;

  /** A failure to make a group: a warning, or only a debug line once this JVM's exit began. */
  private void warnUnlessExiting(String format, Object... args) {
    if (exiting) {
      log.debug("(exiting) " + format, args);
    } else {
      log.warn(format, args);
    }
  }

  /**
   * Removes empty groups and the parents at JVM exit (a shutdown hook; package-private for tests);
   * leaves any that still hold processes.
   */
  void removeEmpty() {
    exiting = true;
    dev.deploy.logging.StartTrace.mark("cgroups: clean-up");
    for (Path parent : parents()) {
      try (DirectoryStream<Path> groups = Files.newDirectoryStream(parent, Files::isDirectory)) {
        for (Path g : groups) {
          if (CgroupGroup.pidsIn(g).isEmpty()) {
            Files.deleteIfExists(g);
          }
        }
        Files.deleteIfExists(parent);
      } catch (IOException e) {
        // a group still busy, or our own v2 leaf: cleanStale of the next fabric takes it
      }
    }
    dev.deploy.logging.StartTrace.mark("cgroups: cleaned");
  }

  /** Removes {@code dir}'s child groups, then {@code dir}, killing their processes. */
  private static boolean removeTree(Path dir, long deadlineNanos) {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
      s.forEach(children::add);
    } catch (IOException e) {
      return false;
    }
    boolean all = true;
    for (Path c : children) {
      all &= removeTree(c, deadlineNanos);
    }
    return all && CgroupGroup.remove(List.of(dir), deadlineNanos);
  }

  /** Returns the group's directory in the cpu hierarchy (v2: the group), or null if none. */
  private Path cpuDirectory(String name, Path memoryDir) {
    if (cpuParent == null) {
      return null;
    }
    if (layout.version() == Version.V2) {
      return memoryDir;
    }
    Path dir = cpuParent.resolve(name);
    try {
      return Files.createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      return dir; // left by a group of the same name whose rmdir failed: reuse it
    } catch (IOException e) {
      warnUnlessExiting(
          "cgroup {}: cannot create {}: {}; memory only", name, dir, CgroupGroup.why(e));
      return null;
    }
  }

  private void limitMemory(Path dir, long bytes) throws IOException {
    String value = Long.toString(bytes);
    if (layout.version() == Version.V2) {
      CgroupGroup.write(dir.resolve("memory.max"), value);
      writeIfPresent(dir.resolve("memory.swap.max"), "0");
      writeIfPresent(dir.resolve("memory.oom.group"), "1");
    } else {
      CgroupGroup.write(dir.resolve("memory.limit_in_bytes"), value);
      writeIfPresent(dir.resolve("memory.memsw.limit_in_bytes"), value);
    }
  }

  private void limitCpu(Path dir, double cores) throws IOException {
    long quota = Math.max(MIN_QUOTA_MICROS, Math.round(cores * PERIOD_MICROS));
    if (layout.version() == Version.V2) {
      CgroupGroup.write(dir.resolve("cpu.max"), quota + " " + PERIOD_MICROS);
    } else {
      CgroupGroup.write(dir.resolve("cpu.cfs_period_us"), Long.toString(PERIOD_MICROS));
      CgroupGroup.write(dir.resolve("cpu.cfs_quota_us"), Long.toString(quota));
    }
  }

  /** Writes an optional file (swap accounting, OOM grouping); the kernel may not have it. */
  private static void writeIfPresent(Path file, String value) {
    if (Files.exists(file)) {
      try {
        CgroupGroup.write(file, value);
      } catch (IOException e) {
        log.debug("cgroup: {} refused {}: {}", file, value, CgroupGroup.why(e));
      }
    }
  }

  /**
   * Creates the group directory {@code parent} unless it exists: a {@code deploy-...} parent, or
   * the v2 leaf the fabric moves into.
   *
   * @throws Unavailable naming the directory and what the kernel said
   */
  static Path makeParent(Path parent) throws Unavailable {
    try {
      Files.createDirectory(parent);
    } catch (FileAlreadyExistsException e) {
      // ours from an earlier detection in this JVM
    } catch (IOException e) {
      throw new Unavailable("cannot create cgroup " + parent + ": " + CgroupGroup.why(e));
    }
    return parent;
  }

  private static CgroupLimits probe(boolean mayMoveSelf) throws Unavailable {
    String os = System.getProperty("os.name", "");
    if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
      throw new Unavailable("cgroups are Linux only and this is " + os);
    }
    String cgroups;
    String mountinfo;
    try {
      cgroups = Files.readString(Path.of("/proc/self/cgroup"));
      mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
    } catch (IOException e) {
      throw new Unavailable("cannot read /proc/self/cgroup or /proc/self/mountinfo: " + e);
    }
    return open(CgroupLayout.resolve(cgroups, mountinfo), CgroupOwner.current(), mayMoveSelf);
  }
}
