package dev.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.Resources;
import dev.deploy.bridge.JsonFormat;
import dev.deploy.cluster.client.DeployClient;
import dev.deploy.cluster.master.ClusterMaster;
import dev.deploy.k8s.programs.HoldOnSecondPod;
import dev.deploy.k8s.programs.TwoPods;
import dev.deploy.k8s.testing.Events;
import dev.deploy.k8s.testing.JvmKubelet;
import dev.deploy.k8s.testing.MockApi;
import dev.deploy.security.ClusterKey;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The master pod's logic with real fabric JVMs: fabric8's mock API server in CRUD mode, a {@link
 * ClusterMaster} with a {@link KubernetesNodeProvider} started by {@link MasterPodRunner} in this
 * JVM on a loopback "pod IP", and a {@link JvmKubelet} that runs each fabric pod the provider makes
 * as {@code java -jar deploy.jar fabric ...} with exactly the pod's arguments. A program deployed
 * with {@link DeployClient} makes pods as its spawns need room, runs inside them, and its output
 * and exit code come back; an OOM-killed pod's processes end {@code LOST}; idle pods are retired
 * and deleted, and their JVMs exit. Every JVM started is killed after each test.
 */
class KubernetesEndToEndIT {
  static final Path DEPLOY_JAR =
      Path.of(System.getProperty("deploy.jar", "../cli/target/deploy.jar"));
  static final Path PROGRAMS =
      Path.of(System.getProperty("deploy.programs", "target/test-classes"));
  static final Duration IDLE = Duration.ofSeconds(3);
  private static final Pattern LINE =
      Pattern.compile("(main|child \\d?) ?on (\\S+) os pid (\\d+) under \\[([\\d, ]*)\\]");

  @TempDir Path work;
  private final MockApi api = new MockApi();
  private final Map<String, String> dns = new ConcurrentHashMap<>();
  private JvmKubelet kubelet;
  private ClusterMaster master;
  private RunSettings settings;
  private String masterIp;
  private ClusterKey key;

