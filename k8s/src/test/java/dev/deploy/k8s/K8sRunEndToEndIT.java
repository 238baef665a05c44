package dev.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.bridge.JsonFormat;
import dev.deploy.cluster.master.ClusterMaster;
import dev.deploy.k8s.programs.TwoPods;
import dev.deploy.k8s.testing.Events;
import dev.deploy.k8s.testing.JvmKubelet;
import dev.deploy.k8s.testing.MockApi;
import dev.deploy.security.ClusterKey;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code deploy k8s run} driven end to end through {@link K8sCommand#execute} against the mock API
 * server: the command creates the run's objects and waits; the fake kubelet runs the master pod as
 * the master pod's main would (its arguments parsed by {@link MasterPod}, the key read from the
 * Secret, {@link MasterPodRunner} in this JVM on a loopback pod IP) and every fabric pod as a real
 * fabric JVM; the tunnel reaches the master's bridge directly. The command deploys, prints the
 * program's output, returns its exit code, and deletes the run; and on a failure, deletes it too.
 */
class K8sRunEndToEndIT {
  @TempDir Path work;
  private final MockApi api = new MockApi();
  private final Map<String, String> dns = new ConcurrentHashMap<>();
  private final List<ClusterMaster> masters = new CopyOnWriteArrayList<>();
  private final List<KubernetesClient> clients = new CopyOnWriteArrayList<>();
  private final Map<String, InetSocketAddress> bridges = new ConcurrentHashMap<>();
  private volatile boolean runMasters = true;
  private JvmKubelet kubelet;
  private final PrintStream err = System.err;
  private final ByteArrayOutputStream said = new ByteArrayOutputStream();

