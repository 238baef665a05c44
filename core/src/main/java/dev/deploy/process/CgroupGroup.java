package dev.deploy.process;

import dev.deploy.logging.Loggers;
import dev.deploy.process.CgroupLayout.Version;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;

/**
 * One spawned process's cgroup: a directory per hierarchy (v1: one under {@code memory/} and one
 * under {@code cpu/}; v2: one) with its memory and cpu limits written, made by {@link
 * CgroupLimits#create}.
 *
 * <p>The fabric starts the process through {@link #wrap} (so it is inside before {@code java} runs)
 * or moves it in with {@link #add} right after start, reads {@link #oomKilled()} when it has
 * exited, and calls {@link #close()}, which kills whatever is left and removes the directories.
 * Thread safe: every method only reads or writes kernel files; {@code close} is idempotent. No
 * method throws for what the kernel refuses: {@code add} answers false, {@code close} logs.
 */
public final class CgroupGroup implements AutoCloseable {
  private static final Logger log = Loggers.get(CgroupGroup.class);

  /** How long {@link #close()} waits for killed processes to leave before giving up. */
  private static final long CLOSE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(3);

  /**
   * The exit code of a process the wrapper did not start because it could not put it in its group.
   */
  public static final int NOT_CONFINED_EXIT = 125;

  /** The start of what the wrapper prints on stderr when it cannot put the process in its group. */
  public static final String NOT_CONFINED = "deploy: not started: cannot put pid";

  /**
   * The wrapper {@link #wrap} puts before a command: {@code $1} files to write {@code $$} to, then
   * the command, which replaces the shell (so the pid is the command's). A write that fails ends it
   * with {@link #NOT_CONFINED_EXIT} and a line on stderr saying which file: never unconfined.
   */
  private static final String WRAPPER =
      "n=$1; shift; while [ \"$n\" -gt 0 ]; do"
          + " if ! { echo $$ > \"$1\"; } 2>/dev/null; then"
          + " echo \""
          + NOT_CONFINED
          + " $$ in its cgroup: writing $1 failed\" >&2; exit "
          + NOT_CONFINED_EXIT
          + "; fi;"
          + " shift; n=$((n-1)); done; exec \"$@\"";

  private final Version version;

  /** The group's name (a directory name, sanitised). */
  private final String name;

  /** The group's directory in the memory hierarchy (v2: the group). */
  private final Path memory;

  /** The group's directory in the cpu hierarchy (v2: the same as memory); null: no cpu limit. */
  private final Path cpu;

  /** Set once by close; afterwards the directories are gone. */
  private volatile boolean closed;

  /** What {@link #oomKilled()} answered when the group was closed. */
  private volatile boolean oomKilledAtClose;

  CgroupGroup(Version version, String name, Path memory, Path cpu) {
    this.version = version;
    this.name = name;
    this.memory = memory;
    this.cpu = cpu;
  }

  /** Returns the group's name: the directory name under the fabric's {@code deploy-<pid>}. */
  public String name() {
    return name;
  }

  /** Returns the group's directories: the memory one first, then the cpu one if different. */
  public List<Path> directories() {
    List<Path> dirs = new ArrayList<>(2);
    dirs.add(memory);
    if (cpu != null && !cpu.equals(memory)) {
      dirs.add(cpu);
    }
    return dirs;
  }

  /**
   * Returns {@code command} run through {@code /bin/sh}, which writes its own pid into the group's
   * {@code cgroup.procs} files and then {@code exec}s the command: the process is inside the group
   * before its first instruction, keeps the same pid, and all its memory is charged to the group.
   * If a write fails the command does not run: the shell prints why on stderr and exits with {@link
   * #NOT_CONFINED_EXIT}.
   */
  public List<String> wrap(List<String> command) {
    if (command.isEmpty()) {
      throw new IllegalArgumentException("cgroup " + name + ": cannot wrap an empty command");
    }
    List<Path> dirs = directories();
    List<String> wrapped = new ArrayList<>(command.size() + 5 + dirs.size());
    wrapped.add("/bin/sh");
    wrapped.add("-c");
    wrapped.add(WRAPPER);
    wrapped.add("deploy-cgroup");
    wrapped.add(Integer.toString(dirs.size()));
    for (Path d : dirs) {
      wrapped.add(d.resolve("cgroup.procs").toString());
    }
    wrapped.addAll(command);
    return wrapped;
  }

