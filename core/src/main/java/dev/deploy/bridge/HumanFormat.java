package dev.deploy.bridge;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.deploy.Pid;
import dev.deploy.Resources;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * docs/api.md's human format: output grouped under a {@code <pid>:} header, every line indented by
 * four spaces, and lifecycle events as indented lines. For example, with stderr shown as well:
 *
 * <pre>
 * 3fecd01:
 *     hello from the first process
 *     spawned: 9a1b2c3
 * 9a1b2c3:
 *     hi
 *     exited: 0
 * 3fecd01:
 *     killed: SIGKILL
 * </pre>
 *
 * <p>A process the kernel killed for going over its memory limit (its cgroup) says so: {@code
 * killed: SIGKILL (memory limit 256 MiB)}.
 *
 * <p>Headers, indentation and event lines go to {@code err}; the content of each line, including
 * its {@code '\n'}, goes byte-exact to the stream the process wrote it to (fd 1 to {@code out}, fd
 * 2 to {@code err}), so {@code 2>/dev/null} leaves the programs' stdout. The one exception: a
 * partial line (content without its {@code '\n'} yet) that is interrupted by another process's
 * output, by the other fd of the same process or by an event line is ended with a {@code '\n'} on
 * its own stream; the rest of it comes later as a new, indented line, under a new header if another
 * process printed in between. Chunks are streamed as they come: nothing waits for a line's end, so
 * memory stays bounded whatever the output.
 *
 * <p>When {@code out} and {@code err} reach one place (a terminal, or one file after {@code 2>&1}),
 * the stream written last is flushed before the other one is written, so the order is kept. When
 * they go to different places ({@code onePlace} false), each must read well alone: no indentation
 * or header goes to {@code err} for a line whose content went to {@code out}, so {@code out} holds
 * the programs' stdout bare and {@code err} the headers, event lines and stderr lines, each under
 * the header of its own process; a partial line is then ended only by what comes on its own stream.
 * With {@code colour}, each header is coloured with an ANSI colour picked from the pid (stable for
 * a pid); content is never coloured.
 *
 * <p>Owned by the bridge. Not thread safe: the bridge calls it under its lock, one event at a time,
 * in event order.
 */
public final class HumanFormat implements EventFormat {
  private static final byte[] INDENT = "    ".getBytes(US_ASCII);
  private static final byte[] NEWLINE = {'\n'};
  private static final int BUFFER_SIZE = 1 << 16;

  /** Red, green, yellow, blue, magenta, cyan: readable on dark and light backgrounds. */
  private static final String[] PALETTE = {
    "\u001b[31m", "\u001b[32m", "\u001b[33m", "\u001b[34m", "\u001b[35m", "\u001b[36m",
  };

  private static final String RESET = "\u001b[0m";

  /** Receives only the content of fd 1 lines (plus the '\n' ending an interrupted one). */
  private final BufferedOutputStream out;

  /** Receives everything else; the same object as {@link #out} if built with one stream twice. */
  private final BufferedOutputStream err;

  /** Whether headers are coloured. */
  private final boolean colour;

  /** Where fd 2 lines, headers and event lines are framed. */
  private final Lane errLane;

  /** Where fd 1 lines go: {@link #errLane} itself when both streams reach one place. */
  private final Lane outLane;

  /** The stream written last; the only one that may hold unflushed bytes. Null at first. */
  private BufferedOutputStream current;

  /**
   * Makes a human format.
   *
   * @param out where the programs' stdout goes (the bridge's stdout)
   * @param err where their stderr, the headers and the event lines go (the bridge's stderr)
   * @param colour whether to colour the headers (true only when err is a terminal)
   */
  public HumanFormat(OutputStream out, OutputStream err, boolean colour) {
    this(out, err, colour, true);
  }

  /**
   * Makes a human format.
   *
   * @param out where the programs' stdout goes (the bridge's stdout)
   * @param err where their stderr, the headers and the event lines go (the bridge's stderr)
   * @param colour whether to colour the headers (true only when err is a terminal)
   * @param onePlace whether {@code out} and {@code err} reach one place (see {@link StreamPlaces}):
   *     the merged view; false: each stream readable alone
   */
  public HumanFormat(OutputStream out, OutputStream err, boolean colour, boolean onePlace) {
    this.out = new BufferedOutputStream(out, BUFFER_SIZE);
    this.err = err == out ? this.out : new BufferedOutputStream(err, BUFFER_SIZE);
    this.colour = colour;
    this.errLane = new Lane(true);
    this.outLane = onePlace || err == out ? errLane : new Lane(false);
  }

  /**
   * What one reader sees: the merged view of both streams, or one stream of two apart. Only a
   * framed lane gets headers and indentation.
   */
  private static final class Lane {
    /** Whether lines here get a header per process and an indentation. */
    final boolean framed;

    /** The process whose header was printed last in this lane; null before the first. */
    Pid lastPid;

    /** The process with a partial line open here (content written, no '\n' yet); null if none. */
    Pid openPid;

