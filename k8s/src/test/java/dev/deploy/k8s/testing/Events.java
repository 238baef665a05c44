package dev.deploy.k8s.testing;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A deployment's JSON events ({@code --format json}), read back: each process's stdout, its end.
 */
public final class Events {
  private final List<Map<String, Object>> events = new ArrayList<>();

  /** Parses the JSON lines of {@code text}; a partial last line is ignored. */
  @SuppressWarnings("unchecked")
  public Events(String text) {
    for (String line : text.split("\n", -1)) {
      if (line.startsWith("{") && line.endsWith("}")) {
        events.add(Serialization.unmarshal(line, Map.class));
      }
    }
  }

  /** Returns each process's stdout so far, by pid, in the order they were spawned. */
  public Map<String, String> stdout() {
    Map<String, StringBuilder> out = new LinkedHashMap<>();
    for (Map<String, Object> e : events) {
      String pid = (String) e.get("pid");
      if ("spawn".equals(e.get("event"))) {
        out.put(pid, new StringBuilder());
      } else if ("output".equals(e.get("event"))
          && Integer.valueOf(1).equals(e.get("fd"))
          && e.get("data") != null) {
        out.computeIfAbsent(pid, p -> new StringBuilder())
            .append(
                new String(
                    Base64.getDecoder().decode((String) e.get("data")), StandardCharsets.UTF_8));
      }
    }
    Map<String, String> result = new LinkedHashMap<>();
    out.forEach((pid, s) -> result.put(pid, s.toString()));
    return result;
  }

  /** Returns every line every process printed on stdout. */
  public List<String> lines() {
    List<String> lines = new ArrayList<>();
    for (String s : stdout().values()) {
      lines.addAll(s.lines().toList());
    }
    return lines;
  }

  /** Returns the exit events by pid: {@code code=n}, {@code signal=S} or {@code lost}. */
  public Map<String, String> exits() {
    Map<String, String> exits = new LinkedHashMap<>();
    for (Map<String, Object> e : events) {
      if ("exit".equals(e.get("event"))) {
        String end =
            Boolean.TRUE.equals(e.get("lost"))
                ? "lost"
                : e.get("signal") != null ? "signal=" + e.get("signal") : "code=" + e.get("code");
        exits.put((String) e.get("pid"), end);
      }
    }
    return exits;
  }
}
