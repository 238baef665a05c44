package dev.deploy.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.e2e.programs.cluster.AdvertisedPids;
import dev.deploy.e2e.programs.cluster.FireAndForget;
import dev.deploy.e2e.programs.cluster.ImpersonateMaster;
import dev.deploy.e2e.programs.cluster.LoseOneMachine;
import dev.deploy.e2e.programs.cluster.PrintArgs;
import dev.deploy.e2e.programs.cluster.Sleepers;
import dev.deploy.e2e.programs.cluster.Spread;
import dev.deploy.e2e.programs.cluster.TailWhilePaused;
import dev.deploy.e2e.programs.exits.Success;
import dev.deploy.e2e.programs.output.BigOutput;
import dev.deploy.e2e.programs.output.ParentAndChildPrint;
import dev.deploy.e2e.tester.Cluster;
import dev.deploy.e2e.tester.ClusterCleanup;
import dev.deploy.e2e.tester.ClusterLayout;
import dev.deploy.e2e.tester.ClusterRunner;
import dev.deploy.e2e.tester.Clusters;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.ObservedProcess;
import dev.deploy.e2e.tester.ProgramCase;
import dev.deploy.e2e.tester.Run;
import dev.deploy.e2e.tester.RunOptions;
import dev.deploy.e2e.tester.RunningProgram;
import dev.deploy.e2e.tester.Tool;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cluster's own behaviour, each test with a cluster of its own on 127.0.0.0/8 (every daemon a
 * real {@code java -jar deploy.jar} process, killed with everything under it after the test):
 * placement over several machines, a full cluster refusing and queueing, the jar cache, a worker
 * that dies and rejoins, a wrong key, a deploy client killed while another deployment runs, and bad
 * input to {@code deploy} and {@code fabric}, which must fail with one sentence and no stack trace.
 * That the cluster runs every program as a local run does is {@link ClusterSuiteIT}.
 */
@ExtendWith(ClusterCleanup.class)
class ClusterIT {
  private static final String WORKER_2 = "127.0.0.2";
  private static final Set<String> ALL_HOSTS = Set.of("127.0.0.1", WORKER_2, "127.0.0.3");

  // ----- placement

  @Test
  @Timeout(120)
  void givenChildrenThatFitOnlyOnePerMachine_whenSpawned_thenSpreadThenRefusedThenQueued(
      Clusters clusters) {
    Cluster cluster = clusters.start(ClusterLayout.THREE_SMALL_MACHINES);

    Run run = cluster.runner().run(Spread.class, RunOptions.defaults());

    run.assertMatches(spread());
  }

  /** What {@link Spread} does on three machines of 1 GiB. */
  private static Expect spread() {
    return Expect.process()
        .stdout("fourth spawn: empty\nqueued spawn waiting: true\n")
        .children(
            Spread.MACHINES, Expect.process().stdoutMatches("child \\d on 127\\.0\\.0\\.\\d\n"))
        .child(Expect.process().stdoutMatches("queued on 127\\.0\\.0\\.\\d\n"))
        .satisfies(
            "its first three children run on 127.0.0.1, 127.0.0.2 and 127.0.0.3",
            p ->
                p.children().stream()
                    .filter(c -> c.stdoutText().startsWith("child "))
                    .map(ClusterIT::host)
                    .collect(Collectors.toSet())
                    .equals(ALL_HOSTS))
        .satisfies(
            "the queued child was spawned after child 0 exited, on child 0's machine",
            p -> {
              ObservedProcess first = childStartingWith(p, "child 0 ");
              ObservedProcess queued = childStartingWith(p, "queued ");
              return first != null
                  && queued != null
                  && first.exitIndex() >= 0
                  && queued.spawnIndex() > first.exitIndex()
                  && host(queued).equals(host(first));
            });
  }

  // ----- addresses: bind and advertise

