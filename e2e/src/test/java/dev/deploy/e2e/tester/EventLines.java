package dev.deploy.e2e.tester;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Writes JSON event lines as the bridge prints them, for the tester's own unit tests. */
final class EventLines {
  private final List<String> lines = new ArrayList<>();

  /** The bridge's stamp of each line: milliseconds since the epoch, one more per line. */
  private long ts = 1_765_000_000_000L;

  /** Ends {@code object} (a JSON object without its closing brace) with its stamp, as printed. */
  private void add(String object) {
    lines.add(object + ",\"ts\":" + ts++ + "}");
  }

  EventLines spawn(String pid, String parent) {
    String p = parent == null ? "null" : "\"" + parent + "\"";
    add("{\"event\":\"spawn\",\"pid\":\"" + pid + "\",\"parent\":" + p);
    return this;
  }

  EventLines out(String pid, int fd, String text) {
    return out(pid, fd, text.getBytes(UTF_8));
  }

  EventLines out(String pid, int fd, byte[] bytes) {
    add(
        "{\"event\":\"output\",\"pid\":\""
            + pid
            + "\",\"fd\":"
            + fd
            + ",\"data\":\""
            + Base64.getEncoder().encodeToString(bytes)
            + "\"");
    return this;
  }

  EventLines eof(String pid, int fd) {
    add("{\"event\":\"output\",\"pid\":\"" + pid + "\",\"fd\":" + fd + ",\"eof\":true");
    return this;
  }

  EventLines exit(String pid, int code) {
    add("{\"event\":\"exit\",\"pid\":\"" + pid + "\",\"code\":" + code);
    return this;
  }

  EventLines killed(String pid, String signal) {
    add("{\"event\":\"exit\",\"pid\":\"" + pid + "\",\"signal\":\"" + signal + "\"");
    return this;
  }

  /** Both eofs, then the exit with {@code code}. */
  EventLines end(String pid, int code) {
    return eof(pid, 1).eof(pid, 2).exit(pid, code);
  }

  EventLines raw(String line) {
    lines.add(line);
    return this;
  }

  ProcessTree tree() {
    ProcessTree tree = new ProcessTree();
    lines.forEach(tree::accept);
    return tree;
  }
}