  @BeforeEach
  void start() throws Exception {
    assertThat(DEPLOY_JAR).as("built by mvn -pl cli package").isRegularFile();
    // Pod IPs from a random 127.0.0.n on: the master binds port 7000 of its own.
    int first = 20 + ThreadLocalRandom.current().nextInt(200);
    kubelet =
        new JvmKubelet(
            api.kubelet(),
            "test",
            DEPLOY_JAR,
            work.resolve("kubelet"),
            first,
            dns,
            new JvmKubelet.MasterPods() {
              @Override
              public void added(Pod pod) {}

              @Override
              public void deleted(Pod pod) {}
            });
    masterIp = kubelet.nextIp();
    settings =
        new RunSettings(
            "test",
            "deploy-e2e",
            "example/deploy:1",
            3,
            new Resources(2L << 30, 1.5),
            Optional.empty(),
            BridgeTunnel.freeLoopbackPort(),
            "deploy");
    dns.put(settings.joinHost(), masterIp); // the headless service's name: the master pod's IP
    key = ClusterKey.generate();
    // What deploy k8s run makes: the master pod (its logic runs here), the Secret, the service.
    OwnerReference owner = new RunObjects(api.client()).create(settings, key);
    KubernetesNodeProvider provider =
        new KubernetesNodeProvider(api.client(), settings, owner, IDLE, Duration.ofMillis(200));
    master =
        MasterPodRunner.start(
            settings, key, masterIp, masterIp, provider, work.resolve("master-cache"));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (master != null) {
        master.close();
      }
    } finally {
      kubelet.close(); // SIGKILL to every JVM it started, and everything under them
      api.close();
    }
  }

  private DeployClient.Request request(Class<?> program) {
    return new DeployClient.Request(
        new InetSocketAddress(masterIp, settings.bridgePort()),
        DEPLOY_JAR + ":" + PROGRAMS,
        program.getName(),
        List.of(),
        List.of(),
        List.of());
  }

  private List<String> podsInApi() {
    return api.kubelet().pods().inNamespace("test").list().getItems().stream()
        .map(p -> p.getMetadata().getName())
        .sorted()
        .toList();
  }

  /** What a process said of where it runs: its host, OS pid and ancestors' pids. */
  record Where(String who, String host, long osPid, List<Long> ancestors) {}

  static List<Where> wheres(Events events) {
    List<Where> out = new ArrayList<>();
    for (String line : events.lines()) {
      Matcher m = LINE.matcher(line);
      if (m.matches()) {
        List<Long> ancestors = new ArrayList<>();
        for (String a : m.group(4).split(",\\s*")) {
          if (!a.isBlank()) {
            ancestors.add(Long.parseLong(a.trim()));
          }
        }
        out.add(new Where(m.group(1).trim(), m.group(2), Long.parseLong(m.group(3)), ancestors));
      }
    }
    return out;
  }

  /** Asserts each process ran under the fabric JVM of the pod whose IP its pid carries. */
  private void assertInsideTheirPods(List<Where> wheres, String context) {
    for (Where w : wheres) {
      JvmKubelet.PodJvm jvm =
          kubelet.withIp(w.host()).orElseThrow(() -> new AssertionError(w + " is on no pod"));
      assertThat(w.ancestors())
          .as(
              "%s runs under the fabric JVM of pod %s (pid %d)\n%s",
              w, jvm.pod(), jvm.process().pid(), context)
          .contains(jvm.process().pid());
    }
  }

  private String context(ByteArrayOutputStream out) {
    StringBuilder s = new StringBuilder("events:\n").append(out.toString(StandardCharsets.UTF_8));
    for (JvmKubelet.PodJvm j : kubelet.started()) {
      s.append("\n--- pod ").append(j.pod()).append(' ').append(j.command()).append('\n');
      s.append(j.log());
    }
    return s.toString();
  }

  @Test
  @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void givenSpawnsThatNeedRoom_whenDeployed_thenPodsRunThemAndIdlePodsAreDeletedAndTheirJvmsExit()
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    int code = new DeployClient(key, new JsonFormat(out), null, false).run(request(TwoPods.class));

    Events events = new Events(out.toString(StandardCharsets.UTF_8));
    String context = context(out);
    assertThat(code).as(context).isEqualTo(3);
    List<Where> wheres = wheres(events);
    assertThat(wheres)
        .as(context)
        .extracting(Where::who)
        .containsExactly("main", "child 0", "child 1");
    assertThat(events.lines()).as(context).contains("child 0 said ready", "child 1 said ready");
    // The main process and the first child on the first pod, the second child on a second one.
    List<JvmKubelet.PodJvm> pods = kubelet.started();
    assertThat(pods).as(context).hasSize(2);
    assertThat(wheres.get(0).host()).isEqualTo(pods.get(0).ip());
    assertThat(wheres.get(1).host()).isEqualTo(pods.get(0).ip());
    assertThat(wheres.get(2).host()).isEqualTo(pods.get(1).ip());
    assertInsideTheirPods(wheres, context);
    // Exactly the arguments the provider put in the pod, with the image's paths mapped.
    assertThat(pods.get(0).command())
        .as(context)
        .containsExactly(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx128m",
            "-XX:+UseSerialGC",
            "-jar",
            DEPLOY_JAR.toString(),
            "fabric",
            "--master",
            "deploy-e2e.test.svc:7000",
            "--name",
            "deploy-e2e-fabric-1",
            "--mem",
            "2048MiB",
            "--cpus",
            "1.5",
            "--advertise",
            pods.get(0).ip(),
            "--exit-after",
            "30s",
            "--no-cgroups",
            "--cache",
            work.resolve("kubelet/deploy-e2e-fabric-1/volumes/deploy-cache/jars").toString());

    try (var cached =
        java.nio.file.Files.list(
            work.resolve("kubelet/deploy-e2e-fabric-1/volumes/deploy-cache/jars"))) {
      assertThat(cached.map(f -> f.getFileName().toString()))
          .as("the program's jars in the pod's --cache")
          .anyMatch(f -> f.endsWith(".jar"));
    }

    // Nothing runs any more: both pods are retired after IDLE, deleted, and their JVMs exit.
    await()
        .atMost(60, TimeUnit.SECONDS)
        .untilAsserted(() -> assertThat(podsInApi()).containsExactly(settings.masterPod()));
    for (JvmKubelet.PodJvm p : pods) {
      assertThat(p.process().waitFor(30, TimeUnit.SECONDS)).as(p.pod() + "\n" + p.log()).isTrue();
    }
  }

  @Test
  @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void givenAPodOomKilled_whenItsProcessRuns_thenTheProcessIsLostAndTheRunGoesOn()
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CompletableFuture<Integer> run =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new DeployClient(key, new JsonFormat(out), null, false)
                    .run(request(HoldOnSecondPod.class));
              } catch (DeployClient.DeployFailure e) {
                throw new IllegalStateException(e.getMessage(), e);
              }
            });
    await()
        .atMost(90, TimeUnit.SECONDS)
        .until(
            () ->
                run.isDone()
                    || wheres(new Events(out.toString(StandardCharsets.UTF_8))).size() == 2);
    assertThat(run).as(context(out)).isNotDone();
    List<Where> wheres = wheres(new Events(out.toString(StandardCharsets.UTF_8)));
    assertInsideTheirPods(wheres, context(out));
    Where child = wheres.get(1);
    JvmKubelet.PodJvm victim = kubelet.withIp(child.host()).orElseThrow();
    assertThat(victim.pod()).isEqualTo("deploy-e2e-fabric-2");

    kubelet.oomKill(victim.pod());

    int code = run.get(60, TimeUnit.SECONDS);
    Events events = new Events(out.toString(StandardCharsets.UTF_8));
    String context = context(out);
    assertThat(events.lines()).as(context).contains("the child: LOST");
    assertThat(events.exits().values()).as(context).containsExactlyInAnyOrder("code=0", "lost");
    assertThat(code).as(context).isEqualTo(1);
    await()
        .atMost(10, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(ProcessHandle.of(child.osPid()).map(ProcessHandle::isAlive))
                    .as("the child's JVM, killed with its pod")
                    .isNotEqualTo(Optional.of(true)));
    Pod failed = api.kubelet().pods().inNamespace("test").withName(victim.pod()).get();
    assertThat(failed.getStatus().getPhase()).isEqualTo("Failed");
    // The failed pod is kept for kubectl logs; the idle one is retired and deleted.
    await()
        .atMost(60, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(podsInApi())
                    .containsExactlyInAnyOrder(settings.masterPod(), victim.pod()));
    JvmKubelet.PodJvm first = kubelet.jvm("deploy-e2e-fabric-1").orElseThrow();
    assertThat(first.process().waitFor(30, TimeUnit.SECONDS)).as(first.log()).isTrue();
    Set<String> said =
        kubelet.started().stream().map(JvmKubelet.PodJvm::pod).collect(Collectors.toSet());
    assertThat(said).containsExactlyInAnyOrder("deploy-e2e-fabric-1", "deploy-e2e-fabric-2");
  }

  @Test
  @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void givenFabricPodsCutOffFromTheirMaster_whenItVanishes_thenTheirJvmsExit1After30s()
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CompletableFuture<Integer> run =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new DeployClient(key, new JsonFormat(out), null, false)
                    .run(request(HoldOnSecondPod.class));
              } catch (DeployClient.DeployFailure e) {
                return -1; // the master is gone
              }
            });
    await()
        .atMost(90, TimeUnit.SECONDS)
        .until(
            () ->
                run.isDone()
                    || wheres(new Events(out.toString(StandardCharsets.UTF_8))).size() == 2);
    assertThat(run).as(context(out)).isNotDone();
    List<JvmKubelet.PodJvm> pods = kubelet.started();
    assertThat(pods).hasSize(2);

    // The master vanishes while its pods' node is cut off: nothing deletes their JVMs.
    kubelet.partition();
    long gone = System.nanoTime();
    master.close();
    master = null;

    for (JvmKubelet.PodJvm p : pods) {
      assertThat(p.process().waitFor(60, TimeUnit.SECONDS)).as(p.pod() + "\n" + p.log()).isTrue();
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - gone);
      assertThat(p.process().exitValue()).as(p.log()).isEqualTo(1);
      assertThat(p.log()).contains("stayed unreachable for 30");
      assertThat(tookMillis)
          .as("from the master's end to " + p.pod() + "'s exit")
          .isBetween(30_000L, 50_000L);
    }
    for (Where w : wheres(new Events(out.toString(StandardCharsets.UTF_8)))) {
      assertThat(ProcessHandle.of(w.osPid()).map(ProcessHandle::isAlive))
          .as(w + ": killed by its fabric")
          .isNotEqualTo(Optional.of(true));
    }
  }
}
