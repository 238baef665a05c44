package dev.deploy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.e2e.tester.Tool;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tarball as a user gets it: unpacked elsewhere, its scripts run from another directory, with
 * JAVA_HOME and JAVA_OPTS; and what {@code fabric --help} says of its exit codes holds.
 */
class DistributionIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  @TempDir static Path unpacked;
  private static Path home;

  @BeforeAll
  static void unpack() throws IOException {
    Path tarball = Path.of(System.getProperty("deploy.tarball"));
    assertThat(tarball).as("built by the dist module in mvn package").exists();
    Tool.Result tar =
        Tool.exec(TIMEOUT, List.of("tar", "xzf", tarball.toString()), unpacked, Map.of());
    assertThat(tar.exitCode()).as(tar.context()).isZero();
    String dir = tarball.getFileName().toString().replace(".tar.gz", "");
    home = unpacked.resolve(dir);
  }

  @Test
  @Timeout(60)
  void givenTheTarball_whenUnpacked_thenItHoldsWhatTheReadmeSays() {
    assertThat(home.resolve("bin/deploy")).isExecutable();
    assertThat(home.resolve("bin/fabric")).isExecutable();
    assertThat(home.resolve("lib/deploy.jar")).isRegularFile();
    assertThat(home.resolve("README.md")).isRegularFile();
    assertThat(home.resolve("man/deploy.adoc")).isRegularFile();
    assertThat(home.resolve("man/fabric.adoc")).isRegularFile();
    assertThat(home.resolve("completion/deploy.bash")).isRegularFile();
    assertThat(home.resolve("completion/fabric.bash")).isRegularFile();
  }

  @Test
  @Timeout(60)
  void givenTheTarball_whenUnpacked_thenLibK8sHoldsTheModuleAndTheJdkClientOnly()
      throws IOException {
    Path k8s = home.resolve("lib/k8s");
    List<String> jars;
    try (var files = java.nio.file.Files.list(k8s)) {
      jars = files.map(f -> f.getFileName().toString()).sorted().toList();
    }

    assertThat(jars)
        .anyMatch(j -> j.startsWith("deploy-k8s-"))
        .anyMatch(j -> j.startsWith("kubernetes-client-"))
        .anyMatch(j -> j.startsWith("kubernetes-httpclient-jdk-"))
        .noneMatch(j -> j.contains("vertx") || j.contains("netty") || j.contains("okhttp"))
        .noneMatch(
            j -> j.startsWith("deploy-cli") || j.startsWith("deploy-0") || j.startsWith("slf4j"));
  }

  @Test
  @Timeout(60)
  void givenTheTarball_whenDeployK8sRbac_thenItPrintsTheRoleFromLibK8s(@TempDir Path elsewhere) {
    // No kubeconfig and no cluster: -n needs neither. DEPLOY_K8S_LIB unset (Tool.environment).
    Tool.Result r =
        script(
            elsewhere,
            Map.of(
                "HOME", elsewhere.toString(), "KUBECONFIG", elsewhere.resolve("none").toString()),
            "deploy",
            "k8s",
            "rbac",
            "-n",
            "team-a");

    assertThat(r.exitCode()).as(r.context()).isZero();
    assertThat(r.stdout())
        .as(r.context())
        .contains("kind: \"ServiceAccount\"", "kind: \"Role\"", "kind: \"RoleBinding\"")
        .contains("namespace: \"team-a\"")
        .contains("\"pods/portforward\"");
  }

  @Test
  @Timeout(60)
  void givenAnotherWorkingDirectory_whenHelp_thenBothScriptsAnswer(@TempDir Path elsewhere) {
    Tool.Result deploy = script(elsewhere, Map.of(), "deploy", "--help");
    Tool.Result fabric = script(elsewhere, Map.of(), "fabric", "--help");

    assertThat(deploy.exitCode()).as(deploy.context()).isZero();
    assertThat(deploy.stdout()).as(deploy.context()).contains("Usage: deploy.jar deploy");
    assertThat(fabric.exitCode()).as(fabric.context()).isZero();
    assertThat(fabric.stdout()).as(fabric.context()).contains("Usage: deploy.jar fabric");
  }

  @Test
  @Timeout(60)
  void givenJavaOpts_whenRun_thenTheJvmGetsThem(@TempDir Path elsewhere) {
    Tool.Result r =
        script(elsewhere, Map.of("JAVA_OPTS", "-Xmx64m -XX:+NoSuchOptionHere"), "deploy", "--help");

    assertThat(r.exitCode()).as(r.context()).isNotZero();
    assertThat(r.stdout() + r.stderr()).as(r.context()).contains("NoSuchOptionHere");
  }

  @Test
  @Timeout(60)
  void givenJavaHome_whenRun_thenItsJavaRuns(@TempDir Path elsewhere) {
    Tool.Result good =
        script(
            elsewhere, Map.of("JAVA_HOME", System.getProperty("java.home")), "deploy", "--version");
    Tool.Result bad =
        script(
            elsewhere,
            Map.of("JAVA_HOME", elsewhere.resolve("nojdk").toString()),
            "deploy",
            "--version");

    assertThat(good.exitCode()).as(good.context()).isZero();
    assertThat(bad.exitCode()).as(bad.context()).isNotZero();
    assertThat(bad.stderr()).as(bad.context()).contains("nojdk");
  }

  @Test
  @Timeout(60)
  void givenAWorker_whenSigterm_thenExit143AsItsHelpSays(@TempDir Path elsewhere) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ProcessBuilder builder =
        new ProcessBuilder(
                home.resolve("bin/fabric").toString(),
                "127.0.0.1:" + port,
                "--no-cgroups",
                "--cache=" + elsewhere.resolve("cache"))
            .directory(elsewhere.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().clear();
    builder.environment().putAll(Tool.environment());
    builder.environment().put("HOME", elsewhere.toString());
    Process fabric = builder.start();
    try {
      CompletableFuture<String> listening = new CompletableFuture<>();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(fabric.getErrorStream(), UTF_8))) {
                  for (String line; (line = in.readLine()) != null; ) {
                    if (line.contains("listening")) {
                      listening.complete(line);
                    }
                  }
                } catch (IOException e) {
                  // Killed.
                }
                listening.completeExceptionally(new IllegalStateException("fabric ended"));
              });
      reader.setDaemon(true);
      reader.start();
      listening.get(30, TimeUnit.SECONDS);

      fabric.destroy(); // SIGTERM

      assertThat(fabric.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(fabric.exitValue()).isEqualTo(143);
      Tool.Result help = script(elsewhere, Map.of(), "fabric", "--help");
      assertThat(help.stdout()).contains("143").contains("SIGTERM");
    } finally {
      fabric.descendants().forEach(ProcessHandle::destroyForcibly);
      fabric.destroyForcibly();
    }
  }

  /**
   * The README's cluster on one machine, started from the unpacked tarball's scripts in another
   * directory as a user would (a worker, then the master naming it), and a program deployed to it
   * with {@code bin/deploy}.
   */
  @Test
  @Timeout(120)
  void givenTheReadmesClusterFromTheTarball_whenAProgramIsDeployed_thenItRunsThere(
      @TempDir Path elsewhere) throws Exception {
    int workerPort = freePort("127.0.0.2");
    int masterPort = freePort("127.0.0.1");
    List<Process> daemons = new java.util.ArrayList<>();
    try {
      Process worker = daemon(elsewhere, "worker", "127.0.0.2:" + workerPort);
      daemons.add(worker);
      awaitLine(worker, "listening");
      Process master =
          daemon(
              elsewhere,
              "master",
              "master",
              "127.0.0.1:" + masterPort,
              "1GiB",
              "1",
              "127.0.0.2:" + workerPort,
              "1GiB",
              "1");
      daemons.add(master);
      awaitLine(master, "joined");

      String classPath =
          home.resolve("lib/deploy.jar")
              + java.io.File.pathSeparator
              + System.getProperty("deploy.programs");
      Tool.Result run =
          script(
              elsewhere,
              Map.of("DEPLOY_BRIDGE", "127.0.0.1:" + masterPort),
              "deploy",
              classPath,
              dev.deploy.e2e.programs.cluster.PrintArgs.class.getName(),
              "--",
              "from",
              "the tarball");

      assertThat(run.exitCode()).as(run.context()).isZero();
      assertThat(run.stdout()).as(run.context()).contains("[from, the tarball]");
    } finally {
      for (Process d : daemons) {
        d.destroy();
        if (!d.waitFor(30, TimeUnit.SECONDS)) {
          d.descendants().forEach(ProcessHandle::destroyForcibly);
          d.destroyForcibly();
        }
      }
    }
  }

  /** Starts {@code bin/fabric args} in {@code dir}, with its own cache and home. */
  private static Process daemon(Path dir, String name, String... args) throws IOException {
    List<String> command = new java.util.ArrayList<>();
    command.add(home.resolve("bin/fabric").toString());
    command.addAll(List.of(args));
    command.add("--cache=" + dir.resolve("cache-" + name));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().clear();
    builder.environment().putAll(Tool.environment());
    builder.environment().put("HOME", dir.toString());
    return builder.start();
  }

  /** Waits until {@code p} logs a line holding {@code text} on stderr. */
  private static void awaitLine(Process p, String text) throws Exception {
    CompletableFuture<String> seen = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(new InputStreamReader(p.getErrorStream(), UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                  if (line.contains(text)) {
                    seen.complete(line);
                  }
                }
              } catch (IOException e) {
                // Ended.
              }
              seen.completeExceptionally(new IllegalStateException("ended before: " + text));
            });
    reader.setDaemon(true);
    reader.start();
    seen.get(60, TimeUnit.SECONDS);
  }

  private static int freePort(String host) throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return s.getLocalPort();
    }
  }

  private static Tool.Result script(
      Path dir, Map<String, String> env, String name, String... args) {
    List<String> command = new java.util.ArrayList<>();
    command.add(home.resolve("bin").resolve(name).toString());
    command.addAll(List.of(args));
    return Tool.exec(TIMEOUT, command, dir, env);
  }
}