  @BeforeEach
  void start() {
    assertThat(KubernetesEndToEndIT.DEPLOY_JAR).as("built by mvn -pl cli package").isRegularFile();
    kubelet =
        new JvmKubelet(
            api.kubelet(),
            "test",
            KubernetesEndToEndIT.DEPLOY_JAR,
            work.resolve("kubelet"),
            20 + ThreadLocalRandom.current().nextInt(200),
            dns,
            new JvmKubelet.MasterPods() {
              @Override
              public void added(Pod pod) {
                if (runMasters) {
                  runMaster(pod);
                }
              }

              @Override
              public void deleted(Pod pod) {
                for (ClusterMaster m : masters) {
                  masters.remove(m);
                  m.close(); // SIGTERM: the master pod stops
                }
              }
            });
    System.setErr(new PrintStream(new TeeStream(said, err), true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void stop() throws Exception {
    System.setErr(err);
    try {
      masters.forEach(ClusterMaster::close);
      clients.forEach(KubernetesClient::close);
    } finally {
      kubelet.close();
      api.close();
    }
  }

  /** stderr to both the test's log and a buffer the test reads. */
  private static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws IOException {
      a.write(x);
      b.write(x);
    }

    @Override
    public void write(byte[] x, int off, int len) throws IOException {
      a.write(x, off, len);
      b.write(x, off, len);
    }
  }

  /** As the master pod's JVM: {@link MasterPod}'s arguments, the Secret's key, its pod IP. */
  private void runMaster(Pod pod) {
    Container c = pod.getSpec().getContainers().get(0);
    List<String> args = c.getArgs();
    MasterPod main = new MasterPod();
    new CommandLine(main)
        .parseArgs(
            args.subList(args.indexOf(Manifests.MASTER_MAIN) + 1, args.size())
                .toArray(String[]::new));
    Map<String, String> env = new java.util.HashMap<>();
    for (EnvVar e : c.getEnv()) {
      if (e.getValue() != null) {
        env.put(e.getName(), e.getValue());
      }
    }
    RunSettings s = main.settings(env);
    // The kubelet starts the container once the Secret it mounts exists.
    Secret secret =
        await()
            .atMost(30, TimeUnit.SECONDS)
            .until(
                () -> api.kubelet().secrets().inNamespace("test").withName(s.secret()).get(),
                x -> x != null);
    ClusterKey key =
        ClusterKey.fromHex(
            new String(
                    Base64.getDecoder().decode(secret.getData().get("key")),
                    StandardCharsets.US_ASCII)
                .trim());
    String ip = kubelet.nextIp();
    dns.put(s.joinHost(), ip);
    KubernetesClient client = api.newClient();
    clients.add(client);
    KubernetesNodeProvider provider =
        new KubernetesNodeProvider(
            client,
            s,
            Manifests.ownedBy(pod.getMetadata().getName(), pod.getMetadata().getUid()),
            KubernetesEndToEndIT.IDLE,
            Duration.ofMillis(200));
    try {
      masters.add(MasterPodRunner.start(s, key, ip, ip, provider, work.resolve("master-cache")));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    bridges.put(s.masterPod(), new InetSocketAddress(ip, s.bridgePort()));
    kubelet.markRunning(pod, ip);
  }

  private int run(ByteArrayOutputStream out, Duration masterStart, String... args) {
    return K8sCommand.execute(
        args,
        api::newClient,
        (client, s) ->
            new BridgeTunnel() {
              @Override
              public InetSocketAddress address() {
                return bridges.get(s.masterPod());
              }

              @Override
              public void close() {}
            },
        masterStart,
        name -> {
          assertThat(name).isEqualTo("json");
          return new JsonFormat(out);
        });
  }

  private List<String> everythingInApi() {
    List<String> all = new ArrayList<>();
    api.kubelet()
        .pods()
        .inNamespace("test")
        .list()
        .getItems()
        .forEach(p -> all.add("pod " + p.getMetadata().getName()));
    api.kubelet()
        .services()
        .inNamespace("test")
        .list()
        .getItems()
        .forEach(p -> all.add("service " + p.getMetadata().getName()));
    api.kubelet()
        .secrets()
        .inNamespace("test")
        .list()
        .getItems()
        .forEach(p -> all.add("secret " + p.getMetadata().getName()));
    return all;
  }

  @Test
  @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void
      givenAProgram_whenK8sRun_thenItRunsOnFabricPodsPrintsItsOutputExitsWithItsCodeAndLeavesNothing()
          throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    int code =
        run(
            out,
            Duration.ofSeconds(60),
            "run",
            "-n",
            "test",
            "--name",
            "deploy-cmd",
            "--format",
            "json",
            "--node-mem",
            "2GiB",
            "--node-cpu",
            "1.5",
            "--max-nodes",
            "3",
            KubernetesEndToEndIT.DEPLOY_JAR + ":" + KubernetesEndToEndIT.PROGRAMS,
            TwoPods.class.getName());

    Events events = new Events(out.toString(StandardCharsets.UTF_8));
    String context = out.toString(StandardCharsets.UTF_8) + "\nstderr:\n" + said;
    assertThat(code).as(context).isEqualTo(3);
    assertThat(events.lines()).as(context).contains("child 0 said ready", "child 1 said ready");
    List<KubernetesEndToEndIT.Where> wheres = KubernetesEndToEndIT.wheres(events);
    assertThat(wheres).as(context).hasSize(3);
    for (KubernetesEndToEndIT.Where w : wheres) {
      JvmKubelet.PodJvm jvm =
          kubelet.withIp(w.host()).orElseThrow(() -> new AssertionError(w + "\n" + context));
      assertThat(w.ancestors()).as(w + " under " + jvm).contains(jvm.process().pid());
    }
    assertThat(kubelet.started())
        .extracting(JvmKubelet.PodJvm::pod)
        .containsExactly("deploy-cmd-fabric-1", "deploy-cmd-fabric-2");
    assertThat(said.toString(StandardCharsets.UTF_8))
        .contains("deploy k8s: run deploy-cmd in namespace test");
    // The run deleted its objects; the master pod's deletion stopped the master, which deleted its
    // fabric pods: their JVMs exit.
    assertThat(everythingInApi()).as(context).isEmpty();
    for (JvmKubelet.PodJvm p : kubelet.started()) {
      assertThat(p.process().waitFor(30, TimeUnit.SECONDS)).as(p.pod() + "\n" + p.log()).isTrue();
    }
    KubernetesNodeProviderTest.assertAllowed(api.requests());
  }

  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void givenAMasterPodThatNeverGetsReady_whenK8sRun_thenExit1SayingWhyAndNothingIsLeft() {
    runMasters = false;
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    int code =
        run(
            out,
            Duration.ofSeconds(2),
            "run",
            "-n",
            "test",
            "--name",
            "deploy-stuck",
            "--format",
            "json",
            KubernetesEndToEndIT.DEPLOY_JAR.toString(),
            TwoPods.class.getName());

    assertThat(code).isEqualTo(1);
    assertThat(said.toString(StandardCharsets.UTF_8))
        .contains("deploy k8s run: the master pod deploy-stuck-master was not ready within 2 s");
    assertThat(everythingInApi()).isEmpty();
  }
}
