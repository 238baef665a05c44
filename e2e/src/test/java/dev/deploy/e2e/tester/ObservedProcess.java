package dev.deploy.e2e.tester;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One process as the bridge's JSON events showed it: its pid and parent, every byte it wrote to
 * stdout and stderr, whether each reached its end, how it ended, its children, and when (the index
 * of the event line) it was spawned and ended.
 *
 * <p>Built by {@link ProcessTree} on the thread that reads the bridge's stdout; read by matchers
 * and checks once the run is over (the reader thread was joined, which orders the reads after the
 * writes). Not thread safe.
 */
public final class ObservedProcess {
  private final String pid;
  private final ObservedProcess parent;
  private final long spawnIndex;
  private final List<ObservedProcess> children = new ArrayList<>();
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

  /** Whether fd 1, fd 2 sent their eof; index 0 unused. */
  private final boolean[] eof = new boolean[3];

  /** Null until the exit event. */
  private Outcome outcome;

  /** The exit event's line index, -1 before it. */
  private long exitIndex = -1;

  /** The exit event's {@code "reason"} ({@code memory-limit}), null when it has none. */
  private String exitReason;

  ObservedProcess(String pid, ObservedProcess parent, long spawnIndex) {
    this.pid = pid;
    this.parent = parent;
    this.spawnIndex = spawnIndex;
  }

  // ----- for ProcessTree

  void addChild(ObservedProcess child) {
    children.add(child);
  }

  void append(int fd, byte[] data) {
    (fd == 1 ? stdout : stderr).write(data, 0, data.length);
  }

  void setEof(int fd) {
    eof[fd] = true;
  }

  void setOutcome(Outcome outcome, long index) {
    this.outcome = outcome;
    this.exitIndex = index;
  }

  void setExitReason(String reason) {
    this.exitReason = reason;
  }

  // ----- for matchers and checks

  /**
   * The exit event's {@code "reason"}: {@code memory-limit} for a process the kernel killed for its
   * memory limit; null when the event has none or has not come.
   */
  public String exitReason() {
    return exitReason;
  }

  /** The 7-hex-digit pid the events name. */
  public String pid() {
    return pid;
  }

  /** The parent's pid, null for the root. */
  public String parentPid() {
    return parent == null ? null : parent.pid;
  }

  /** The parent, null for the root. */
  public ObservedProcess parent() {
    return parent;
  }

  /** The processes this one spawned, in the order of their spawn events. */
  public List<ObservedProcess> children() {
    return Collections.unmodifiableList(children);
  }

  /** Every byte written to stdout, in order (a copy). */
  public byte[] stdout() {
    return stdout.toByteArray();
  }

  /** Every byte written to stderr, in order (a copy). */
  public byte[] stderr() {
    return stderr.toByteArray();
  }

  /** Stdout decoded as UTF-8. */
  public String stdoutText() {
    return stdout.toString(StandardCharsets.UTF_8);
  }

  /** Stderr decoded as UTF-8. */
  public String stderrText() {
    return stderr.toString(StandardCharsets.UTF_8);
  }

  /** How many bytes went to stdout. */
  public long stdoutSize() {
    return stdout.size();
  }

  /** Whether fd (1 or 2) sent its eof. */
  public boolean eof(int fd) {
    return eof[fd];
  }

  /** How it ended; null if no exit event came. */
  public Outcome outcome() {
    return outcome;
  }

  /** Index (0-based line number) of its spawn event. */
  public long spawnIndex() {
    return spawnIndex;
  }

  /** Index of its exit event, -1 if none came. */
  public long exitIndex() {
    return exitIndex;
  }

  /**
   * The most children alive at the same time, by the event order: a child is alive from its spawn
   * event to its exit event (or to the end of the run without one).
   */
  public int maxChildrenAliveAtOnce() {
    List<long[]> marks = new ArrayList<>();
    for (ObservedProcess child : children) {
      marks.add(new long[] {child.spawnIndex, +1});
      marks.add(new long[] {child.exitIndex < 0 ? Long.MAX_VALUE : child.exitIndex, -1});
    }
    marks.sort((a, b) -> Long.compare(a[0], b[0]));
    int alive = 0;
    int most = 0;
    for (long[] mark : marks) {
      alive += (int) mark[1];
      most = Math.max(most, alive);
    }
    return most;
  }

  /** The first child whose stdout is exactly {@code text}, or null. */
  public ObservedProcess childWithStdout(String text) {
    for (ObservedProcess child : children) {
      if (child.stdoutText().equals(text)) {
        return child;
      }
    }
    return null;
  }

  /** {@code 3fecd01 (exit 0)}. */
  @Override
  public String toString() {
    return pid + " (" + (outcome == null ? "no exit yet" : outcome) + ")";
  }
}