  @Test
  @Timeout(120)
  void givenWorkerOnWildcardAdvertisingLoopback_whenProcessesExchange_thenEveryPidIsAdvertised(
      Clusters clusters) {
    Cluster cluster = clusters.start(ClusterLayout.WILDCARD_WORKER);

    // Two children of 768 MiB on two machines of 1 GiB: one on the master, one on the worker.
    Run run = cluster.runner().run(AdvertisedPids.class, RunOptions.defaults());

    run.assertMatches(
        Expect.process()
            .stdout("main at 127.0.0.1, children at 127.0.0.1 and 127.0.0.1\n")
            .child(Expect.process().stdoutMatches(childLine(0, 101)))
            .child(Expect.process().stdoutMatches(childLine(1, 100))));
    assertThat(cluster.worker(WORKER_2).log())
        .contains("worker listening on 0.0.0.0:")
        .contains("advertised as 127.0.0.1:");
  }

  /** What child {@code index} of {@link AdvertisedPids} prints when every pid is 127.0.0.1. */
  private static String childLine(int index, int got) {
    return "child "
        + index
        + " at 127\\.0\\.0\\.1, os pid \\d+, the other at 127\\.0\\.0\\.1, got "
        + got
        + "\n";
  }

  @Test
  @Timeout(60)
  void givenWorkerOnWildcardWithoutAdvertise_whenStarted_thenRefusesWithOneSentence(
      @TempDir Path dir) throws IOException {
    Path key = Tool.keygen(dir.resolve("cluster.key"));
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort(); // closed again: the fabric must refuse before binding anyway
    }

    Tool.Result r =
        Tool.run(
            Duration.ofSeconds(30),
            "fabric",
            "0.0.0.0:" + port,
            "--key-file",
            key.toString(),
            "--cache",
            dir.resolve("cache").toString());