  /**
   * Moves process {@code pid} (all its threads) into the group, in every hierarchy. Memory it
   * allocated before stays charged where it was, so call this right after start, or better start
   * through {@link #wrap}.
   *
   * @return true when the process is now in the group everywhere; false when the kernel refused
   *     (the process has exited, or no permission), logged with the reason
   */
  public boolean add(long pid) {
    if (closed) {
      log.warn("cgroup {}: cannot add pid {}: the group is closed", name, pid);
      return false;
    }
    boolean all = true;
    for (Path dir : directories()) {
      try {
        write(dir.resolve("cgroup.procs"), Long.toString(pid));
      } catch (IOException e) {
        log.warn("cgroup {}: cannot move pid {} into {}: {}", name, pid, dir, why(e));
        all = false;
      }
    }
    return all;
  }

  /** Returns the pids in the group (in the memory hierarchy); empty once closed. */
  public List<Long> pids() {
    return closed ? List.of() : List.copyOf(pidsIn(memory));
  }

  /** Returns whether process {@code pid} is in the group in every hierarchy. */
  public boolean contains(long pid) {
    if (closed) {
      return false;
    }
    for (Path dir : directories()) {
      if (!pidsIn(dir).contains(pid)) {
        return false;
      }
    }
    return true;
  }

  /** Returns the memory limit the kernel holds, in bytes; -1 when unlimited or unreadable. */
  public long memoryLimit() {
    String file = version == Version.V2 ? "memory.max" : "memory.limit_in_bytes";
    String text = readOrEmpty(memory.resolve(file));
    if (text.isEmpty() || text.equals("max")) {
      return -1;
    }
    long value = Long.parseLong(text);
    return value >= Long.MAX_VALUE - (1L << 20) ? -1 : value; // v1's "unlimited" is ~2^63
  }

  /** Returns the cpu limit the kernel holds, in cores; 0 when there is none or it is unreadable. */
  public double cpuLimit() {
    if (cpu == null) {
      return 0;
    }
    String quota;
    String period;
    if (version == Version.V2) {
      String[] max = readOrEmpty(cpu.resolve("cpu.max")).split(" ");
      quota = max[0];
      period = max.length > 1 ? max[1] : "";
    } else {
      quota = readOrEmpty(cpu.resolve("cpu.cfs_quota_us"));
      period = readOrEmpty(cpu.resolve("cpu.cfs_period_us"));
    }
    if (quota.isEmpty() || quota.equals("max") || quota.startsWith("-") || period.isEmpty()) {
      return 0;
    }
    return Double.parseDouble(quota) / Double.parseDouble(period);
  }

  /**
   * Returns whether the kernel's OOM killer killed a process of this group because the group was
   * over its memory limit. v2: {@code oom_kill} in {@code memory.events}; v1: {@code oom_kill} in
   * {@code memory.oom_control} (kernels since 4.13), else whether the group reached its limit
   * ({@code memory.failcnt} > 0 or {@code memory.max_usage_in_bytes} at the limit), which reclaim
   * may also have absorbed: on such kernels treat it as an OOM kill only together with the process
   * having died of SIGKILL (exit code 137). After {@link #close()} it answers what it read just
   * before the directories went.
   */
  public boolean oomKilled() {
    if (closed) {
      return oomKilledAtClose;
    }
    long kills = oomKills();
    if (kills >= 0) {
      return kills > 0;
    }
    if (version == Version.V2) {
      return false;
    }
    String failcnt = readOrEmpty(memory.resolve("memory.failcnt"));
    String peak = readOrEmpty(memory.resolve("memory.max_usage_in_bytes"));
    long limit = memoryLimit();
    return (!failcnt.isEmpty() && Long.parseLong(failcnt) > 0)
        || (!peak.isEmpty() && limit > 0 && Long.parseLong(peak) >= limit);
  }

  /**
   * Returns how many processes of this group the kernel's OOM killer has killed for the group's
   * memory limit: {@code oom_kill} in v2's {@code memory.events}, or in v1's {@code
   * memory.oom_control} (kernels since 4.13); -1 when the kernel does not count them, the file
   * cannot be read, or the group is closed. A definite count, never a guess: a kill of any process
   * of the group, the process itself or a subprocess it started.
   */
  public long oomKills() {
    if (closed) {
      return -1;
    }
    return version == Version.V2
        ? counter(readOrEmpty(memory.resolve("memory.events")), "oom_kill")
        : counter(readOrEmpty(memory.resolve("memory.oom_control")), "oom_kill");
  }

