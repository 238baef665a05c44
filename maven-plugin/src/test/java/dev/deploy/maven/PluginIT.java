package dev.deploy.maven;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs Maven on {@code src/it/sample}, a user's project, with the plugin as built: a local
 * repository holds this build's artifacts, and everything else comes from the user's {@code ~/.m2}
 * as a {@code file://} mirror, so the test needs no network. Each Maven is killed with its
 * descendants when it outlives its timeout.
 */
class PluginIT {
  private static final String VERSION = System.getProperty("deploy.version");
  private static final Path ROOT = Path.of(System.getProperty("deploy.root"));
  private static Path repository;
  private static Path settings;

  @BeforeAll
  static void localRepository() throws IOException {
    Path target = ROOT.resolve("maven-plugin/target");
    repository = target.resolve("it-repository");
    install("deploy-parent", ROOT.resolve("pom.xml"), null);
    install(
        "deploy",
        ROOT.resolve("core/pom.xml"),
        ROOT.resolve("core/target/deploy-" + VERSION + ".jar"));
    install(
        "deploy-cli",
        ROOT.resolve("cli/pom.xml"),
        ROOT.resolve("cli/target/deploy-cli-" + VERSION + ".jar"));
    install(
        "deploy-maven-plugin",
        ROOT.resolve("maven-plugin/pom.xml"),
        Path.of(System.getProperty("deploy.plugin.jar")));
    settings = target.resolve("it-settings.xml");
    Files.writeString(
        settings,
        "<settings><mirrors><mirror><id>local</id><mirrorOf>*</mirrorOf><url>"
            + Path.of(System.getProperty("deploy.m2")).toUri()
            + "</url></mirror></mirrors></settings>\n");
  }

  /** Puts a module's POM and jar where a local repository keeps them. */
  private static void install(String artifact, Path pom, Path jar) throws IOException {
    Path dir = repository.resolve("dev/deploy/" + artifact + "/" + VERSION);
    Files.createDirectories(dir);
    String base = artifact + "-" + VERSION;
    Files.copy(pom, dir.resolve(base + ".pom"), StandardCopyOption.REPLACE_EXISTING);
    if (jar != null) {
      Files.copy(jar, dir.resolve(base + ".jar"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Test
  @Timeout(300)
  void givenSample_whenRun_thenMainAndItsWorkerRunWithTheArguments(@TempDir Path dir)
      throws IOException {
    Path project = sample(dir);

    Result r =
        maven(
            project,
            Map.of(),
            "deployrun:run",
            "-Ddeploy.mainClass=com.example.Main",
            "-Ddeploy.args=hello 'two words'");

    assertThat(r.code()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("worker says hi")
        .contains("main got 42 with args [hello, two words]")
        .contains("BUILD SUCCESS");
  }

  @Test
  @Timeout(300)
  void givenProgramExiting7_whenRun_thenBuildFailsNamingTheCode(@TempDir Path dir)
      throws IOException {
    Path project = sample(dir);

    Result r =
        maven(
            project,
            Map.of(),
            "dev.deploy:deploy-maven-plugin:" + VERSION + ":run",
            "-Ddeploy.mainClass=com.example.Main",
            "-Ddeploy.args=7");

    assertThat(r.code()).as(r.output()).isEqualTo(1);
    assertThat(r.output()).contains("com.example.Main exited with 7").contains("BUILD FAILURE");
  }

  @Test
  @Timeout(300)
  void givenAClusterOnLoopback_whenSubmit_thenTheProgramRunsThere(@TempDir Path dir)
      throws Exception {
    Path project = sample(dir);
    Path key = dir.resolve("cluster.key");
    Result keygen = java(dir, "keygen", key.toString());
    assertThat(keygen.code()).as(keygen.output()).isZero();
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> master =
        javaCommand("fabric", "master", "127.0.0.1:" + port, "1GiB", "2", "--key-file=" + key);
    Process daemon =
        new ProcessBuilder(master).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      CompletableFuture<Void> up = new CompletableFuture<>();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(daemon.getErrorStream(), UTF_8))) {
                  for (String line; (line = in.readLine()) != null; ) {
                    if (line.contains("fabric master: deploy to")) {
                      up.complete(null);
                    }
                  }
                } catch (IOException e) {
                  // Killed.
                }
                up.completeExceptionally(new IllegalStateException("the master ended"));
              });
      reader.setDaemon(true);
      reader.start();
      up.get(60, TimeUnit.SECONDS);

      Result r =
          maven(
              project,
              Map.of("DEPLOY_KEY_FILE", key.toString()),
              "deployrun:submit",
              "-Ddeploy.bridge=127.0.0.1:" + port,
              "-Ddeploy.mainClass=com.example.Main",
              "-Ddeploy.args=remote");

      assertThat(r.code()).as(r.output()).isZero();
      assertThat(r.output())
          .contains("worker says hi")
          .contains("main got 42 with args [remote]")
          .contains("BUILD SUCCESS");
    } finally {
      daemon.descendants().forEach(ProcessHandle::destroyForcibly);
      daemon.destroyForcibly();
      daemon.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** Copies the sample into {@code dir} with this build's version. */
  private static Path sample(Path dir) throws IOException {
    Path from = ROOT.resolve("maven-plugin/src/it/sample");
    Path to = dir.resolve("sample");
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path t = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(t);
        } else {
          Files.writeString(t, Files.readString(f).replace("@deploy.version@", VERSION));
        }
      }
    }
    return to;
  }

  record Result(int code, String output) {}

  private static Result maven(Path project, Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("maven.home"), "bin", "mvn").toString());
    command.addAll(List.of("-B", "-s", settings.toString(), "-Dmaven.repo.local=" + repository));
    command.addAll(List.of(args));
    return exec(project, env, command);
  }

  private static List<String> javaCommand(String... args) {
    List<String> command = new ArrayList<>();
    command.add(JavaFork.java());
    command.add("-jar");
    command.add(ROOT.resolve("cli/target/deploy.jar").toString());
    command.addAll(List.of(args));
    return command;
  }

  private static Result java(Path dir, String... args) {
    return exec(dir, Map.of(), javaCommand(args));
  }

  /** Runs {@code command} to its end, or kills it and its descendants after 240 s. */
  private static Result exec(Path dir, Map<String, String> env, List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    builder.redirectErrorStream(true);
    builder.environment().keySet().removeIf(n -> n.startsWith("DEPLOY_") || n.startsWith("MAVEN_"));
    builder.environment().putAll(env);
    Process p;
    try {
      p = builder.start();
      p.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
    try {
      if (!p.waitFor(240, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        return new Result(-1, "timed out: " + command + "\n" + out.join());
      }
      return new Result(p.exitValue(), out.join());
    } catch (InterruptedException e) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static String drain(InputStream in) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (in) {
      in.transferTo(bytes);
    } catch (IOException e) {
      // Killed: what came so far.
    }
    return bytes.toString(UTF_8);
  }
}
