package dev.deploy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.e2e.programs.ui.Chatty;
import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.PrometheusText;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} of a local run counts its channel traffic: a child sends N values to the first
 * process and exits (its totals reported before its exit notice), the first process takes them
 * (reported within 5 s), and both directions show N values and the same bytes, in text the strict
 * exposition reader accepts.
 */
class ChannelMetricsIT {
  private static final Pattern BANNER = Pattern.compile("live view at (http://\\S+/) ");
  private static final int N = 250;

  @TempDir Path dir;

  private Process run;

  @AfterEach
  void stopEverything() throws Exception {
    if (run != null) {
      run.descendants().forEach(ProcessHandle::destroyForcibly);
      run.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(120)
  void givenAChildThatSendsValues_whenMetricsRead_thenChannelValuesAndBytesBothWays()
      throws Exception {
    Path stdout = dir.resolve("stdout.txt");
    Path stderr = dir.resolve("stderr.txt");
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                LocalRunner.deployJar() + File.pathSeparator + LocalRunner.programClasses(),
                Chatty.class.getName(),
                Integer.toString(N))
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("DEPLOY_"));
    builder.environment().put("DEPLOY_UI", "127.0.0.1:" + freePort());
    run = builder.start();
    String url = await().atMost(Duration.ofSeconds(60)).until(() -> banner(stderr), u -> u != null);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> Files.readString(stdout).contains("received " + N));

    Map<String, PrometheusText.Family> metrics =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> PrometheusText.parse(get(url + "metrics")),
                m -> value(m, "deploy_channel_values_total", "received") == N);

    assertThat(metrics.get("deploy_channel_values_total").type()).isEqualTo("counter");
    assertThat(value(metrics, "deploy_channel_values_total", "sent")).isEqualTo(N);
    double bytes = value(metrics, "deploy_channel_bytes_total", "sent");
    assertThat(bytes).isGreaterThan(N * "value 0".length());
    assertThat(value(metrics, "deploy_channel_bytes_total", "received")).isEqualTo(bytes);

    try (OutputStream stdin = run.getOutputStream()) {
      stdin.write("end\n".getBytes(UTF_8));
    }
    assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(run.exitValue()).isZero();
  }

  private static double value(
      Map<String, PrometheusText.Family> metrics, String family, String direction) {
    return metrics.get(family).samples().stream()
        .filter(s -> direction.equals(s.labels().get("direction")))
        .findFirst()
        .orElseThrow()
        .value();
  }

  private static String banner(Path stderr) throws IOException {
    if (!Files.exists(stderr)) {
      return null;
    }
    Matcher m = BANNER.matcher(Files.readString(stderr));
    return m.find() ? m.group(1) : null;
  }

  private static String get(String url) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(url).isEqualTo(200);
    return response.body();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
