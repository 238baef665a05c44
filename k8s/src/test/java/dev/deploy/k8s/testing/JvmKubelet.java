package dev.deploy.k8s.testing;

import dev.deploy.k8s.Labels;
import dev.deploy.k8s.Manifests;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A kubelet that runs fabric pods as real JVMs: for every fabric pod added to the namespace it
 * gives the pod a loopback IP ({@code 127.0.0.<n>}, n from {@code firstIp}), marks it Running and
 * Ready, and starts the pod's container as a kubelet would: its command and arguments exactly, with
 * {@code java} the JDK running the test, {@link Manifests#DEPLOY_JAR} the built deploy.jar, each
 * volume mount's path the host directory holding that volume (the Secret's keys as files of mode
 * 0400, an emptyDir), the environment of the container spec alone (the downward API's {@code
 * status.podIP}, {@code metadata.name}, {@code metadata.uid}, {@code metadata.namespace}), and
 * {@code $(VAR)} references in the environment and arguments expanded from it.
 *
 * <p>A deleted pod's JVM gets SIGTERM, then SIGKILL with everything under it after the grace
 * period; {@link #oomKill} SIGKILLs a pod's JVM and everything under it at once, as the kernel
 * kills a container at its memory limit, and then marks the pod Failed with exit code 137
 * (OOMKilled). A JVM that exits by itself makes its pod Succeeded or Failed with its exit code.
 * {@link #close} SIGKILLs every JVM it started, with everything under it, and waits for them.
 *
 * <p>Threading: the watch hands every event to one thread of its own; the query methods and {@link
 * #oomKill} are safe from any thread.
 */
public final class JvmKubelet implements AutoCloseable {
  private static final Pattern VAR = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_.-]*)\\)");
  private static final long GRACE_SECONDS = 10;

  /** What runs a master pod: the test's own master, in its JVM. Called on the kubelet's thread. */
  public interface MasterPods {
    /** Master pod {@code pod} was created: run it (and mark it Running) as the test needs. */
    void added(Pod pod);

    /** Master pod {@code pod} was deleted: stop it, as SIGTERM stops the master pod's JVM. */
    void deleted(Pod pod);
  }

  /** A pod's JVM: the process the kubelet started, its IP and its log. */
  public record PodJvm(String pod, String ip, Process process, List<String> command, Path logFile) {
    /** Returns what the JVM wrote so far (stdout and stderr). */
    public String log() {
      try {
        return Files.readString(logFile);
      } catch (IOException e) {
        return "(no log: " + e.getMessage() + ")";
      }
    }
  }

  private final KubernetesClient client;
  private final String namespace;
  private final Path deployJar;
  private final Path work;
  private final MasterPods masterPods;
  private final Map<String, String> dns;
  private final AtomicInteger nextIp;
  private final Map<String, PodJvm> jvms = new ConcurrentHashMap<>();
  private final List<PodJvm> started = new CopyOnWriteArrayList<>();
  private final Map<String, Boolean> killedByUs = new ConcurrentHashMap<>();

  /** Set by {@link #partition}: deletions are no longer seen, the JVMs go on. */
  private volatile boolean partitioned;

  private final ExecutorService events = Executors.newSingleThreadExecutor();
  private final Watch watch;

  /**
   * Starts running the fabric pods of {@code namespace}, with {@code deployJar} for the image's
   * deploy.jar and volumes under {@code work}, giving IPs from {@code 127.0.0.<firstIp>} on; master
   * pods are handed to {@code masterPods}. {@code dns} is the cluster's DNS (name to IP, read at
   * each pod's start): each JVM resolves names with a hosts file of it ({@code
   * -Djdk.net.hosts.file} in {@code JDK_JAVA_OPTIONS}, the environment, as a pod's resolv.conf is).
   */
  public JvmKubelet(
      KubernetesClient client,
      String namespace,
      Path deployJar,
      Path work,
      int firstIp,
      Map<String, String> dns,
      MasterPods masterPods) {
    this.client = client;
    this.namespace = namespace;
    this.deployJar = deployJar;
    this.work = work;
    this.masterPods = masterPods;
    this.dns = dns;
    this.nextIp = new AtomicInteger(firstIp);
    this.watch =
        client
            .pods()
            .inNamespace(namespace)
            .watch(
                new Watcher<Pod>() {
                  @Override
                  public void eventReceived(Action action, Pod pod) {
                    // Off the watch's thread: a request from there can stall the mock server.
                    events.execute(() -> onEvent(action, pod));
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
  }

  private void onEvent(Watcher.Action action, Pod pod) {
    String name = pod.getMetadata().getName();
    String role = pod.getMetadata().getLabels().get(Labels.ROLE);
    try {
      if (action == Watcher.Action.ADDED && Labels.FABRIC.equals(role)) {
        start(pod);
      } else if (action == Watcher.Action.ADDED && Labels.MASTER.equals(role)) {
        masterPods.added(pod);
      } else if (action == Watcher.Action.DELETED && Labels.MASTER.equals(role)) {
        masterPods.deleted(pod);
      } else if (action == Watcher.Action.DELETED && !partitioned) {
        PodJvm jvm = jvms.get(name);
        if (jvm != null) {
          killedByUs.put(name, true);
          stop(jvm);
        }
      }
    } catch (RuntimeException e) {
      System.err.println("fake kubelet: " + action + " " + name + ": " + e);
      e.printStackTrace();
    }
  }

  /**
   * Cuts this node off from the API server: pods deleted from now on keep running, as on a node
   * that lost its network (their fabrics must then stop by themselves).
   */
  public void partition() {
    partitioned = true;
  }

  /** Returns the next pod IP this kubelet gives: {@code 127.0.0.<n>}. */
  public String nextIp() {
    return "127.0.0." + nextIp.getAndIncrement();
  }

  private void start(Pod pod) {
    String name = pod.getMetadata().getName();
    String ip = nextIp();
    Path dir = work.resolve(name);
    Map<String, Path> mounts = mount(pod, dir); // waits for the Secret, as ContainerCreating does
    Pod running = markRunning(pod, ip);
    Container c = container(running);
    Map<String, String> env = environment(running, c, ip, mounts);
    List<String> command = new ArrayList<>();
    for (String s : c.getCommand()) {
      command.add(s.equals("java") ? java() : expand(s, env, mounts));
    }
    for (String s : c.getArgs()) {
      String arg = expand(s, env, mounts);
      command.add(arg.equals(Manifests.DEPLOY_JAR) ? deployJar.toString() : arg);
    }
    Path hosts = dir.resolve("hosts");
    StringBuilder lines = new StringBuilder("127.0.0.1 localhost\n");
    dns.forEach((host, address) -> lines.append(address).append(' ').append(host).append('\n'));
    try {
      Files.writeString(hosts, lines);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path log = dir.resolve("container.log");
    ProcessBuilder b =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    b.environment().clear();
    b.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    b.environment().put("HOME", dir.toString());
    b.environment().put("JDK_JAVA_OPTIONS", "-Djdk.net.hosts.file=" + hosts);
    b.environment().putAll(env);
    Process p;
    try {
      p = b.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start pod " + name + "'s container", e);
    }
    PodJvm jvm = new PodJvm(name, ip, p, List.copyOf(command), log);
    jvms.put(name, jvm);
    started.add(jvm);
    p.onExit().thenAccept(ended -> exited(jvm));
  }

  /** The container ended by itself: the pod is Succeeded (exit 0) or Failed, as a kubelet says. */
  private void exited(PodJvm jvm) {
    if (killedByUs.containsKey(jvm.pod())) {
      return;
    }
    int code = jvm.process().exitValue();
    try {
      terminated(
          jvm.pod(), code == 0 ? "Succeeded" : "Failed", code, code == 0 ? "Completed" : "Error");
    } catch (KubernetesClientException e) {
      // The pod is gone: nothing to say.
    }
  }

  /**
   * Kills pod {@code name}'s JVM and everything under it with SIGKILL, as the kernel does at a
   * container's memory limit, waits for it, and marks the pod Failed with 137 (OOMKilled).
   */
  public void oomKill(String name) throws InterruptedException {
    PodJvm jvm = jvms.get(name);
    if (jvm == null) {
      throw new IllegalArgumentException(
          "no JVM runs for pod " + name + "; running: " + jvms.keySet());
    }
    killedByUs.put(name, true);
    killTree(jvm.process());
    terminated(name, "Failed", 137, "OOMKilled");
  }

  private void terminated(String name, String phase, int code, String reason) {
    Pod pod = client.pods().inNamespace(namespace).withName(name).get();
    if (pod == null) {
      return;
    }
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    pod.setStatus(
        new PodStatusBuilder()
            .withPhase(phase)
            .withPodIP(ip)
            .withContainerStatuses(
                new ContainerStatusBuilder()
                    .withName(Manifests.CONTAINER)
                    .withState(
                        new ContainerStateBuilder()
                            .withNewTerminated()
                            .withExitCode(code)
                            .withReason(reason)
                            .endTerminated()
                            .build())
                    .build())
            .build());
    client.pods().inNamespace(namespace).resource(pod).updateStatus();
  }

  /** Marks {@code pod} Running and Ready with {@code ip}; returns it as stored. */
  public Pod markRunning(Pod pod, String ip) {
    pod.setStatus(
        new PodStatusBuilder()
            .withPhase("Running")
            .withPodIP(ip)
            .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True").build())
            .build());
    return client.pods().inNamespace(namespace).resource(pod).updateStatus();
  }

  /** The container deploy fills in: the one named {@code deploy}, else the first. */
  private static Container container(Pod pod) {
    return pod.getSpec().getContainers().stream()
        .filter(c -> Manifests.CONTAINER.equals(c.getName()))
        .findFirst()
        .orElse(pod.getSpec().getContainers().get(0));
  }

  /** Makes each volume the container mounts in {@code dir}; returns mount path to host path. */
  private Map<String, Path> mount(Pod pod, Path dir) {
    Map<String, Path> mounts = new LinkedHashMap<>();
    try {
      Files.createDirectories(dir);
      for (VolumeMount m :
          Optional.ofNullable(container(pod).getVolumeMounts()).orElse(List.of())) {
        Volume v =
            pod.getSpec().getVolumes().stream()
                .filter(x -> x.getName().equals(m.getName()))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no volume " + m.getName()));
        Path host = Files.createDirectories(dir.resolve("volumes").resolve(m.getName()));
        if (v.getSecret() != null) {
          // ContainerCreating: the kubelet waits for the Secret the pod mounts.
          Secret secret =
              client
                  .secrets()
                  .inNamespace(namespace)
                  .withName(v.getSecret().getSecretName())
                  .waitUntilCondition(java.util.Objects::nonNull, 30, TimeUnit.SECONDS);
          if (secret == null) {
            throw new IllegalStateException(
                "pod "
                    + pod.getMetadata().getName()
                    + ": no Secret "
                    + v.getSecret().getSecretName());
          }
          for (Map.Entry<String, String> e : secret.getData().entrySet()) {
            Path file = host.resolve(e.getKey());
            Files.write(file, Base64.getDecoder().decode(e.getValue()));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
          }
        }
        mounts.put(m.getMountPath(), host);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return mounts;
  }

  /** The container's environment as the kubelet makes it: values, downward API, $(VAR). */
  private Map<String, String> environment(
      Pod pod, Container c, String ip, Map<String, Path> mounts) {
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar e : Optional.ofNullable(c.getEnv()).orElse(List.of())) {
      String value;
      if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
        String path = e.getValueFrom().getFieldRef().getFieldPath();
        value =
            switch (path) {
              case "status.podIP" -> ip;
              case "metadata.name" -> pod.getMetadata().getName();
              case "metadata.uid" -> pod.getMetadata().getUid();
              case "metadata.namespace" -> pod.getMetadata().getNamespace();
              default -> throw new IllegalStateException("fake kubelet: no field " + path);
            };
      } else if (e.getValueFrom() != null) {
        throw new IllegalStateException("fake kubelet: cannot fill " + e.getName());
      } else {
        value = expand(e.getValue() == null ? "" : e.getValue(), env, mounts);
      }
      env.put(e.getName(), value);
    }
    return env;
  }

  /**
   * Expands {@code $(VAR)} from {@code env} as a kubelet does (an unknown one stays as written),
   * and maps a path under a volume's mount path to the host directory holding that volume.
   */
  static String expand(String s, Map<String, String> env, Map<String, Path> mounts) {
    Matcher m = VAR.matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = env.get(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(v != null ? v : m.group()));
    }
    m.appendTail(out);
    String expanded = out.toString();
    for (Map.Entry<String, Path> e : mounts.entrySet()) {
      if (expanded.equals(e.getKey()) || expanded.startsWith(e.getKey() + "/")) {
        return e.getValue() + expanded.substring(e.getKey().length());
      }
    }
    return expanded;
  }

  private String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Returns the JVM of pod {@code name}, if it was started. */
  public Optional<PodJvm> jvm(String name) {
    return Optional.ofNullable(jvms.get(name));
  }

  /** Returns every JVM started, in order, alive or not. */
  public List<PodJvm> started() {
    return List.copyOf(started);
  }

  /** Returns the JVM of the pod with IP {@code ip}. */
  public Optional<PodJvm> withIp(String ip) {
    return started.stream().filter(j -> j.ip().equals(ip)).findFirst();
  }

  /** A pod's deletion: SIGTERM, then SIGKILL to everything left after the grace period. */
  private void stop(PodJvm jvm) {
    Process p = jvm.process();
    List<ProcessHandle> under = p.descendants().toList();
    p.destroy();
    p.onExit()
        .orTimeout(GRACE_SECONDS, TimeUnit.SECONDS)
        .whenComplete(
            (done, timedOut) -> {
              if (timedOut != null) {
                p.destroyForcibly();
              }
              under.forEach(ProcessHandle::destroyForcibly);
            });
  }

  /** SIGKILLs {@code p} and everything under it; waits for {@code p}. */
  private static void killTree(Process p) throws InterruptedException {
    List<ProcessHandle> under = p.descendants().toList();
    p.destroyForcibly();
    under.forEach(ProcessHandle::destroyForcibly);
    p.waitFor(30, TimeUnit.SECONDS);
  }

  /** Stops watching, then SIGKILLs every JVM it started with everything under it. */
  @Override
  public void close() throws InterruptedException {
    watch.close();
    events.shutdownNow();
    events.awaitTermination(10, TimeUnit.SECONDS);
    for (PodJvm jvm : started) {
      killTree(jvm.process());
    }
  }
}
