package dev.deploy.k8s.testing;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A kubelet for the mock API server: watches the namespace's pods and, as {@code fate} says for
 * each new pod, moves it to Running (ready, with an IP 10.0.0.n), leaves it Pending
 * (unschedulable), fails it with exit 137 (OOMKilled), or deletes it. Calls {@code onRunning} for
 * each pod it ran and {@code onGone} for each deleted one. Runs on the watch's thread.
 */
public final class FakeKubelet implements AutoCloseable {
  /** What happens to a new pod. */
  public enum Fate {
    RUN,
    UNSCHEDULABLE,
    NOTHING
  }

  private final KubernetesClient client;
  private final String namespace;
  private final AtomicInteger ips = new AtomicInteger(1);
  private final Watch watch;
  private final List<String> running = new CopyOnWriteArrayList<>();
  private final java.util.concurrent.ExecutorService work =
      java.util.concurrent.Executors.newSingleThreadExecutor();

  /** Starts watching {@code namespace}. */
  public FakeKubelet(
      KubernetesClient client,
      String namespace,
      Function<Pod, Fate> fate,
      Consumer<Pod> onRunning,
      Consumer<Pod> onGone) {
    this.client = client;
    this.namespace = namespace;
    this.watch =
        client
            .pods()
            .inNamespace(namespace)
            .watch(
                new Watcher<Pod>() {
                  @Override
                  public void eventReceived(Action action, Pod pod) {
                    // Off the watch's thread: a request from there can stall the mock server.
                    work.execute(() -> onEvent(action, pod, fate, onRunning, onGone));
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
  }

  private void onEvent(
      Watcher.Action action,
      Pod pod,
      Function<Pod, Fate> fate,
      Consumer<Pod> onRunning,
      Consumer<Pod> onGone) {
    if (action == Watcher.Action.ADDED) {
      switch (fate.apply(pod)) {
        case RUN -> {
          Pod ran = run(pod);
          running.add(pod.getMetadata().getName());
          onRunning.accept(ran);
        }
        case UNSCHEDULABLE -> unschedulable(pod);
        case NOTHING -> {}
      }
    } else if (action == Watcher.Action.DELETED) {
      onGone.accept(pod);
    }
  }

  /** Returns the names of the pods it moved to Running. */
  public List<String> running() {
    return List.copyOf(running);
  }

  private Pod run(Pod pod) {
    String ip = "10.0.0." + ips.getAndIncrement();
    pod.setStatus(
        new PodStatusBuilder()
            .withPhase("Running")
            .withPodIP(ip)
            .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True").build())
            .build());
    return client.pods().inNamespace(namespace).resource(pod).updateStatus();
  }

  private void unschedulable(Pod pod) {
    pod.setStatus(
        new PodStatusBuilder()
            .withPhase("Pending")
            .withConditions(
                new PodConditionBuilder()
                    .withType("PodScheduled")
                    .withStatus("False")
                    .withReason("Unschedulable")
                    .withMessage("0/3 nodes are available: 3 Insufficient memory.")
                    .build())
            .build());
    client.pods().inNamespace(namespace).resource(pod).updateStatus();
  }

  /** Fails pod {@code name} as the kernel's OOM killer would: exit 137, OOMKilled. */
  public void oomKill(String name) {
    Pod pod = client.pods().inNamespace(namespace).withName(name).get();
    pod.setStatus(
        new PodStatusBuilder()
            .withPhase("Failed")
            .withContainerStatuses(
                new ContainerStatusBuilder()
                    .withName("deploy")
                    .withState(
                        new ContainerStateBuilder()
                            .withNewTerminated()
                            .withExitCode(137)
                            .withReason("OOMKilled")
                            .endTerminated()
                            .build())
                    .build())
            .build());
    client.pods().inNamespace(namespace).resource(pod).updateStatus();
  }

  /** Deletes pod {@code name}, as a user or the node's eviction would. */
  public void delete(String name) {
    client.pods().inNamespace(namespace).withName(name).delete();
  }

  @Override
  public void close() {
    watch.close();
    work.shutdownNow();
  }
}
