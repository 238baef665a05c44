package dev.deploy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.e2e.programs.ui.Watched;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The live view of a local run ({@code DEPLOY_UI}) in a real headless Chromium: the process tree,
 * states, output on both streams and an exit appear without a reload; {@code /metrics} passes the
 * strict exposition reader. A screenshot is kept under {@code e2e/target/live-view/}. Skipped where
 * Debian's {@code chromium} and {@code chromium-driver} are missing, except under {@code CI=true},
 * where they must be there.
 */
class LiveViewIT {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  private static final Pattern BANNER = Pattern.compile("live view at (http://\\S+/) ");

  @TempDir Path dir;

  private Process run;
  private WebDriver browser;

  @AfterEach
  void stopEverything() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (run != null) {
      run.descendants().forEach(ProcessHandle::destroyForcibly);
      run.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(180)
  void givenARunningProgram_whenViewedInChromium_thenTreeStatesOutputAndExitAppearLive()
      throws Exception {
    requireChromium();
    Path go = dir.resolve("go");
    Path stderr = dir.resolve("stderr.txt");
    int port = freePort();
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                LocalRunner.deployJar() + File.pathSeparator + LocalRunner.programClasses(),
                Watched.class.getName(),
                go.toString(),
                "20")
            .redirectOutput(dir.resolve("stdout.txt").toFile())
            .redirectError(stderr.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("DEPLOY_"));
    builder.environment().put("DEPLOY_UI", "127.0.0.1:" + port);
    run = builder.start();
    String url = await().atMost(Duration.ofSeconds(60)).until(() -> banner(stderr), u -> u != null);

    browser = chromium();
    browser.get(url);

    // 1 + 2 + 20 processes, the child that SIGKILLs itself and the workers that exit 0.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> browser.findElements(By.cssSelector("#procs tr[data-pid]")).size() == 23);
    WebElement root = rowWhere("running", "root");
    assertThat(root).isNotNull();
    await().atMost(Duration.ofSeconds(30)).until(() -> rowWhere("killed SIGKILL", null) != null);
    await().atMost(Duration.ofSeconds(30)).until(() -> rowsInState("exited 0") == 20);
    assertThat(browser.findElement(By.id("nodes")).getText()).contains("local");
    assertThat(browser.findElement(By.id("deployments")).getText()).contains("Watched", "running");

    // The child that waits: running, with its output on both streams.
    WebElement waiter =
        await().atMost(Duration.ofSeconds(30)).until(() -> waitingChild(), w -> w != null);
    String waiterPid = waiter.getAttribute("data-pid");
    waiter.click();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> browser.findElement(By.id("stdout")).getText().contains("a says hi"));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> browser.findElement(By.id("stderr")).getText().contains("a warns"));
    assertThat(browser.findElement(By.id("stderr")).getText()).doesNotContain("a says hi");
    String url0 = browser.getCurrentUrl();

    Files.createFile(go); // the child prints one more line and exits 3
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                browser
                    .findElement(By.cssSelector("#procs tr[data-pid='" + waiterPid + "'] .state"))
                    .getText()
                    .equals("exited 3"));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> browser.findElement(By.id("stdout")).getText().contains("a leaves"));
    assertThat(browser.getCurrentUrl()).as("no navigation happened").isEqualTo(url0);
    screenshot("live-view.png");

    Map<String, PrometheusText.Family> metrics = PrometheusText.parse(get(url + "metrics"));
    assertThat(metrics.get("deploy_processes_ended_total").samples())
        .filteredOn(s -> s.labels().get("state").equals("killed"))
        .singleElement()
        .satisfies(s -> assertThat(s.value()).isEqualTo(1.0));
    assertThat(metrics).containsKeys("deploy_spawn_duration_seconds", "jvm_memory_used_bytes");
    assertThat(metrics.get("deploy_spawns_total").samples().get(0).value()).isEqualTo(23.0);

    try (OutputStream stdin = run.getOutputStream()) {
      stdin.write("end\n".getBytes(UTF_8));
    }
    assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(run.exitValue()).as("the first exit that was not 0: the SIGKILL").isEqualTo(137);
  }

  private static void requireChromium() {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    if ("true".equals(System.getenv("CI"))) {
      assertThat(present)
          .as(
              "CI must have chromium and chromium-driver (apt-get install chromium chromium-driver)")
          .isTrue();
    }
    assumeThat(present)
        .as(
            "chromium and chromium-driver are not installed: the live view's browser test is skipped")
        .isTrue();
  }

  private WebDriver chromium() throws IOException {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,900",
        "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
    return new ChromeDriver(service, options);
  }

  /** Returns the row whose state reads {@code state} and, if given, whose pid is the root's. */
  private WebElement rowWhere(String state, String which) {
    for (WebElement row : browser.findElements(By.cssSelector("#procs tr[data-pid]"))) {
      String text = row.findElement(By.cssSelector(".state")).getText();
      boolean isRoot = "0".equals(row.getAttribute("data-depth"));
      if (text.equals(state) && (which == null || isRoot)) {
        return row;
      }
    }
    return null;
  }

  private long rowsInState(String state) {
    return browser.findElements(By.cssSelector("#procs tr[data-pid] .state")).stream()
        .filter(e -> e.getText().equals(state))
        .count();
  }

  /** The running child: the one row in state running that is not the root. */
  private WebElement waitingChild() {
    List<WebElement> running =
        browser.findElements(By.cssSelector("#procs tr[data-state='running']"));
    return running.stream()
        .filter(r -> !"0".equals(r.getAttribute("data-depth")))
        .findFirst()
        .orElse(null);
  }

  private void screenshot(String name) throws IOException {
    Path target = Path.of("target", "live-view");
    Files.createDirectories(target);
    byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
    Files.write(target.resolve(name), png);
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
