package dev.deploy.ui;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.deploy.util.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Serves the live view on one address: the page ({@code /}), its data ({@code /api/state?since=},
 * {@code /api/output?pid=&fd=&from=&until=}) and {@code /metrics}. Only GET and HEAD.
 *
 * <p>Access (the owner passes a token only for a non-loopback address): on a loopback address
 * anyone on this machine may look, and a request must name a loopback host ({@code Host:
 * localhost:…}), which keeps web pages elsewhere from reading it through a rebound DNS name. On any
 * other address every request must carry the token ({@link
 * dev.deploy.security.ClusterKey#uiToken}): {@code /?token=…} sets it as a cookie, or {@code
 * Authorization: Bearer …} (for Prometheus). The server sends no CORS headers.
 *
 * <p>Threads: two daemon threads of its own answer requests; they only read the {@link RunView}.
 */
final class UiServer implements AutoCloseable {
  private static final String COOKIE = "deploy_ui";

  private final HttpServer server;
  private final ExecutorService threads;
  private final RunView view;

  /** The JSON array of the nodes now. */
  private final Supplier<String> nodes;

  /** The Prometheus text now. */
  private final Supplier<String> metrics;

  /** The token every request must carry; null: none, but a loopback Host (a loopback address). */
  private final String token;

  private final byte[] page;

  UiServer(
      InetSocketAddress address,
      String token,
      RunView view,
      Supplier<String> nodes,
      Supplier<String> metrics)
      throws IOException {
    this.view = view;
    this.nodes = nodes;
    this.metrics = metrics;
    this.token = token;
    this.page = resource("index.html");
    this.server = HttpServer.create(address, 50);
    this.threads = Executors.newFixedThreadPool(2, DaemonThreads.named("deploy-ui"));
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Returns the address it listens on (its port, when 0 was asked for). */
  InetSocketAddress address() {
    return server.getAddress();
  }

  /** Returns whether requests need the token. */
  boolean needsToken() {
    return token != null;
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        send(exchange, 405, "text/plain", "only GET and HEAD\n");
        return;
      }
      URI uri = exchange.getRequestURI();
      Map<String, String> query = query(uri.getRawQuery());
      String path = uri.getPath();
      if (token == null) {
        if (!loopbackHost(exchange.getRequestHeaders().getFirst("Host"))) {
          send(exchange, 403, "text/plain", "open the view as http://localhost:<port>/\n");
          return;
        }
      } else if (!authorized(exchange)) {
        String given = query.get("token");
        if (path.equals("/") && given != null && same(given, token)) {
          exchange
              .getResponseHeaders()
              .add("Set-Cookie", COOKIE + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
          exchange.getResponseHeaders().add("Location", "/");
          send(exchange, 303, "text/plain", "");
          return;
        }
        send(exchange, 401, "text/html; charset=utf-8", LOGIN);
        return;
      }
      switch (path) {
        case "/" -> send(exchange, 200, "text/html; charset=utf-8", page);
        case "/api/state" -> {
          long since = number(query.get("since"), 0);
          send(exchange, 200, "application/json", view.changesSince(since, nodes.get()));
        }
        case "/api/output" -> output(exchange, query);
        case "/metrics" ->
            send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get());
        default -> send(exchange, 404, "text/plain", "no such page: " + path + "\n");
      }
    } catch (RuntimeException e) {
      // A bad request or a bug answers that request only; the view goes on.
      try {
        send(exchange, 500, "text/plain", "internal error: " + e + "\n");
      } catch (IOException | RuntimeException ignored) {
        // the response was already begun
      }
    }
  }

  private void output(HttpExchange exchange, Map<String, String> query) throws IOException {
    String pid = query.getOrDefault("pid", "");
    if (!pid.matches("[0-9a-f]{7}")) {
      send(exchange, 400, "text/plain", "pid is 7 hex digits, not \"" + pid + "\"\n");
      return;
    }
    int fd = (int) number(query.get("fd"), 1);
    if (fd != 1 && fd != 2) {
      send(exchange, 400, "text/plain", "fd is 1 or 2, not " + fd + "\n");
      return;
    }
    int max = (int) Math.min(Math.max(number(query.get("max"), 16 << 10), 1), 256 << 10);
    String json =
        view.output(pid, fd, number(query.get("from"), -1), number(query.get("until"), -1), max);
    if (json == null) {
      send(exchange, 404, "text/plain", "no process " + pid + " in the view\n");
    } else {
      send(exchange, 200, "application/json", json);
    }
  }

  private boolean authorized(HttpExchange exchange) {
    String auth = exchange.getRequestHeaders().getFirst("Authorization");
    if (auth != null && auth.startsWith("Bearer ") && same(auth.substring(7).trim(), token)) {
      return true;
    }
    for (String header : exchange.getRequestHeaders().getOrDefault("Cookie", java.util.List.of())) {
      for (String part : header.split(";")) {
        String[] kv = part.trim().split("=", 2);
        if (kv.length == 2 && kv[0].equals(COOKIE) && same(kv[1], token)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Compares in time independent of where they differ. */
  private static boolean same(String given, String expected) {
    return MessageDigest.isEqual(
        given.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
  }

  /** Returns whether a Host header names this machine's loopback: localhost, 127.x, [::1]. */
  static boolean loopbackHost(String host) {
    if (host == null) {
      return false;
    }
    String name = host;
    if (name.startsWith("[")) {
      int close = name.indexOf(']');
      name = close < 0 ? name : name.substring(1, close);
    } else if (name.indexOf(':') >= 0) {
      name = name.substring(0, name.indexOf(':'));
    }
    name = name.toLowerCase(java.util.Locale.ROOT);
    return name.equals("localhost")
        || name.endsWith(".localhost")
        || name.equals("::1")
        || name.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null) {
      return out;
    }
    for (String part : raw.split("&")) {
      String[] kv = part.split("=", 2);
      out.put(
          URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
          kv.length == 2 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
    }
    return out;
  }

  private static long number(String text, long otherwise) {
    if (text == null || text.isEmpty()) {
      return otherwise;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }

  private static void send(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    send(exchange, status, type, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static byte[] resource(String name) {
    try (InputStream in = UiServer.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the live view's page " + name + " is not in the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final String LOGIN =
      "<!doctype html><meta charset=utf-8><title>deploy: token needed</title>"
          + "<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">"
          + "<h1>This view needs its token</h1><p>The bridge printed the address with its token"
          + " (<code>?token=…</code>) when it started; whoever holds the cluster key can derive"
          + " it. Or reach a loopback view through ssh: <code>ssh -L 8080:127.0.0.1:&lt;port&gt;"
          + " &lt;host&gt;</code>, then open http://localhost:8080/.</p>"
          + "<form method=get action=/><input name=token size=40 placeholder=token autofocus>"
          + " <button>Open</button></form>";
}