    /** The fd (1 or 2) of {@link #openPid}'s partial line; meaningless while openPid is null. */
    int openFd;

    Lane(boolean framed) {
      this.framed = framed;
    }
  }

  @Override
  public void write(Event event) throws IOException {
    if (event instanceof Event.Output output) {
      onOutput(output);
    } else if (event instanceof Event.Spawned spawned) {
      onSpawned(spawned);
    } else if (event instanceof Event.Exit exit) {
      onExit(exit);
    } else if (event instanceof Event.Waiting waiting) {
      eventLine(waiting.pid(), waitLine(waiting));
    } else if (!(event instanceof Event.Eof || event instanceof Event.ChannelStats)) {
      throw new IllegalArgumentException("unknown event " + event);
    }
  }

  @Override
  public void flush() throws IOException {
    out.flush();
    err.flush();
  }

  private void onOutput(Event.Output output) throws IOException {
    Pid pid = output.pid();
    int fd = output.fd();
    BufferedOutputStream target = streamOf(pid, fd);
    Lane lane = fd == 1 ? outLane : errLane;
    byte[] data = output.data();
    int start = 0;
    while (start < data.length) {
      int newline = indexOfNewline(data, start);
      int end = newline < 0 ? data.length : newline + 1;
      if (!pid.equals(lane.openPid) || fd != lane.openFd) {
        startLine(lane, pid);
      }
      emit(target, data, start, end - start);
      lane.openPid = newline < 0 ? pid : null;
      lane.openFd = fd;
      start = end;
    }
  }

  /** The root process (no parent) has no line of its own: its output will print its header. */
  private void onSpawned(Event.Spawned spawned) throws IOException {
    if (spawned.parent() != null) {
      eventLine(spawned.parent(), "spawned: " + spawned.pid());
    }
  }

  private void onExit(Event.Exit exit) throws IOException {
    ExitStatus status = exit.status();
    String text =
        switch (status.kind()) {
          case EXITED -> "exited: " + status.value();
          case KILLED ->
              "killed: "
                  + SignalNames.name(status.value())
                  + (status.byMemoryLimit()
                      ? " (memory limit " + Resources.formatMemory(status.memoryLimit()) + ")"
                      : "");
          case LOST -> "lost";
        };
    eventLine(exit.pid(), text);
  }

  /**
   * Returns {@code waiting for 2 GiB, 1 cpu: no machine has room}, or once placed {@code waited 3.2
   * s for 2 GiB, 1 cpu; starting on <node>}.
   */
  static String waitLine(Event.Waiting waiting) {
    if (waiting.node() == null) {
      return "waiting for " + waiting.what() + ": no machine has room";
    }
    return String.format(
        java.util.Locale.ROOT,
        "waited %.1f s for %s; starting on %s",
        waiting.waitedMillis() / 1000.0,
        waiting.what(),
        waiting.node());
  }

  private BufferedOutputStream streamOf(Pid pid, int fd) {
    return switch (fd) {
      case 1 -> out;
      case 2 -> err;
      default ->
          throw new IllegalArgumentException(
              "output on fd " + fd + " of process " + pid + ": only fd 1 and 2 are captured");
    };
  }

  /** Prints one indented event line under {@code pid}'s header. */
  private void eventLine(Pid pid, String text) throws IOException {
    startLine(errLane, pid);
    byte[] line = (text + "\n").getBytes(UTF_8);
    emit(err, line, 0, line.length);
  }

  /**
   * Ends the lane's open partial line and, in a framed lane, prints {@code pid}'s header unless it
   * was the last one printed there, and the indentation; the line's content comes next.
   */
  private void startLine(Lane lane, Pid pid) throws IOException {
    if (lane.openPid != null) {
      emit(streamOf(lane.openPid, lane.openFd), NEWLINE, 0, 1);
      lane.openPid = null;
    }
    if (!lane.framed) {
      return;
    }
    if (!pid.equals(lane.lastPid)) {
      byte[] header = header(pid);
      emit(err, header, 0, header.length);
      lane.lastPid = pid;
    }
    emit(err, INDENT, 0, INDENT.length);
  }

  private byte[] header(Pid pid) {
    String name = pid.toString();
    if (!colour) {
      return (name + ":\n").getBytes(US_ASCII);
    }
    String colourOf = PALETTE[Math.floorMod(name.hashCode(), PALETTE.length)];
    return (colourOf + name + ":" + RESET + "\n").getBytes(US_ASCII);
  }

  /** Writes to {@code stream}, first flushing the other stream if it was written last. */
  private void emit(BufferedOutputStream stream, byte[] bytes, int offset, int length)
      throws IOException {
    if (current != stream) {
      if (current != null) {
        current.flush();
      }
      current = stream;
    }
    stream.write(bytes, offset, length);
  }

  private static int indexOfNewline(byte[] data, int from) {
    for (int i = from; i < data.length; i++) {
      if (data[i] == '\n') {
        return i;
      }
    }
    return -1;
  }
}
