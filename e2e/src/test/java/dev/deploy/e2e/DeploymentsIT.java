package dev.deploy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.e2e.programs.cluster.Chatty;
import dev.deploy.e2e.programs.cluster.IgnoresTerm;
import dev.deploy.e2e.tester.Cluster;
import dev.deploy.e2e.tester.ClusterCleanup;
import dev.deploy.e2e.tester.ClusterLayout;
import dev.deploy.e2e.tester.ClusterRunner;
import dev.deploy.e2e.tester.Clusters;
import dev.deploy.e2e.tester.Tool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Deployments as things a user holds, on a real loopback cluster: {@code deploy --detach} prints an
 * id and returns, {@code deploy list} shows running and finished deployments, {@code deploy attach}
 * re-streams the output kept so far and then the live output and exits with the program's code
 * (also after it ended; Ctrl-C only detaches), and {@code deploy stop} sends SIGTERM, then SIGKILL
 * after the grace. Every attach client is killed after its test; the cluster with everything under
 * it by {@link ClusterCleanup}.
 */
@ExtendWith(ClusterCleanup.class)
class DeploymentsIT {
  private static final Duration TOOL = Duration.ofSeconds(90);

  /** The attach clients a test started, killed after it. */
  private final List<Process> clients = new ArrayList<>();