  /**
   * Kills every process in the group with SIGKILL, including those that left the process's session
   * or process group: v2's {@code cgroup.kill} where the kernel has it (5.14+), and a SIGKILL to
   * every pid in {@code cgroup.procs} in each hierarchy. Does not wait; {@link #close()} does.
   */
  public void kill() {
    if (closed) {
      return;
    }
    long self = ProcessHandle.current().pid();
    for (Path dir : directories()) {
      Path kill = dir.resolve("cgroup.kill");
      if (Files.exists(kill)) {
        try {
          write(kill, "1");
        } catch (IOException e) {
          log.debug("cgroup {}: cgroup.kill refused: {}", dir, why(e));
        }
      }
      for (long pid : pidsIn(dir)) {
        if (pid != self) {
          ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
    }
  }

  /**
   * Kills every process left in the group with SIGKILL, waits for them to leave (at most 3 s), and
   * removes the directories. Idempotent; never throws: what cannot be removed is logged and left
   * for {@link CgroupLimits#cleanStale()}.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      oomKilledAtClose = oomKilled();
      closed = true;
    }
    remove(directories(), System.nanoTime() + CLOSE_TIMEOUT_NANOS);
  }

  @Override
  public String toString() {
    return "cgroup " + name + " " + directories();
  }

  /**
   * Kills the processes in {@code dirs} and removes them, retrying until {@code deadlineNanos}
   * while processes are still leaving. Called by {@link #close()} and for stale groups.
   *
   * @return true when every directory is gone
   */
  static boolean remove(List<Path> dirs, long deadlineNanos) {
    boolean all = true;
    for (Path dir : dirs) {
      all &= remove(dir, deadlineNanos);
    }
    return all;
  }

  private static boolean remove(Path dir, long deadlineNanos) {
    Path kill = dir.resolve("cgroup.kill"); // v2, Linux 5.14+: kills forks in flight too
    if (Files.exists(kill)) {
      try {
        write(kill, "1");
      } catch (IOException e) {
        log.debug("cgroup {}: cgroup.kill refused: {}", dir, why(e));
      }
    }
    long self = ProcessHandle.current().pid();
    while (true) {
      if (!Files.isDirectory(dir)) {
        return true;
      }
      Set<Long> left = pidsIn(dir);
      for (long pid : left) {
        if (pid != self) {
          ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      if (left.isEmpty()) {
        try {
          Files.delete(dir); // rmdir(2): the kernel drops the group's files with it
          return true;
        } catch (NoSuchFileException e) {
          return true;
        } catch (DirectoryNotEmptyException e) {
          log.warn("cgroup {} cannot be removed: it still has child groups", dir);
          return false;
        } catch (IOException e) {
          if (System.nanoTime() - deadlineNanos > 0) {
            log.warn("cgroup {} cannot be removed: {}", dir, why(e));
            return false;
          }
        }
      } else if (System.nanoTime() - deadlineNanos > 0) {
        log.warn("cgroup {} cannot be removed: pids {} did not die of SIGKILL", dir, left);
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  /** Returns the pids listed in {@code dir/cgroup.procs}; empty when it cannot be read. */
  static Set<Long> pidsIn(Path dir) {
    Set<Long> pids = new LinkedHashSet<>();
    for (String line : readOrEmpty(dir.resolve("cgroup.procs")).split("\n")) {
      if (!line.isBlank()) {
        pids.add(Long.parseLong(line.trim()));
      }
    }
    return pids;
  }

  /** Writes {@code value} to a cgroup file in one write(2), as {@code echo value > file} does. */
  static void write(Path file, String value) throws IOException {
    Files.write(file, value.getBytes(StandardCharsets.US_ASCII));
  }

  /** Returns the trimmed content of a cgroup file, or "" when it cannot be read. */
  static String readOrEmpty(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * Returns what the kernel said, as a reader wants it: {@code permission denied}, {@code Device or
   * resource busy}, {@code No such process}, rather than the bare path Java puts in the message.
   */
  static String why(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  /** Returns the value of {@code key} in a flat-keyed file ("key value" lines), or -1. */
  static long counter(String text, String key) {
    for (String line : text.split("\n")) {
      String[] kv = line.trim().split("\\s+");
      if (kv.length == 2 && kv[0].equals(key)) {
        return Long.parseLong(kv[1]);
      }
    }
    return -1;
  }
}
