package dev.deploy.ui;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.bridge.Event;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The server's access rules and endpoints, over real loopback HTTP/1.1. */
@Timeout(20)
class UiServerTest {
  private final RunView view = new RunView(() -> 5);
  private UiServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void givenNoToken_whenLoopbackHostAsks_thenPageStateOutputAndMetrics() throws IOException {
    start(null);
    view.onEvent(0, new Event.Spawned(pid("3fecd01"), null));
    view.onEvent(0, new Event.Output(pid("3fecd01"), 1, "hello\n".getBytes(UTF_8)));

    assertThat(get("/", "localhost:1")).startsWith("HTTP/1.1 200").contains("<title>deploy");
    assertThat(get("/api/state?since=0", "127.0.0.1:9")).contains("\"pid\":\"3fecd01\"");
    assertThat(get("/api/output?pid=3fecd01&fd=1", "[::1]:9")).contains("\"text\":\"hello\\n\"");
    assertThat(get("/metrics", "localhost")).startsWith("HTTP/1.1 200").contains("# TYPE");
  }

  @Test
  void givenNoToken_whenAnotherHostNameAsks_thenRefused() throws IOException {
    start(null);

    assertThat(get("/api/state", "evil.example:80")).startsWith("HTTP/1.1 403");
    assertThat(get("/api/state", "127.0.0.1.evil.example")).startsWith("HTTP/1.1 403");
  }

  @Test
  void givenToken_whenAskedWithoutIt_thenLoginPageAndNoData() throws IOException {
    start("s3cret");

    assertThat(get("/", "10.0.0.1:80")).startsWith("HTTP/1.1 401").contains("ssh -L");
    assertThat(get("/api/state", "10.0.0.1:80")).startsWith("HTTP/1.1 401");
    assertThat(get("/?token=wrong", "10.0.0.1:80")).startsWith("HTTP/1.1 401");
  }

  @Test
  void givenToken_whenGivenInQueryCookieOrBearer_thenServed() throws IOException {
    start("s3cret");

    assertThat(get("/?token=s3cret", "10.0.0.1:80"))
        .startsWith("HTTP/1.1 303")
        .contains("Set-cookie: deploy_ui=s3cret; Path=/; HttpOnly; SameSite=Strict");
    assertThat(get("/api/state", "10.0.0.1:80", "Cookie: a=b; deploy_ui=s3cret"))
        .startsWith("HTTP/1.1 200");
    assertThat(get("/metrics", "10.0.0.1:80", "Authorization: Bearer s3cret"))
        .startsWith("HTTP/1.1 200");
  }

  @Test
  void givenBadOutputRequests_whenAsked_thenOneLineErrors() throws IOException {
    start(null);

    assertThat(get("/api/output?pid=zz", "localhost")).startsWith("HTTP/1.1 400").contains("7 hex");
    assertThat(get("/api/output?pid=3fecd01&fd=3", "localhost")).contains("fd is 1 or 2, not 3");
    assertThat(get("/api/output?pid=3fecd01", "localhost")).startsWith("HTTP/1.1 404");
    assertThat(get("/nothing", "localhost")).startsWith("HTTP/1.1 404");
  }

  private void start(String token) throws IOException {
    server =
        new UiServer(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            token,
            view,
            () -> "[]",
            () -> "# TYPE x gauge\nx 1\n");
  }

  /** Sends one GET with {@code host} as its Host header; returns the whole response. */
  private String get(String path, String host, String... headers) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.address().getPort())) {
      s.setSoTimeout(10_000);
      StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + host);
      for (String h : headers) {
        request.append("\r\n").append(h);
      }
      request.append("\r\nConnection: close\r\n\r\n");
      OutputStream out = s.getOutputStream();
      out.write(request.toString().getBytes(US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), UTF_8);
    }
  }

  /** Returns a pid whose toString is {@code hex}. */
  private static dev.deploy.Pid pid(String hex) {
    return dev.deploy.Pid.of(new byte[] {127, 0, 0, 1}, 7000, Long.parseLong(hex, 16) << 8);
  }
}
