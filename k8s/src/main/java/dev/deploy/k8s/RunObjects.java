package dev.deploy.k8s;

import dev.deploy.security.ClusterKey;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Makes and removes a run's objects through the API server: the master pod first, then the Secret
 * and the service it owns; waits for the master to be ready; deletes a run. Called on the command's
 * thread; every refusal becomes a {@link RunException} with one sentence.
 */
public final class RunObjects {
  private final KubernetesClient client;

  /** Objects made with {@code client}. */
  public RunObjects(KubernetesClient client) {
    this.client = client;
  }

  /** A request the API server refused, or a master that did not start; one sentence. */
  public static final class RunException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A failure saying {@code message}. */
    public RunException(String message) {
      super(message);
    }
  }

  /**
   * Creates the master pod, then the Secret holding {@code key} and the headless service, both
   * owned by the master pod (which the pod waits for: it mounts the Secret).
   *
   * @return the owner reference to the master pod
   */
  public OwnerReference create(RunSettings s, ClusterKey key) throws RunException {
    Pod master;
    try {
      master = client.pods().inNamespace(s.namespace()).resource(Manifests.masterPod(s)).create();
    } catch (KubernetesClientException e) {
      throw new RunException(
          "cannot create the master pod "
              + s.masterPod()
              + " in namespace "
              + s.namespace()
              + ": "
              + Kube.describe(e));
    }
    OwnerReference owner =
        Manifests.ownedBy(master.getMetadata().getName(), master.getMetadata().getUid());
    try {
      client
          .secrets()
          .inNamespace(s.namespace())
          .resource(Manifests.secret(s, key, owner))
          .create();
      client.services().inNamespace(s.namespace()).resource(Manifests.service(s, owner)).create();
    } catch (KubernetesClientException e) {
      delete(s.namespace(), s.run());
      throw new RunException(
          "cannot create the run's Secret and service in namespace "
              + s.namespace()
              + ": "
              + Kube.describe(e));
    }
    return owner;
  }

  /**
   * Waits until the master pod is ready (its join port accepts), at most {@code limit}.
   *
   * @throws RunException when it failed, was deleted, or is not ready in time, with its status
   */
  public void awaitMaster(RunSettings s, Duration limit) throws RunException {
    Pod ready;
    try {
      ready =
          client
              .pods()
              .inNamespace(s.namespace())
              .withName(s.masterPod())
              .waitUntilCondition(
                  p -> p == null || isReady(p) || isOver(p),
                  limit.toMillis(),
                  TimeUnit.MILLISECONDS);
    } catch (KubernetesClientException e) {
      Pod now = null;
      try {
        now = client.pods().inNamespace(s.namespace()).withName(s.masterPod()).get();
      } catch (KubernetesClientException ignored) {
        // As below, without the status.
      }
      throw new RunException(
          "the master pod "
              + s.masterPod()
              + " was not ready within "
              + limit.toSeconds()
              + " s"
              + (now == null ? "" : ": " + status(now))
              + " (kubectl describe pod "
              + s.masterPod()
              + " says why)");
    }
    if (ready == null) {
      throw new RunException("the master pod " + s.masterPod() + " was deleted while starting");
    }
    if (isOver(ready)) {
      throw new RunException(
          "the master pod "
              + s.masterPod()
              + " stopped: "
              + status(ready)
              + " (kubectl logs "
              + s.masterPod()
              + " says why)");
    }
  }

  private static boolean isReady(Pod p) {
    if (p.getStatus() == null || p.getStatus().getConditions() == null) {
      return false;
    }
    for (PodCondition c : p.getStatus().getConditions()) {
      if ("Ready".equals(c.getType()) && "True".equals(c.getStatus())) {
        return true;
      }
    }
    return false;
  }

  private static boolean isOver(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return "Failed".equals(phase) || "Succeeded".equals(phase);
  }

  private static String status(Pod p) {
    if (p.getStatus() == null) {
      return "no status yet";
    }
    if (isOver(p)) {
      return KubernetesNodeProvider.ended(p, p.getStatus().getPhase());
    }
    StringBuilder out = new StringBuilder(String.valueOf(p.getStatus().getPhase()));
    if (p.getStatus().getConditions() != null) {
      for (PodCondition c : p.getStatus().getConditions()) {
        if ("False".equals(c.getStatus()) && c.getMessage() != null) {
          out.append("; ").append(c.getType()).append(": ").append(c.getMessage());
        }
      }
    }
    return out.toString();
  }

  /**
   * Deletes run {@code run}: its master pod (whose owner references take the rest with it), and the
   * service, Secret and fabric pods by name and label in case the cascade has not run.
   *
   * @return whether anything of it was there
   * @throws RunException when the API server refuses
   */
  public boolean delete(String namespace, String run) throws RunException {
    try {
      boolean found =
          !client.pods().inNamespace(namespace).withName(run + "-master").delete().isEmpty();
      found |= !client.services().inNamespace(namespace).withName(run).delete().isEmpty();
      found |= !client.secrets().inNamespace(namespace).withName(run + "-key").delete().isEmpty();
      for (Pod p :
          client
              .pods()
              .inNamespace(namespace)
              .withLabels(Labels.of(run, Labels.FABRIC))
              .list()
              .getItems()) {
        found = true;
        client.pods().inNamespace(namespace).withName(p.getMetadata().getName()).delete();
      }
      return found;
    } catch (KubernetesClientException e) {
      throw new RunException(
          "cannot delete run " + run + " in namespace " + namespace + ": " + Kube.describe(e));
    }
  }
}
