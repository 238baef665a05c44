package dev.deploy.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What Linux's {@code /proc/<pid>/stat} says about a process that the fence needs: its process
 * group, its session and its start time (clock ticks after boot, field 22), which with the pid
 * names one process for good (a pid is reused, a pid with its start time is not). Immutable; the
 * static readers touch only {@code /proc} and are thread safe.
 *
 * @param pid the process
 * @param group its process group id (field 5)
 * @param session its session id (field 6)
 * @param startTicks when it started, in clock ticks after boot (field 22)
 */
record ProcStat(long pid, long group, long session, long startTicks) {
  private static final Path PROC = Path.of("/proc");

  /**
   * Parses the text of {@code /proc/<pid>/stat}. The command name (field 2) is in parentheses and
   * may hold spaces and parentheses itself: the fields after it start after the last {@code ')'}.
   *
   * @throws IllegalArgumentException when the text is not a stat line
   */
  static ProcStat parse(String text) {
    int open = text.indexOf('(');
    int close = text.lastIndexOf(')');
    if (open < 1 || close < open) {
      throw new IllegalArgumentException("not a /proc/<pid>/stat line: \"" + text.strip() + "\"");
    }
    String[] f = text.substring(close + 2).strip().split(" ");
    if (f.length < 20) {
      throw new IllegalArgumentException(
          "a /proc/<pid>/stat line with " + (f.length + 2) + " fields, not 22 or more");
    }
    // f[0] is field 3 (state): field n is f[n - 3].
    return new ProcStat(
        Long.parseLong(text.substring(0, open).strip()),
        Long.parseLong(f[2]),
        Long.parseLong(f[3]),
        Long.parseLong(f[19]));
  }

  /** Returns what {@code /proc/<pid>/stat} says now; empty when no such process runs here. */
  static Optional<ProcStat> of(long pid) {
    try {
      return Optional.of(
          parse(Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), ASCII)));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Returns every process of process group {@code group} in session {@code session} now. */
  static List<Long> members(long group, long session) {
    List<Long> found = new ArrayList<>();
    try (DirectoryStream<Path> all = Files.newDirectoryStream(PROC)) {
      for (Path p : all) {
        String name = p.getFileName().toString();
        if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
          continue;
        }
        long pid;
        try {
          pid = Long.parseLong(name);
        } catch (NumberFormatException e) {
          continue;
        }
        of(pid)
            .filter(s -> s.group() == group && s.session() == session)
            .ifPresent(s -> found.add(s.pid()));
      }
    } catch (IOException e) {
      // No /proc: not Linux; the caller kills what it knows otherwise.
    }
    return found;
  }

  private static final java.nio.charset.Charset ASCII = StandardCharsets.US_ASCII;
}
