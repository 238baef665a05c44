package dev.deploy.k8s;

import dev.deploy.Resources;
import dev.deploy.cluster.master.NodeProvider;
import dev.deploy.logging.Loggers;
import dev.deploy.util.DaemonThreads;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * Fabric pods as a master's workers: creates them in batches as spawns wait for room (each a node
 * of {@link RunSettings#node()}, at most {@link RunSettings#maxNodes()} alive), retires and deletes
 * those idle for {@code idleAfter} (60 s), and reports a pod that failed, was OOM-killed or deleted
 * as a lost node.
 *
 * <p>Threading: every decision and every request to the API server runs on one thread of its own
 * ({@code deploy-k8s-nodes}); {@link #demand}, the pod watch and the periodic check only hand it
 * work, so the master's threads never wait for the API server.
 */
public final class KubernetesNodeProvider implements NodeProvider {
  private static final Logger LOG = Loggers.get(KubernetesNodeProvider.class);

  /** How long a joined node may run nothing before its pod is deleted. */
  public static final Duration IDLE_AFTER = Duration.ofSeconds(60);

  private final KubernetesClient client;
  private final RunSettings settings;
  private final OwnerReference owner;
  private final Duration idleAfter;
  private final Duration checkEvery;
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("deploy-k8s-nodes"));

  // Only on `thread`:
  /** The fabric pods made and not yet gone (failed, finished, deleted), by name, in order. */
  private final Map<String, Pod> alive = new LinkedHashMap<>();

  /** Pods whose refusal to schedule was logged: once each. */
  private final Set<String> saidUnschedulable = new HashSet<>();

  /** The resources of the spawns waiting for room, oldest first, as the master last said. */
  private List<Resources> waiting = List.of();

  private int nextNumber = 1;
  private Cluster cluster;
  private Watch watch;

  /** Whether the last create was refused: said once until one succeeds. */
  private boolean createRefused;

  /** Set by close, on the thread: nothing is made any more. */
  private boolean closed;

  /**
   * A provider of the run {@code settings} whose pods {@code owner} owns (the master pod), retiring
   * nodes idle for {@code idleAfter} and checking every {@code checkEvery}.
   */
  public KubernetesNodeProvider(
      KubernetesClient client,
      RunSettings settings,
      OwnerReference owner,
      Duration idleAfter,
      Duration checkEvery) {
    this.client = client;
    this.settings = settings;
    this.owner = owner;
    this.idleAfter = idleAfter;
    this.checkEvery = checkEvery;
  }

  /** A provider with the production timings: 60 s idle, checked every 5 s. */
  public KubernetesNodeProvider(KubernetesClient client, RunSettings settings, OwnerReference o) {
    this(client, settings, o, IDLE_AFTER, Duration.ofSeconds(5));
  }

  @Override
  public void start(Cluster cluster) {
    this.cluster = cluster;
    try {
      watch =
          client
              .pods()
              .inNamespace(settings.namespace())
              .withLabels(Labels.of(settings.run(), Labels.FABRIC))
              .watch(
                  new Watcher<Pod>() {
                    @Override
                    public void eventReceived(Action action, Pod pod) {
                      thread.execute(() -> onPod(action, pod));
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                      LOG.warn(
                          "the watch of run {}'s pods ended: {}",
                          settings.run(),
                          cause.getMessage());
                    }
                  });
    } catch (KubernetesClientException e) {
      throw new IllegalStateException(
          "cannot watch pods in namespace "
              + settings.namespace()
              + ": "
              + Kube.describe(e)
              + " (see deploy k8s rbac)",
          e);
    }
    long every = checkEvery.toMillis();
    thread.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
  }

  @Override
  public Optional<Resources> largestNode() {
    return Optional.of(settings.node());
  }

  @Override
  public void demand(List<Resources> waitingNow) {
    List<Resources> copy = List.copyOf(waitingNow);
    thread.execute(
        () -> {
          waiting = copy;
          scale();
        });
  }

  /** Returns the names of the pods made and not gone; for tests, from any thread. */
  public List<String> alivePods() {
    try {
      return thread.submit(() -> List.copyOf(alive.keySet())).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the provider's thread did not answer", e);
    }
  }

  /** Creates pods for the waiting spawns that the pods not yet joined will not hold. */
  private void scale() {
    if (cluster == null || closed) {
      return;
    }
    Set<String> joined = new HashSet<>();
    for (NodeState n : cluster.nodes()) {
      joined.add(n.name());
    }
    Room node = new Room(settings.node().memory(), settings.node().cpu());
    List<Room> bins = new ArrayList<>();
    for (String name : alive.keySet()) {
      if (!joined.contains(name)) {
        bins.add(node); // on its way: it will hold a node's worth
      }
    }
    int coming = bins.size();
    for (Resources r : waiting) {
      if (!node.holds(r)) {
        continue; // no pod of this size could hold it
      }
      boolean placed = false;
      for (int i = 0; i < bins.size() && !placed; i++) {
        if (bins.get(i).holds(r)) {
          bins.set(i, bins.get(i).minus(r));
          placed = true;
        }
      }
      if (!placed) {
        bins.add(node.minus(r));
      }
    }
    int wanted = Math.min(bins.size() - coming, settings.maxNodes() - alive.size());
    for (int i = 0; i < wanted; i++) {
      if (!create()) {
        return;
      }
    }
  }

  private boolean create() {
    String name = settings.fabricPod(nextNumber);
    Pod pod = Manifests.fabricPod(settings, name, owner);
    try {
      client.pods().inNamespace(settings.namespace()).resource(pod).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        // An earlier try reached the server though its answer was lost: the pod is ours.
        createRefused = false;
        nextNumber++;
        alive.put(name, pod);
        return true;
      }
      if (!createRefused) {
        LOG.warn("cannot create the fabric pod {}: {}", name, Kube.describe(e));
      }
      createRefused = true;
      return false;
    }
    createRefused = false;
    nextNumber++;
    alive.put(name, pod);
    LOG.info("created the fabric pod {} ({}) for {}", name, settings.node(), waiting);
    return true;
  }

  /** Retires idle nodes, deleting their pods; then tries again what could not be made. */
  private void check() {
    if (closed) {
      return;
    }
    try {
      for (NodeState n : cluster.nodes()) {
        if (alive.containsKey(n.name())
            && n.idleFor().compareTo(idleAfter) >= 0
            && cluster.retire(n.name())) {
          alive.remove(n.name());
          LOG.info(
              "the fabric pod {} was idle for {} s: deleting it", n.name(), idleAfter.toSeconds());
          delete(n.name());
        }
      }
      scale();
    } catch (RuntimeException e) {
      LOG.warn("checking run {}'s pods failed: {}", settings.run(), e.toString());
    }
  }

  private void onPod(Watcher.Action action, Pod pod) {
    String name = pod.getMetadata().getName();
    if (closed || !alive.containsKey(name)) {
      return; // not made by this master, or already gone
    }
    String why = null;
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if (action == Watcher.Action.DELETED) {
      why = "its pod " + name + " was deleted";
    } else if ("Failed".equals(phase) || "Succeeded".equals(phase)) {
      why = ended(pod, phase);
    } else if ("Pending".equals(phase)) {
      unschedulable(pod).ifPresent(message -> sayUnschedulable(name, message));
    }
    if (why != null) {
      alive.remove(name);
      LOG.warn("lost the node {}: {}", name, why);
      cluster.lost(name, why);
      scale();
    }
  }

  /** Why pod {@code pod} ended, in one sentence: its container's exit code and reason. */
  static String ended(Pod pod, String phase) {
    String name = pod.getMetadata().getName();
    List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
    if (statuses != null) {
      for (ContainerStatus s : statuses) {
        ContainerStateTerminated t = s.getState() == null ? null : s.getState().getTerminated();
        if (Manifests.CONTAINER.equals(s.getName()) && t != null) {
          String reason = t.getReason() == null ? "" : " (" + t.getReason() + ")";
          String hint =
              t.getExitCode() != null && t.getExitCode() == 137
                  ? ": killed, most likely at the pod's memory limit; see the JVM overhead budget"
                      + " in docs/kubernetes.md"
                  : "";
          return "its pod " + name + " ended with exit code " + t.getExitCode() + reason + hint;
        }
      }
    }
    String reason = pod.getStatus().getReason();
    String message = pod.getStatus().getMessage();
    return "its pod "
        + name
        + " is "
        + phase
        + (reason == null ? "" : " (" + reason + ")")
        + (message == null ? "" : ": " + message);
  }

  private static Optional<String> unschedulable(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType())
          && "False".equals(c.getStatus())
          && "Unschedulable".equals(c.getReason())) {
        return Optional.of(c.getMessage() == null ? "Unschedulable" : c.getMessage());
      }
    }
    return Optional.empty();
  }

  private void sayUnschedulable(String name, String message) {
    if (saidUnschedulable.add(name)) {
      LOG.warn(
          "the fabric pod {} cannot be scheduled ({}): spawns wait for it; lower --node-mem or"
              + " --node-cpu, or free room in the cluster",
          name,
          message);
    }
  }

  private void delete(String name) {
    try {
      client.pods().inNamespace(settings.namespace()).withName(name).delete();
    } catch (KubernetesClientException e) {
      LOG.warn("cannot delete the fabric pod {}: {}", name, Kube.describe(e));
    }
  }

  /** Room left in a pod on its way: may go below {@link Resources}' minimums. */
  private record Room(long memory, double cpu) {
    boolean holds(Resources r) {
      return r.memory() <= memory && r.cpu() <= cpu + 1e-9;
    }

    Room minus(Resources r) {
      return new Room(memory - r.memory(), cpu - r.cpu());
    }
  }

  /**
   * Stops watching and deletes every pod it made (the master has stopped their processes). A second
   * call does nothing.
   */
  @Override
  public void close() {
    if (thread.isShutdown()) {
      return;
    }
    try {
      thread
          .submit(
              () -> {
                closed = true;
                if (watch != null) {
                  watch.close();
                }
                for (String name : new ArrayList<>(alive.keySet())) {
                  delete(name);
                }
                alive.clear();
              })
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("stopping run {}'s pods: {}", settings.run(), e.toString());
    } finally {
      thread.shutdownNow();
    }
  }
}