    assertThat(r.exitCode()).as(r.context()).isEqualTo(2);
    assertOneSentence(r, "fabric: ");
    assertThat(r.stderr())
        .as(r.context())
        .contains("0.0.0.0:" + port)
        .contains("pass --advertise <this machine's address>");
  }

  // ----- a spawn in flight

  @Test
  @Timeout(120)
  void givenParentThatSpawnAsyncsOntoAWorkerAndExits_whenDeployed_thenTheRunWaitsForTheChild(
      Clusters clusters) {
    // The parent takes the master's only processor, so its child can only go to the worker.
    Cluster cluster =
        clusters.start(
            ClusterLayout.of("2GiB", "1", new ClusterLayout.Machine(WORKER_2, "1GiB", "1")));

    Run run = cluster.runner().run(FireAndForget.class, RunOptions.defaults());

    run.assertMatches(
        Expect.process()
            .stdout("parent leaves\n")
            .child(Expect.process().stdout("child on " + WORKER_2 + "\n").exit(3))
            .bridgeExit(3));
  }

  // ----- the jar cache

  @Test
  @Timeout(120)
  void givenProgramDeployedOnce_whenDeployedAgain_thenNoJarBytesSent(Clusters clusters) {
    ClusterRunner runner =
        clusters.start(ClusterLayout.THREE_SMALL_MACHINES).runner().withDeployOptions("--verbose");
    Expect expected = ProgramCase.of(Success.class).expected().anyBridgeStderr();

    Run first = runner.run(Success.class, RunOptions.defaults());
    Run second = runner.run(Success.class, RunOptions.defaults());

    first.assertMatches(expected);
    second.assertMatches(expected);
    assertThat(sentBytes(first)).as(first.context()).isPositive();
    assertThat(sentBytes(second)).as(second.context()).isZero();
  }

  /** The number in deploy's {@code --verbose} line {@code deploy: sent N bytes of jars}. */
  private static long sentBytes(Run run) {
    Matcher m =
        Pattern.compile("^deploy: sent (\\d+) bytes of jars$", Pattern.MULTILINE)
            .matcher(run.stderrText());
    assertThat(m.find())
        .as("a --verbose line saying how many bytes were sent\n" + run.context())
        .isTrue();
    return Long.parseLong(m.group(1));
  }

  // ----- a worker that dies

  @Test
  @Timeout(180)
  void givenChildOnEachMachine_whenWorkerKilled_thenItsChildLostExit1AndRestartedWorkerRejoins(
      Clusters clusters) {
    Cluster cluster = clusters.start(ClusterLayout.THREE_SMALL_MACHINES);
    ClusterRunner runner = cluster.runner();
    RunningProgram running =
        runner.start(LoseOneMachine.class, RunOptions.defaults().env("E2E_VICTIM", WORKER_2));
    awaitStdout(running, "children on [127.0.0.1, 127.0.0.2, 127.0.0.3]\n", cluster);
    // Each child's own line travels from its machine on its own: it may come after the parent's.
    await()
        .atMost(10, TimeUnit.SECONDS)
        .untilAsserted(() -> assertChildrenRunUnderTheirDaemons(running, cluster));

    List<ProcessHandle> orphans = cluster.killWorker(WORKER_2);
    Run run = running.await(Duration.ofSeconds(60));

    run.assertMatches(
        Expect.process()
            .stdout("children on [127.0.0.1, 127.0.0.2, 127.0.0.3]\nthe child on 127.0.0.2: LOST\n")
            .children(2, Expect.process().stdoutMatches("on 127\\.0\\.0\\.[13], os pid \\d+\n"))
            .child(Expect.process().stdoutMatches("on 127\\.0\\.0\\.2, os pid \\d+\n").lost())
            .bridgeExit(1));
    assertThat(cluster.master().log()).contains("lost the worker " + WORKER_2);
    await()
        .atMost(5, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(orphans)
                    .as("processes that were under the killed worker")
                    .noneMatch(RunningProgram::isRunning));

    cluster.restartWorker(WORKER_2);
    runner.run(Spread.class, RunOptions.defaults()).assertMatches(spread());
  }

  /** Each child's os pid is a process under the daemon of the machine it says it runs on. */
  private static void assertChildrenRunUnderTheirDaemons(RunningProgram running, Cluster cluster) {
    Pattern line = Pattern.compile("on (127\\.0\\.0\\.\\d), os pid (\\d+)\n");
    List<String> checked = new ArrayList<>();
    for (String out : running.tree().stdoutSoFar().values()) {
      Matcher m = line.matcher(out);
      if (!m.matches()) {
        continue;
      }
      String host = m.group(1);
      long pid = Long.parseLong(m.group(2));
      var daemon = host.equals("127.0.0.1") ? cluster.master() : cluster.worker(host);
      assertThat(daemon.processes().stream().map(ProcessHandle::pid))
          .as("the processes under " + daemon + ", where a child says it runs")
          .contains(pid);
      checked.add(host);
    }
    assertThat(checked).containsExactlyInAnyOrderElementsOf(ALL_HOSTS);
  }

  // ----- program arguments

  @Test
  @Timeout(120)
  void givenTwoProgramArguments_whenDeployed_thenMainGetsBoth(Clusters clusters) {
    ClusterRunner runner = clusters.start(ClusterLayout.THREE_SMALL_MACHINES).runner();

    Run run = runner.run(PrintArgs.class, RunOptions.defaults().args("one", "two words"));

    run.assertMatches(Expect.process().stdout("[one, two words]\n"));
  }

  /**
   * A JVM prints its own warnings on stdout by default; the fabric sends a spawned JVM's to its
   * stderr, so a process's stdout is what its program wrote. A cluster run, because there the
   * program's JVM options reach only the JVMs the fabrics start, not the {@code deploy} client.
   */
  @Test
  @Timeout(120)
  void givenJvmOptionThatMakesTheJvmWarn_whenDeployed_thenWarningsAreOnStderrOnly(Clusters clusters)
      throws IOException, InterruptedException {
    String option = "-XX:+UseLargePages"; // warns where no large pages are configured
    Process probe =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                option,
                "-version")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String probeOut = new String(probe.getInputStream().readAllBytes(), UTF_8);
    assertThat(probe.waitFor(30, TimeUnit.SECONDS)).isTrue();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        probeOut.contains("[warning]"), "this machine has large pages: the JVM does not warn");
    ClusterRunner runner = clusters.start(ClusterLayout.THREE_SMALL_MACHINES).runner();

    Run run = runner.run(ParentAndChildPrint.class, RunOptions.defaults().jvm(option));

    run.assertMatches(
        Expect.process()
            .stdout("parent says hi\n")
            .stderrContains("parent warns\n")
            .stderrContains("[warning]")
            .child(
                Expect.process()
                    .stdout("child says hi\n")
                    .stderrContains("child warns\n")
                    .stderrContains("[warning]")));
  }

  @Test
  @Timeout(120)
  void givenOneProgramArgument_whenDeployed_thenMainGetsIt(Clusters clusters) {
    ClusterRunner runner = clusters.start(ClusterLayout.THREE_SMALL_MACHINES).runner();

    Run run = runner.run(PrintArgs.class, RunOptions.defaults().args("one"));

    run.assertMatches(Expect.process().stdout("[one]\n"));
  }

  // ----- keys

  /**
   * A deployed program reads the key in its environment and dials a worker as the master: it holds
   * its deployment's key, never the cluster key, so the worker refuses it.
   */
  @Test
  @Timeout(120)
  void givenProgramThatUsesItsOwnKey_whenItDialsAWorkerAsTheMaster_thenRefused(Clusters clusters) {
    Cluster cluster = clusters.start(ClusterLayout.THREE_SMALL_MACHINES);

    Run run =
        cluster
            .runner()
            .run(
                ImpersonateMaster.class,
                RunOptions.defaults().args(cluster.workerAddress(WORKER_2)));

    run.assertMatches(Expect.process().stdoutMatches("refused: .+\n"));
  }

  @Test
  @Timeout(120)
  void givenWrongKey_whenDeploy_thenExit1WithOneSentenceAndMasterKeepsServing(Clusters clusters) {
    Cluster cluster = clusters.start(ClusterLayout.THREE_SMALL_MACHINES);
    Path wrongKey = Tool.keygen(cluster.directory().resolve("wrong.key"));

    Tool.Result refused =
        deploy(
            Duration.ofSeconds(60),
            wrongKey,
            cluster.bridgeAddress(),
            ClusterRunner.classPath(),
            Success.class.getName());

    assertThat(refused.exitCode()).as(refused.context()).isEqualTo(1);
    assertOneSentence(refused, "deploy: the bridge at " + cluster.bridgeAddress() + " ");
    assertThat(refused.stderr()).as(refused.context()).contains("cluster key");
    assertThat(refused.stdout()).as(refused.context()).isEmpty();
    assertThat(cluster.master().log()).contains("refused a connection");
    assertStillServes(cluster);
  }

  @Test
  @Timeout(120)
  void givenWorkersAddress_whenDeploy_thenExit1SayingSoAndTheWorkerKeepsItsMaster(
      Clusters clusters) {
    Cluster cluster = clusters.start(ClusterLayout.THREE_SMALL_MACHINES);
    String worker = cluster.worker(WORKER_2).name().substring("worker ".length());

    Tool.Result refused =
        deploy(
            Duration.ofSeconds(60),
            cluster.keyFile(),
            worker,
            ClusterRunner.classPath(),
            Success.class.getName());

    assertThat(refused.exitCode()).as(refused.context()).isEqualTo(1);
    assertOneSentence(refused, "deploy: " + worker + " is a worker (fabric), not a bridge");
    assertThat(cluster.master().log()).doesNotContain("lost the worker");
    assertStillServes(cluster);
  }

  // ----- a deploy client that stops reading

  @Test
  @Timeout(180)
  void givenClientThatStopsReading_whenAnotherDeploys_thenItIsNotHeldUpAndTheFirstLosesNothing(
      Clusters clusters) throws IOException, InterruptedException {
    Cluster cluster = clusters.start(ClusterLayout.THREE_MACHINES);
    ClusterRunner runner = cluster.runner().sharing();
    RunningProgram big = runner.start(BigOutput.class, RunOptions.defaults());
    await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> big.tree().stdoutSoFar().values().stream().anyMatch(o -> !o.isEmpty()));

    // The client stops reading (as a pager that waits for a key would make it) for 6 s: less
    // than the 10 s after which the bridge takes a silent client as gone.
    signal("-STOP", big.handle().pid());
    try {
      long start = System.nanoTime();
      runner
          .run(Success.class, RunOptions.defaults())
          .assertMatches(ProgramCase.of(Success.class).expected());
      long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      Thread.sleep(Math.max(0, 6_000 - elapsed));
    } finally {
      signal("-CONT", big.handle().pid());
    }

    Run result = big.await(Duration.ofSeconds(90));
    try {
      result.assertMatches(ProgramCase.of(BigOutput.class).expected());
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\ndaemons' logs:\n" + cluster.logs(), e);
    }
  }

  @Test
  @Timeout(240)
  void givenClientThatStopsReading_whenAProcessWritesItsLastLinesAndExits_thenAllArriveOnceItReads(
      Clusters clusters) throws IOException {
    Cluster cluster = clusters.start(ClusterLayout.THREE_MACHINES);
    Path pidFile = cluster.directory().resolve("child.pid");
    // A pager that waits for a key: the client stays connected, but reads nothing more.
    RunningProgram running =
        cluster
            .runner()
            .startNotReading(
                TailWhilePaused.class, RunOptions.defaults().args(cluster.directory().toString()));
    await().atMost(120, TimeUnit.SECONDS).until(() -> Files.exists(pidFile));
    long childOsPid = Long.parseLong(Files.readString(pidFile).strip());
    await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> ProcessHandle.of(childOsPid).map(h -> !h.isAlive()).orElse(true));

    // The fabric gave an exited process's pipes 4 s, then reported its exit without what they
    // held: read on only after that, as a user who reads the pager's first page would.
    await().pollDelay(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(7)).until(() -> true);
    running.readOn();
    Run run = running.await(Duration.ofSeconds(150));

    try {
      run.assertMatches(
          Expect.process()
              .stderrMatches("wrote \\d+\n")
              .satisfies(
                  "its stdout is every byte it said it wrote",
                  p -> p.stderrText().equals("wrote " + p.stdoutSize() + "\n"))
              .child(
                  Expect.process()
                      .stdout(TailWhilePaused.CHILD_STDOUT)
                      .stderr(TailWhilePaused.CHILD_STDERR)
                      .exit(3)
                      .satisfies(
                          "both its streams ended before its exit", p -> p.eof(1) && p.eof(2)))
              .bridgeExit(3));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\ndaemons' logs:\n" + cluster.logs(), e);
    }
  }

  private static void signal(String signal, long pid) throws IOException, InterruptedException {
    int status = new ProcessBuilder("kill", signal, String.valueOf(pid)).start().waitFor();
    assertThat(status).as("kill " + signal + " " + pid).isZero();
  }

  // ----- a deploy client that is killed

  @Test
  @Timeout(180)
  void givenTwoDeployments_whenOneClientIsSigkilled_thenOnlyItsProcessesAreGone(Clusters clusters)
      throws IOException {
    Cluster cluster = clusters.start(ClusterLayout.THREE_MACHINES);
    ClusterRunner runner = cluster.runner().sharing();
    Path releaseA = cluster.directory().resolve("release-a");
    Path releaseB = cluster.directory().resolve("release-b");
    RunningProgram a = runner.start(Sleepers.class, sleepers("a", releaseA));
    RunningProgram b = runner.start(Sleepers.class, sleepers("b", releaseB));
    List<Long> pidsOfA = awaitSleepers(a, cluster);
    List<Long> pidsOfB = awaitSleepers(b, cluster);
    assertThat(processesOf("a", cluster))
        .as("processes with E2E_DEPLOYMENT=a")
        .containsAll(pidsOfA);
    assertThat(processesOf("b", cluster))
        .as("processes with E2E_DEPLOYMENT=b")
        .containsAll(pidsOfB);

    a.handle().destroyForcibly();

    // Both within the bound: a process in the middle of its exit has no environment to read any
    // more, yet is not a zombie (CI under load saw one between the two looks).
    await()
        .atMost(5, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              assertThat(processesOf("a", cluster))
                  .as("processes of the killed client's deployment\n" + cluster.logs())
                  .isEmpty();
              assertThat(pidsOfA).as("the killed client's processes").noneMatch(ClusterIT::running);
            });
    assertThat(pidsOfB).as("the other deployment's processes").allMatch(ClusterIT::running);
    Files.createFile(releaseB);
    Run run = b.await();
    run.assertMatches(
        Expect.process()
            .stdoutMatches("os pid \\d+\n")
            .children(2, Expect.process().stdoutMatches("os pid \\d+\n")));
    await()
        .atMost(ClusterRunner.GRACE)
        .untilAsserted(
            () -> assertThat(cluster.processes()).as("processes left on the cluster").isEmpty());
  }

  @Test
  @Timeout(120)
  void givenSleepers_whenClientGetsSigterm_thenTheirEndsArePrintedAndAllAreGone(Clusters clusters)
      throws IOException, InterruptedException {
    Cluster cluster = clusters.start(ClusterLayout.THREE_MACHINES);
    RunningProgram running =
        cluster
            .runner()
            .start(Sleepers.class, sleepers("term", cluster.directory().resolve("never")));
    List<Long> pids = awaitSleepers(running, cluster);

    int status =
        new ProcessBuilder("kill", "-TERM", String.valueOf(running.handle().pid()))
            .start()
            .waitFor();
    Run run = running.await(Duration.ofSeconds(30));

    assertThat(status).as("kill -TERM of the deploy client").isZero();
    assertThat(run.timedOut()).as(run.context()).isFalse();
    assertThat(run.exitCode()).as(run.context()).isNotZero();
    assertThat(run.tree().violations(true)).as(run.context()).isEmpty();
    assertThat(run.survivors()).as(run.context()).isEmpty();
    assertThat(pids).as("the deployment's processes").noneMatch(ClusterIT::running);
  }

  private static RunOptions sleepers(String deployment, Path release) {
    return RunOptions.defaults()
        .env("E2E_DEPLOYMENT", deployment)
        .args("2", release.toString())
        .timeout(Duration.ofSeconds(120));
  }

  /** Waits until the first process and both children said their os pid; returns those pids. */
  private static List<Long> awaitSleepers(RunningProgram running, Cluster cluster) {
    Pattern line = Pattern.compile("os pid (\\d+)\n");
    await()
        .atMost(60, TimeUnit.SECONDS)
        .until(
            () ->
                !running.handle().isAlive()
                    || running.tree().stdoutSoFar().values().stream()
                            .filter(s -> line.matcher(s).matches())
                            .count()
                        == 3);
    if (!running.handle().isAlive()) {
      throw new AssertionError(
          "the deploy client ended:\n"
              + running.await(Duration.ofSeconds(5)).context()
              + cluster.logs());
    }
    List<Long> pids = new ArrayList<>();
    for (String out : running.tree().stdoutSoFar().values()) {
      Matcher m = line.matcher(out);
      if (m.matches()) {
        pids.add(Long.parseLong(m.group(1)));
      }
    }
    return pids;
  }

  /** The pids of processes under the daemons whose environment has E2E_DEPLOYMENT=deployment. */
  private static List<Long> processesOf(String deployment, Cluster cluster) {
    byte[] wanted = ("E2E_DEPLOYMENT=" + deployment).getBytes(UTF_8);
    List<Long> pids = new ArrayList<>();
    for (ProcessHandle h : cluster.processes()) {
      byte[] environ;
      try {
        environ = Files.readAllBytes(Path.of("/proc/" + h.pid() + "/environ"));
      } catch (IOException e) {
        continue; // it ended meanwhile
      }
      for (String entry : new String(environ, UTF_8).split("\0")) {
        if (entry.equals(new String(wanted, UTF_8))) {
          pids.add(h.pid());
        }
      }
    }
    return pids;
  }

  private static boolean running(long pid) {
    return ProcessHandle.of(pid).map(RunningProgram::isRunning).orElse(false);
  }

  // ----- bad input

  @Test
  @Timeout(120)
  void givenTextFileNamedJar_whenDeployed_thenOneSentenceAndExit1(Clusters clusters)
      throws IOException {
    Cluster cluster = clusters.start(ClusterLayout.THREE_SMALL_MACHINES);
    Path notAJar = cluster.directory().resolve("x.jar");
    Files.writeString(notAJar, "this is not a jar\n");

    Tool.Result r = deploy(cluster, notAJar.toString(), "dev.deploy.e2e.Main");

    assertThat(r.exitCode()).as(r.context()).isNotNull().isNotZero();
    assertOneSentence(r, "deploy: ");
    assertThat(r.stderr()).as(r.context()).contains("x.jar");
  }

  @Test
  @Timeout(120)
  void givenJarOverTheBridgesLimit_whenDeployed_thenOneSentenceAndExit1AndNothingStored(
      Clusters clusters) throws IOException {
    Cluster cluster =
        clusters.start(ClusterLayout.THREE_SMALL_MACHINES, List.of("--max-jar-size", "1MiB"));
    Path big = cluster.directory().resolve("big.jar");
    byte[] noise = new byte[3 << 20];
    new Random(7).nextBytes(noise); // incompressible: the jar stays over 3 MiB
    try (java.util.zip.ZipOutputStream zip =
        new java.util.zip.ZipOutputStream(Files.newOutputStream(big))) {
      zip.putNextEntry(new java.util.zip.ZipEntry("noise.bin"));
      zip.write(noise);
      zip.closeEntry();
    }
    long size = Files.size(big);

    Tool.Result r = deploy(cluster, big.toString(), "dev.deploy.e2e.Main");

    assertThat(r.exitCode()).as(r.context()).isEqualTo(1);
    assertOneSentence(r, "deploy: ");
    assertThat(r.stderr())
        .as(r.context())
        .contains("big.jar has ")
        .contains("(" + size + " bytes)")
        .contains("over the bridge's limit of 1 MiB per jar (--max-jar-size)");
    try (Stream<Path> cached =
        Files.list(cluster.directory().resolve("cache-" + cluster.layout().master().host()))) {
      assertThat(cached).as("files in the bridge's jar cache").isEmpty();
    }
  }

  @Test
  @Timeout(120)
  void givenMainClassThatDoesNotExist_whenDeployed_thenOneSentenceAndExit1(Clusters clusters) {
    Cluster cluster = clusters.start(ClusterLayout.THREE_SMALL_MACHINES);

    Tool.Result r = deploy(cluster, ClusterRunner.classPath(), "dev.deploy.e2e.NoSuchMain");

    assertThat(r.exitCode()).as(r.context()).isEqualTo(1);
    assertOneSentence(r, "deploy: ");
    assertThat(r.stderr()).as(r.context()).contains("dev.deploy.e2e.NoSuchMain");
    assertThat(cluster.processes()).as("processes left on the cluster").isEmpty();
  }

  private static Tool.Result deploy(Cluster cluster, String classPath, String mainClass) {
    return deploy(
        Duration.ofSeconds(90), cluster.keyFile(), cluster.bridgeAddress(), classPath, mainClass);
  }

  /**
   * Runs {@code deploy --format json --key-file <keyFile> <bridge> <classPath> <mainClass>}, killed
   * after {@code limit}.
   */
  private static Tool.Result deploy(
      Duration limit, Path keyFile, String bridge, String classPath, String mainClass) {
    return Tool.run(
        limit,
        "deploy",
        "--format",
        "json",
        "--key-file",
        keyFile.toString(),
        bridge,
        classPath,
        mainClass);
  }

  /** The cluster still runs a program as it should. */
  private static void assertStillServes(Cluster cluster) {
    cluster
        .runner()
        .run(Success.class, RunOptions.defaults())
        .assertMatches(ProgramCase.of(Success.class).expected());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badCommandLines")
  @Timeout(60)
  void givenBadCommandLine_whenRun_thenOneSentenceAndNonZeroExit(
      String description, List<String> args, String prefix, @TempDir Path dir) throws IOException {
    Path key = Tool.keygen(dir.resolve("cluster.key"));
    Files.writeString(
        dir.resolve("nodes.toml"),
        "[master]\nmemory = \"1GiB\"\ncpu = 1\n\n[[node]]\naddress = \"127.0.0.2:7000\n");
    String nobody;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      nobody = "127.0.0.1:" + s.getLocalPort(); // closed again: nobody listens there
    }
    List<String> all = new ArrayList<>();
    for (String a : args) {
      all.add(a.replace("$DIR", dir.toString()).replace("$NOBODY", nobody));
    }
    all.add("--key-file");
    all.add(key.toString());

    Tool.Result r = Tool.run(Duration.ofSeconds(30), all.toArray(String[]::new));

    System.out.println("e2e " + description + ": exit " + r.exitCode() + ", " + r.stderr().strip());
    assertThat(r.exitCode()).as(r.context()).isNotNull().isNotZero();
    assertOneSentence(r, prefix);
  }

  static Stream<Arguments> badCommandLines() {
    return Stream.of(
        Arguments.of(
            "deploy to a bridge address without a port",
            List.of("deploy", "nohost", "1", "x"),
            "deploy: "),
        Arguments.of(
            "deploy to a bridge nobody listens on",
            List.of("deploy", "$NOBODY", ClusterRunner.classPath(), Success.class.getName()),
            "deploy: "),
        Arguments.of("a worker address without a port", List.of("fabric", "10.0.0.1"), "fabric: "),
        Arguments.of(
            "an unknown unit of memory",
            List.of("fabric", "master", "127.0.0.1:1", "4Gb", "2"),
            "fabric master: "),
        Arguments.of(
            "a jar size limit that is not a size",
            List.of("fabric", "127.0.0.1:1", "--max-jar-size", "lots"),
            "fabric: "),
        Arguments.of(
            "a program size limit of zero",
            List.of("fabric", "master", "127.0.0.1:1", "1GiB", "1", "--max-program-size", "0"),
            "fabric master: "),
        Arguments.of(
            "a nodes.toml whose string never ends",
            List.of("fabric", "master", "127.0.0.1:1", "$DIR/nodes.toml"),
            "fabric master: "));
  }

  @Test
  @Timeout(60)
  void givenBridgeThatAnswersGarbage_whenDeploy_thenOneSentenceAndExit1(@TempDir Path dir)
      throws IOException {
    Path key = Tool.keygen(dir.resolve("cluster.key"));
    try (Garbage garbage = new Garbage()) {
      Tool.Result r =
          deploy(
              Duration.ofSeconds(45),
              key,
              garbage.address(),
              ClusterRunner.classPath(),
              Success.class.getName());

      System.out.println("e2e a bridge that answers garbage: " + r.stderr().strip());
      assertThat(r.exitCode()).as(r.context()).isEqualTo(1);
      assertOneSentence(r, "deploy: ");
      assertThat(r.stderr()).as(r.context()).contains(garbage.address());
    }
  }

  /**
   * A "fabric" on 127.0.0.1 that answers every connection with random bytes, then keeps it open
   * until the other end closes it.
   */
  private static final class Garbage implements AutoCloseable {
    private final ServerSocket server;
    private final Thread acceptor;

    Garbage() throws IOException {
      server = new ServerSocket();
      server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      acceptor = new Thread(this::serve, "e2e-garbage-bridge");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    String address() {
      return "127.0.0.1:" + server.getLocalPort();
    }

    private void serve() {
      Random random = new Random(42);
      while (!server.isClosed()) {
        try (Socket s = server.accept();
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream()) {
          byte[] bytes = new byte[64 << 10];
          random.nextBytes(bytes);
          out.write(bytes);
          out.flush();
          in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
          // The client hung up, or the server was closed: next connection, or the end.
        }
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  // ----- helpers

  /**
   * Stderr is one line that starts with {@code prefix}: no stack trace, no internal error, no usage
   * text.
   */
  private static void assertOneSentence(Tool.Result r, String prefix) {
    assertThat(r.stderr()).as(r.context()).startsWith(prefix).endsWith("\n");
    assertThat(r.stderr().strip()).as(r.context()).doesNotContain("\n");
    assertThat(r.stderr()).as(r.context()).doesNotContain("\tat ").doesNotContain("internal error");
  }

  /** Waits until some process of the run printed {@code text}; fails if the client ends first. */
  private static void awaitStdout(RunningProgram running, String text, Cluster cluster) {
    await()
        .atMost(60, TimeUnit.SECONDS)
        .until(
            () ->
                !running.handle().isAlive()
                    || running.tree().stdoutSoFar().values().stream()
                        .anyMatch(s -> s.contains(text)));
    if (!running.handle().isAlive()) {
      throw new AssertionError(
          "the deploy client ended before a process printed "
              + text.strip()
              + ":\n"
              + running.await(Duration.ofSeconds(5)).context()
              + cluster.logs());
    }
  }

  private static ObservedProcess childStartingWith(ObservedProcess p, String prefix) {
    return p.children().stream()
        .filter(c -> c.stdoutText().startsWith(prefix))
        .findFirst()
        .orElse(null);
  }

  /** The host a child of {@link Spread} says it runs on: the last word of its line. */
  private static String host(ObservedProcess child) {
    String line = child.stdoutText().strip();
    return line.substring(line.lastIndexOf(' ') + 1);
  }
}
