package dev.deploy.bridge;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Base64;

/**
 * docs/api.md's JSON format: one flat JSON object per line, nothing else.
 *
 * <pre>
 * {"event":"spawn","pid":"3fecd01","parent":null}
 * {"event":"spawn","pid":"9a1b2c3","parent":"3fecd01"}
 * {"event":"output","pid":"9a1b2c3","fd":1,"data":"aGkK"}
 * {"event":"output","pid":"9a1b2c3","fd":1,"eof":true}
 * {"event":"exit","pid":"9a1b2c3","code":0}
 * {"event":"exit","pid":"3fecd01","signal":"SIGKILL"}
 * {"event":"exit","pid":"5e6f7a8","lost":true}
 * {"event":"exit","pid":"6f7a8b9","signal":"SIGKILL","oom":true,"reason":"memory-limit"}
 * </pre>
 *
 * <p>{@code data} is the chunk's raw bytes in base64, so output is byte-exact whatever its
 * encoding. Pids are hex and signal names are letters and digits, so no string needs escaping. The
 * tests' {@code JsonEvents} (in the test sources, shared with the end-to-end tester) reads these
 * lines back.
 *
 * <p>Owned by the bridge. Not thread safe: the bridge calls it under its lock, one event at a time,
 * in event order. Lines are buffered until {@link #flush()}.
 */
public final class JsonFormat implements EventFormat {
  private static final int BUFFER_SIZE = 1 << 16;

  /** The {@code "reason"} of the exit of a process killed by the kernel for its memory limit. */
  public static final String MEMORY_LIMIT = "memory-limit";

  /** Where the lines go; they stay in its buffer until full or until {@link #flush()}. */
  private final BufferedOutputStream out;

  /** The time stamped on each line, in milliseconds since the epoch. */
  private final java.util.function.LongSupplier clock;

  /** The node of each process spawned on a named node and not yet exited. */
  private final java.util.Map<dev.deploy.Pid, String> nodes = new java.util.HashMap<>();

  /** Makes a JSON format writing to {@code out} (the bridge's stdout). */
  public JsonFormat(OutputStream out) {
    this(out, System::currentTimeMillis);
  }

  /** Makes a JSON format writing to {@code out}, stamping lines with {@code clock}'s time. */
  public JsonFormat(OutputStream out, java.util.function.LongSupplier clock) {
    this.out = new BufferedOutputStream(out, BUFFER_SIZE);
    this.clock = clock;
  }

  @Override
  public void write(Event event) throws IOException {
    if (event instanceof Event.Output output) {
      ascii("{\"event\":\"output\",\"pid\":\"" + output.pid() + "\",\"fd\":" + output.fd());
      ascii(",\"data\":\"");
      out.write(Base64.getEncoder().encode(output.data()));
      ascii("\"");
      end(output.pid());
    } else if (event instanceof Event.Eof eof) {
      ascii("{\"event\":\"output\",\"pid\":\"" + eof.pid() + "\",\"fd\":" + eof.fd());
      ascii(",\"eof\":true");
      end(eof.pid());
    } else if (event instanceof Event.Spawned spawned) {
      if (spawned.node() != null) {
        nodes.put(spawned.pid(), spawned.node());
      }
      String parent = spawned.parent() == null ? "null" : "\"" + spawned.parent() + "\"";
      ascii("{\"event\":\"spawn\",\"pid\":\"" + spawned.pid() + "\",\"parent\":" + parent);
      end(spawned.pid());
    } else if (event instanceof Event.Exit exit) {
      ascii("{\"event\":\"exit\",\"pid\":\"" + exit.pid() + "\"," + status(exit.status()));
      end(exit.pid());
      nodes.remove(exit.pid());
    } else if (event instanceof Event.Waiting w) {
      ascii("{\"event\":\"" + (w.node() == null ? "wait" : "placed") + "\",\"pid\":\"" + w.pid());
      ascii("\",\"resources\":\"" + w.what() + "\"");
      if (w.node() != null) {
        out.write(",\"on\":".getBytes(US_ASCII));
        out.write(Json.quote(w.node()).getBytes(UTF_8));
        ascii(",\"waited_ms\":" + w.waitedMillis());
      }
      end(w.pid());
    } else if (!(event instanceof Event.ChannelStats)) {
      throw new IllegalArgumentException("unknown event " + event);
    }
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  private static String status(ExitStatus status) {
    return switch (status.kind()) {
      case EXITED -> "\"code\":" + status.value();
      case KILLED ->
          "\"signal\":\""
              + SignalNames.name(status.value())
              + "\""
              + (status.byMemoryLimit() ? ",\"oom\":true,\"reason\":\"" + MEMORY_LIMIT + "\"" : "");
      case LOST -> "\"lost\":true";
    };
  }

  /** Ends the line: {@code pid}'s node if known, the time stamp, the closing brace. */
  private void end(dev.deploy.Pid pid) throws IOException {
    String node = nodes.get(pid);
    if (node != null) {
      out.write(",\"node\":".getBytes(US_ASCII));
      out.write(Json.quote(node).getBytes(UTF_8));
    }
    ascii(",\"ts\":" + clock.getAsLong() + "}\n");
  }

  private void ascii(String text) throws IOException {
    out.write(text.getBytes(US_ASCII));
  }
}
