package dev.deploy.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fabric that owns a {@code deploy-...} parent cgroup, written into the group's name (cgroupfs
 * holds no files of ours): {@code deploy-<pid>-<start ticks>-<pid namespace>-<boot id>}. The pid
 * alone says nothing on a shared host (another pid namespace, a reused pid); with its start time,
 * its pid namespace and the boot it belongs to, it names one process for good.
 *
 * <p>{@link #provablyGone} is the only way {@link CgroupLimits#cleanStale()} decides a group is
 * stale: a name that does not parse (an older fabric's {@code deploy-<pid>}, someone else's) or an
 * owner of another pid namespace is never removed. Immutable.
 *
 * @param pid the fabric's pid, in its pid namespace
 * @param startTicks when that process started, clock ticks after boot ({@code /proc/<pid>/stat}
 *     field 22); 0 when unknown
 * @param pidNamespace the inode of its pid namespace ({@code /proc/self/ns/pid}); 0 when unknown
 * @param bootId {@code /proc/sys/kernel/random/boot_id} without dashes, lower case; "" when unknown
 */
record CgroupOwner(long pid, long startTicks, long pidNamespace, String bootId) {
  /** The prefix of every parent group. */
  static final String PREFIX = "deploy-";

  private static final Pattern NAME =
      Pattern.compile("deploy-(\\d{1,19})-(\\d{1,19})-(\\d{1,19})-([0-9a-f]{32})");

  private static final Pattern NAMESPACE = Pattern.compile("pid:\\[(\\d+)]");

  /** Returns this JVM as an owner. */
  static CgroupOwner current() {
    return of(ProcessHandle.current().pid());
  }

  /** Returns process {@code pid} of this boot and pid namespace as an owner (start 0 if gone). */
  static CgroupOwner of(long pid) {
    long start = ProcStat.of(pid).map(ProcStat::startTicks).orElse(0L);
    return new CgroupOwner(pid, start, currentPidNamespace(), currentBootId());
  }

  /** Returns the group name that carries this owner. */
  String name() {
    return PREFIX + pid + "-" + startTicks + "-" + pidNamespace + "-" + bootId;
  }

  /** Returns the owner a group's name carries; empty when it is not such a name. */
  static Optional<CgroupOwner> parse(String name) {
    Matcher m = NAME.matcher(name);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new CgroupOwner(
              Long.parseLong(m.group(1)),
              Long.parseLong(m.group(2)),
              Long.parseLong(m.group(3)),
              m.group(4)));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * Returns whether this owner is provably no longer running, as seen by {@code observer} (this
   * JVM): it belonged to another boot, or it is of the observer's pid namespace and its pid runs no
   * more or runs a process that started at another time. {@code startTicksOf} gives the start time
   * of a pid running now, or empty.
   */
  boolean provablyGone(CgroupOwner observer, LongFunction<OptionalLong> startTicksOf) {
    if (!bootId.isEmpty() && !observer.bootId.isEmpty() && !bootId.equals(observer.bootId)) {
      return true;
    }
    if (!bootId.equals(observer.bootId)
        || pidNamespace == 0
        || pidNamespace != observer.pidNamespace) {
      return false; // another pid namespace's pid says nothing here
    }
    OptionalLong started = startTicksOf.apply(pid);
    return started.isEmpty() || started.getAsLong() != startTicks;
  }

  /** Returns the start time of {@code pid} from {@code /proc}, or empty when it does not run. */
  static OptionalLong startTicksOf(long pid) {
    Optional<ProcStat> stat = ProcStat.of(pid);
    return stat.isPresent() ? OptionalLong.of(stat.get().startTicks()) : OptionalLong.empty();
  }

  /** Returns this boot's id, dashes dropped, or "" when unreadable. */
  static String currentBootId() {
    String id = read(Path.of("/proc/sys/kernel/random/boot_id")).replace("-", "");
    return id.toLowerCase(Locale.ROOT).matches("[0-9a-f]{32}") ? id.toLowerCase(Locale.ROOT) : "";
  }

  /** Returns the inode of this process's pid namespace, or 0 when unreadable. */
  static long currentPidNamespace() {
    try {
      Matcher m =
          NAMESPACE.matcher(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString());
      return m.matches() ? Long.parseLong(m.group(1)) : 0;
    } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
      return 0;
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      return "";
    }
  }
}
