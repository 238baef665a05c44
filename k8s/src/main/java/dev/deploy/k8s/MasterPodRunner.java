package dev.deploy.k8s;

import dev.deploy.cluster.master.ClusterMaster;
import dev.deploy.cluster.master.NodeProvider;
import dev.deploy.program.JarCache;
import dev.deploy.program.JarLimits;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.KeyFile;
import dev.deploy.util.HostPort;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * Starts the master of a run: a {@link ClusterMaster} that runs nothing itself, listens for fabrics
 * (and deploy) on {@code <host>:7000} and for deploy on {@code <host>:<bridge-port>}, advertises
 * the pod's IP, and takes its workers from one {@link NodeProvider}. {@link #run} is the pod's main
 * thread; {@link #start} is what tests call with loopback and a provider of theirs.
 */
public final class MasterPodRunner {
  private MasterPodRunner() {}

  /** The jar cache's size limit in the pod's emptyDir. */
  static final long CACHE_LIMIT = 4L << 30;

  /**
   * Starts the master.
   *
   * @param host the address to bind (0.0.0.0 in the pod)
   * @param advertise the address fabrics and pids name this master by (the pod's IP)
   */
  public static ClusterMaster start(
      RunSettings s,
      ClusterKey key,
      String host,
      String advertise,
      NodeProvider provider,
      Path cacheDir)
      throws IOException {
    return new ClusterMaster(
        key,
        new InetSocketAddress(host, RunSettings.JOIN_PORT),
        Optional.of(new HostPort(advertise, 0)),
        Optional.empty(),
        Optional.of(new InetSocketAddress(host, s.bridgePort())),
        List.of(),
        List.of(provider),
        new JarCache(cacheDir, JarLimits.DEFAULT),
        CACHE_LIMIT,
        false,
        0);
  }

  /** The pod's main: runs until SIGTERM (the pod's deletion), then stops the master. */
  static int run(RunSettings s, Map<String, String> env) throws Exception {
    String ip = env.get(Manifests.POD_IP);
    String uid = env.get(Manifests.POD_UID);
    if (ip == null || uid == null) {
      System.err.println(
          "master pod: "
              + Manifests.POD_IP
              + " and "
              + Manifests.POD_UID
              + " must be set (the downward API of the master pod deploy k8s run makes)");
      return 2;
    }
    ClusterKey key =
        KeyFile.fromEnvironment(env, null)
            .orElseThrow(() -> new IOException(KeyFile.ENV + " is not set"));
    KubernetesClient client = Kube.client();
    KubernetesNodeProvider provider =
        new KubernetesNodeProvider(client, s, Manifests.ownedBy(s.masterPod(), uid));
    ClusterMaster master =
        start(s, key, "0.0.0.0", ip, provider, Path.of(Manifests.CACHE_DIR, "jars"));
    System.err.println(
        "master pod: run "
            + s.run()
            + ": fabrics join at "
            + s.joinHost()
            + ":"
            + RunSettings.JOIN_PORT
            + ", the bridge listens on port "
            + s.bridgePort());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  master.close(); // kills processes, then the provider deletes its pods
                  client.close();
                  stopped.countDown();
                },
                "deploy-master-pod-stop"));
    stopped.await();
    return 0;
  }
}
