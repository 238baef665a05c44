package dev.deploy.ui;

import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventFormat;
import dev.deploy.bridge.Json;
import dev.deploy.fabric.Fabric;
import dev.deploy.master.Master;
import dev.deploy.master.NodeUse;
import dev.deploy.security.ClusterKey;
import dev.deploy.util.HostPort;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The live view of a bridge and its {@code /metrics}, as the bridge's owner sees it: {@link #watch}
 * wraps each deployment's format so the view sees every event the bridge prints, {@link #serve}
 * starts the page once the master exists. {@link #off()} does nothing, so callers need no branches.
 * See docs/ui.md.
 *
 * <pre>{@code
 * LiveView live = LiveView.parse(System.getenv("DEPLOY_UI"));   // off when unset
 * Bridge bridge = new Bridge(live.watch(0, "Main", format));
 * live.serve(master, fabric, key, System.err);                  // prints where to open it
 * bridge.done().thenAccept(code -> live.finished(0, code));
 * }</pre>
 *
 * <p>Thread safe: formats are called under their bridges' locks; the server has its own threads.
 */
public final class LiveView implements AutoCloseable {
  /** Where to listen; null: off. */
  private final InetSocketAddress address;

  private final RunView view = new RunView(System::currentTimeMillis);
  private volatile UiServer server;

  private LiveView(InetSocketAddress address) {
    this.address = address;
  }

  /** Returns a view that watches nothing and serves nothing. */
  public static LiveView off() {
    return new LiveView(null);
  }

  /**
   * Returns the view for {@code setting}, {@code <host>:<port>} (like {@code 127.0.0.1:8080} or
   * {@code [::1]:0}); off when it is null or blank.
   *
   * @throws IllegalArgumentException naming the setting when it is not such an address
   */
  public static LiveView parse(String setting) {
    if (setting == null || setting.isBlank()) {
      return off();
    }
    String text = setting.trim();
    String host;
    int port;
    try {
      HostPort address = HostPort.parseAllowingAnyPort(text);
      host = address.host();
      port = address.port();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the live view's address is <host>:<port>, like 127.0.0.1:8080, not \""
              + setting
              + "\": "
              + e.getMessage());
    }
    try {
      return new LiveView(new InetSocketAddress(InetAddress.getByName(host), port));
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(
          "the live view's host \"" + host + "\" is not a known name or address");
    }
  }

  /** Returns whether this view is on. */
  public boolean on() {
    return address != null;
  }

  /**
   * Returns {@code format} itself when off; otherwise a format that shows each event in the view as
   * deployment {@code id} (named {@code name}, its main class) and then prints it with {@code
   * format}.
   */
  public EventFormat watch(long id, String name, EventFormat format) {
    if (!on()) {
      return format;
    }
    view.opened(id, name);
    return new EventFormat() {
      @Override
      public void write(Event event) throws IOException {
        view.onEvent(id, event);
        format.write(event);
      }

      @Override
      public void flush() throws IOException {
        format.flush();
      }
    };
  }

  /** Deployment {@code id} ended with {@code code}. */
  public void finished(long id, int code) {
    if (on()) {
      view.finished(id, code);
    }
  }

  /**
   * Starts serving, nodes and metrics read from {@code master} and (warm-pool counts) {@code
   * fabric}, which may be null; prints one line on {@code log} saying where to open it, with the
   * token derived from {@code key} when the address is not a loopback one, and how to reach it
   * through {@code ssh -L}. Does nothing when off.
   *
   * @throws IOException when it cannot listen there, with the address in the message
   */
  public void serve(Master master, Fabric fabric, ClusterKey key, PrintStream log)
      throws IOException {
    if (!on()) {
      return;
    }
    try {
      server =
          new UiServer(
              address,
              address.getAddress().isLoopbackAddress() ? null : key.uiToken(),
              view,
              () -> nodesJson(master.use()),
              () ->
                  MetricsText.write(
                      view.counts(),
                      master.use(),
                      master.latency(),
                      fabric == null ? null : fabric.warmHitsAndMisses()));
    } catch (IOException e) {
      throw new IOException(
          "cannot serve the live view on " + show(address) + ": " + e.getMessage(), e);
    }
    log.println(banner(server.address(), server.needsToken() ? key.uiToken() : null));
  }

  /** Returns the one line that says where the view is. */
  static String banner(InetSocketAddress bound, String token) {
    String at = show(bound);
    int port = bound.getPort();
    if (token == null) {
      return "deploy: live view at http://"
          + at
          + "/ and /metrics (from another machine: ssh -L "
          + port
          + ":"
          + at
          + " <this host>, then http://localhost:"
          + port
          + "/)";
    }
    return "deploy: live view at http://"
        + at
        + "/?token="
        + token
        + " (/metrics with Authorization: Bearer <token>); plain HTTP: better bind it to"
        + " 127.0.0.1 and use ssh -L "
        + port
        + ":127.0.0.1:"
        + port
        + " <this host>";
  }

  private static String show(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** Returns the address it listens on; for tests. */
  public InetSocketAddress boundAddress() {
    UiServer s = server;
    return s == null ? null : s.address();
  }

  private static String nodesJson(List<NodeUse> nodes) {
    StringBuilder b = new StringBuilder("[");
    String comma = "";
    for (NodeUse n : nodes) {
      b.append(comma).append("{\"name\":").append(Json.quote(n.name()));
      b.append(",\"memory\":").append(n.capacity().memory());
      b.append(",\"cpu\":").append(n.capacity().cpu());
      b.append(",\"freeMemory\":").append(n.freeMemory());
      b.append(",\"freeCpu\":").append(n.freeCpu());
      b.append(",\"up\":").append(n.up()).append('}');
      comma = ",";
    }
    return b.append(']').toString();
  }

  @Override
  public void close() {
    UiServer s = server;
    if (s != null) {
      s.close();
    }
  }
}