  @org.junit.jupiter.api.AfterEach
  void killClients() {
    for (Process p : clients) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  // ----- list

  @Test
  @Timeout(value = 240, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void givenARunningAndAFinishedDeployment_whenListed_thenBothWithTheirStates(Clusters clusters)
      throws IOException {
    Cluster cluster = clusters.start(ClusterLayout.of("2GiB", "2"));
    Path release = cluster.directory().resolve("release");
    long running = detach(cluster, Chatty.class, release.toString(), "0");
    long finished = detach(cluster, Chatty.class, "-", "3");

    await()
        .atMost(60, TimeUnit.SECONDS)
        .until(() -> listJson(cluster).contains(entry(finished, "exited", "3")));
    String json = listJson(cluster);
    Tool.Result human = deploy(cluster, "list", cluster.bridgeAddress());

    assertThat(json.split("\n")).hasSize(2);
    assertThat(json)
        .contains("{\"id\":\"" + running + "\",\"program\":\"" + Chatty.class.getName() + "\"")
        .contains("\"alive\":1,\"processes\":1,\"state\":\"running\",\"exitCode\":null")
        .contains(entry(finished, "exited", "3"));
    assertThat(human.exitCode()).as(human.context()).isZero();
    assertThat(human.stdout())
        .as(human.context())
        .startsWith("ID ")
        .containsPattern(
            running + " +" + Pattern.quote(Chatty.class.getName()) + " .* 1/1 +running")
        .containsPattern(finished + " .* 0/1 +exited 3");

    Files.createFile(release);
    await()
        .atMost(ClusterRunner.GRACE.plusSeconds(30))
        .untilAsserted(() -> assertThat(cluster.processes()).as("processes left").isEmpty());
  }

  @Test
  @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void givenUnknownId_whenStoppedOrAttached_thenOneSentenceAndExit1(Clusters clusters) {
    Cluster cluster = clusters.start(ClusterLayout.of("1GiB", "1"));

    for (String command : List.of("stop", "attach")) {
      Tool.Result r = deploy(cluster, command, cluster.bridgeAddress(), "12345");

      assertThat(r.exitCode()).as(r.context()).isEqualTo(1);
      assertThat(r.stderr().strip())
          .as(r.context())
          .isEqualTo(
              "deploy "
                  + command
                  + ": this bridge holds no deployment 12345 (deploy list shows those it holds; a"
                  + " finished one is kept for a while only)");
    }
  }

  // ----- detach and attach

  @Test
  @Timeout(value = 240, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void givenDetachedRun_whenAttachedMidRunAndAfterItsEnd_thenOutputSoFarThenLiveAndItsCode(
      Clusters clusters) throws Exception {
    Cluster cluster = clusters.start(ClusterLayout.of("2GiB", "2"));
    Path release = cluster.directory().resolve("release");
    long id = detach(cluster, Chatty.class, release.toString(), "3");

    // A first attach, interrupted as by Ctrl-C: it detaches, the run goes on.
    Path first = cluster.directory().resolve("attach-1.out");
    Process interrupted = attach(cluster, id, first, "human");
    await().atMost(60, TimeUnit.SECONDS).until(() -> read(first).contains("before 3"));
    signal("INT", interrupted.pid());
    assertThat(interrupted.waitFor(30, TimeUnit.SECONDS)).as("attach ended on SIGINT").isTrue();
    assertThat(listJson(cluster)).contains("\"id\":\"" + id + "\"").contains("\"running\"");

    Path second = cluster.directory().resolve("attach-2.out");
    Process live = attach(cluster, id, second, "human");
    await().atMost(60, TimeUnit.SECONDS).until(() -> read(second).contains("before 3"));
    assertThat(read(second)).doesNotContain("after release");
    Files.createFile(release);

    assertThat(live.waitFor(60, TimeUnit.SECONDS)).as("the attach ended with the run").isTrue();
    assertThat(live.exitValue()).as(read(second)).isEqualTo(3);
    assertThat(read(second))
        .containsSubsequence("before 1", "before 2", "before 3", "after release");

    Tool.Result after = deploy(cluster, "attach", cluster.bridgeAddress(), Long.toString(id));

    assertThat(after.exitCode()).as(after.context()).isEqualTo(3);
    assertThat(after.stdout())
        .as(after.context())
        .containsSubsequence("before 1", "before 2", "before 3", "after release");
    assertThat(listJson(cluster)).contains(entry(id, "exited", "3"));
  }

  // ----- stop

  @Test
  @Timeout(value = 240, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void givenProcessesThatIgnoreSigterm_whenStopped_thenSigkilledAfterTheGrace(Clusters clusters)
      throws Exception {
    // The first process takes the master's only processor: its child runs on the worker.
    Cluster cluster =
        clusters.start(
            ClusterLayout.of("1GiB", "1", new ClusterLayout.Machine("127.0.0.2", "1GiB", "1")));
    long id = detach(cluster, IgnoresTerm.class);
    Path out = cluster.directory().resolve("attach.out");
    Process attached = attach(cluster, id, out, "json");
    await()
        .atMost(90, TimeUnit.SECONDS)
        .until(() -> countMatches(text(read(out)), "os pid \\d+\n") == 2);

    Tool.Result stop =
        deploy(cluster, "stop", "--grace", "2s", cluster.bridgeAddress(), Long.toString(id));

    assertThat(stop.exitCode()).as(stop.context()).isZero();
    assertThat(stop.stdout())
        .as(stop.context())
        .contains("sent SIGTERM to the 2 processes of deployment " + id)
        .contains("2 were still running after 2 s: sent SIGKILL")
        .contains("exit code 137");
    assertThat(attached.waitFor(60, TimeUnit.SECONDS)).as("the attach ended").isTrue();
    assertThat(attached.exitValue()).as(read(out)).isEqualTo(137);
    assertThat(
            countMatches(
                read(out), "\"event\":\"exit\",\"pid\":\"[0-9a-f]+\",\"signal\":\"SIGKILL\""))
        .as(read(out))
        .isEqualTo(2);
    assertThat(text(read(out)))
        .as(cluster.logs())
        .contains("main ignored SIGTERM")
        .contains("child ignored SIGTERM");
    assertThat(listJson(cluster)).contains(entry(id, "stopped", "137"));
    await()
        .atMost(ClusterRunner.GRACE)
        .untilAsserted(() -> assertThat(cluster.processes()).as("processes left").isEmpty());
  }

  // ----- helpers

  /** Runs {@code deploy <args>} with the cluster's key after the subcommand. */
  private static Tool.Result deploy(Cluster cluster, String command, String... args) {
    List<String> all = new ArrayList<>(List.of("deploy", command));
    all.add("--key-file");
    all.add(cluster.keyFile().toString());
    all.addAll(List.of(args));
    return Tool.run(TOOL, all.toArray(String[]::new));
  }

  /** Deploys {@code program} with --detach; returns the id it printed. */
  private static long detach(Cluster cluster, Class<?> program, String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "deploy",
                "--detach",
                "--key-file",
                cluster.keyFile().toString(),
                cluster.bridgeAddress(),
                ClusterRunner.classPath(),
                program.getName()));
    if (args.length > 0) {
      all.add("--");
      all.addAll(List.of(args));
    }
    Tool.Result r = Tool.run(TOOL, all.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.context() + cluster.logs()).isZero();
    assertThat(r.stdout()).as(r.context()).matches("\\d+\n");
    return Long.parseLong(r.stdout().strip());
  }

  private static String listJson(Cluster cluster) {
    Tool.Result r = deploy(cluster, "list", "--format", "json", cluster.bridgeAddress());
    assertThat(r.exitCode()).as(r.context()).isZero();
    return r.stdout();
  }

  private static String entry(long id, String state, String code) {
    return "\"state\":\"" + state + "\",\"exitCode\":" + code;
  }

  /** Starts {@code deploy attach} in {@code format}, its stdout and stderr to {@code out}. */
  private Process attach(Cluster cluster, long id, Path out, String format) throws IOException {
    ProcessBuilder b =
        new ProcessBuilder(
            Tool.command(
                "deploy",
                "attach",
                "--format",
                format,
                "--key-file",
                cluster.keyFile().toString(),
                cluster.bridgeAddress(),
                Long.toString(id)));
    b.environment().clear();
    b.environment().putAll(Tool.environment());
    b.redirectOutput(out.toFile());
    b.redirectError(out.resolveSibling(out.getFileName() + ".err").toFile());
    Process p = b.start();
    clients.add(p);
    return p;
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The output text of JSON events, their base64 data decoded, in order. */
  private static String text(String json) {
    StringBuilder out = new StringBuilder();
    Matcher m = Pattern.compile("\"data\":\"([A-Za-z0-9+/=]*)\"").matcher(json);
    while (m.find()) {
      out.append(new String(Base64.getDecoder().decode(m.group(1)), UTF_8));
    }
    return out.toString();
  }

  private static int countMatches(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  private static void signal(String signal, long pid) throws IOException, InterruptedException {
    int status = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).start().waitFor();
    assertThat(status).as("kill -" + signal + " " + pid).isZero();
  }
}
