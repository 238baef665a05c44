package dev.deploy.cluster.link;

import dev.deploy.wire.ProtocolException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Environment variables written {@code NAME=value}, as {@code deploy --env} takes them. */
public final class Environment {
  private Environment() {}

  /**
   * Parses each {@code NAME=value}.
   *
   * @throws ProtocolException naming the entry without a name or with a NUL
   */
  public static Map<String, String> parse(List<String> entries) throws ProtocolException {
    Map<String, String> out = new LinkedHashMap<>();
    for (String e : entries) {
      int eq = e.indexOf('=');
      if (eq <= 0 || e.indexOf('\0') >= 0) {
        throw new ProtocolException("the environment variable \"" + e + "\" is not NAME=value");
      }
      out.put(e.substring(0, eq), e.substring(eq + 1));
    }
    return out;
  }
}
