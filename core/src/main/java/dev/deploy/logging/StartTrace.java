package dev.deploy.logging;

import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Timestamps of a run's first second and its end, for the breakdown in docs/startup.md: off unless
 * {@code DEPLOY_TRACE_START} names a file. Every JVM of the run (they inherit the variable) appends
 * one line per mark to that file: microseconds since the epoch, the OS pid, the thread and what
 * happened, for example {@code 1765137600123456 4242 main fabric: forked launch 3}. The first mark
 * of a JVM is preceded by one for the JVM's own start ({@code jvm start}), from its uptime. Each
 * line is one {@code write} to a file opened for appending, so the JVMs' lines do not mix.
 *
 * <p>Thread safe. When off, a mark costs a static field read.
 */
public final class StartTrace {
  /** The variable that names the trace file. */
  public static final String VARIABLE = "DEPLOY_TRACE_START";

  private static final String FILE = System.getenv(VARIABLE);
  private static final ReentrantLock lock = new ReentrantLock();

  /** The trace file once the first mark opened it; guarded by {@link #lock}. */
  private static FileOutputStream out;

  private StartTrace() {}

  /** Returns whether marks are written. */
  public static boolean on() {
    return FILE != null && !FILE.isEmpty();
  }

  /** Appends {@code what} with the time, pid and thread, when the trace is on. */
  public static void mark(String what) {
    if (!on()) {
      return;
    }
    Instant now = Instant.now();
    long micros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    lock.lock();
    try {
      try {
        if (out == null) {
          out = new FileOutputStream(FILE, true);
          long uptime = ManagementFactory.getRuntimeMXBean().getUptime();
          write(line(micros - uptime * 1000, "jvm start"));
        }
        write(line(micros, what));
      } catch (IOException e) {
        // Only a trace.
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Like {@link #mark}, with this JVM's CPU time so far (all its threads, user and system, from
   * {@code /proc/self/stat} in 10 ms ticks) appended as {@code ", cpu <ms> ms"}; without it where
   * that file cannot be read.
   */
  public static void markCpu(String what) {
    if (on()) {
      long cpu = cpuMillis();
      long thread = ticksMillis(java.nio.file.Path.of("/proc/thread-self/stat"));
      mark(cpu < 0 ? what : what + ", cpu " + cpu + " ms, this thread " + thread + " ms");
    }
  }

  /**
   * Like {@link #markCpu}, with each thread's CPU time appended (from {@code
   * /proc/self/task/<tid>/stat}, threads of one name summed, the busiest first): where a process's
   * CPU went, for the JVM's own threads (compilers, GC) as much as the runtime's.
   */
  public static void markThreads(String what) {
    if (!on()) {
      return;
    }
    java.util.Map<String, Long> byName = new java.util.TreeMap<>();
    try (java.nio.file.DirectoryStream<java.nio.file.Path> tasks =
        java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc/self/task"))) {
      for (java.nio.file.Path task : tasks) {
        long ms = ticksMillis(task.resolve("stat"));
        if (ms > 0) {
          byName.merge(threadName(task.resolve("stat")), ms, Long::sum);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Only the process's total, then.
    }
    StringBuilder b = new StringBuilder(what);
    for (java.util.Map.Entry<String, Long> e : byName.entrySet()) {
      b.append("; ").append(e.getKey()).append(' ').append(e.getValue());
    }
    markCpu(b.toString());
  }

  /** Returns the name in a {@code stat} file with digits at its end dropped, or "?". */
  private static String threadName(java.nio.file.Path stat) {
    try {
      String s = java.nio.file.Files.readString(stat);
      String name = s.substring(s.indexOf('(') + 1, s.lastIndexOf(')'));
      int end = name.length();
      while (end > 0 && Character.isDigit(name.charAt(end - 1))) {
        end--;
      }
      return name.substring(0, end);
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /** Returns the user + system time a {@code stat} file of /proc holds, in ms, or -1. */
  private static long ticksMillis(java.nio.file.Path stat) {
    try {
      String s = java.nio.file.Files.readString(stat);
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Returns this JVM's CPU time in milliseconds, or -1 when unknown. */
  static long cpuMillis() {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
      // Fields after the command (which may hold spaces): state is field 3, utime 14, stime 15.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Returns the line a mark writes: time in microseconds, pid, thread and {@code what}. */
  static String line(long micros, String what) {
    return micros
        + " "
        + ProcessHandle.current().pid()
        + " "
        + Thread.currentThread().getName()
        + " "
        + what
        + "\n";
  }

  private static void write(String line) throws IOException {
    out.write(line.getBytes(StandardCharsets.UTF_8));
  }
}
