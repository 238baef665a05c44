package dev.deploy.k8s;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** The client, configured the standard way, and API errors as one sentence. */
public final class Kube {
  private Kube() {}

  /**
   * Returns a client configured as kubectl is: {@code KUBECONFIG} or {@code ~/.kube/config}, else
   * the pod's service account (in-cluster).
   */
  public static KubernetesClient client() {
    return new KubernetesClientBuilder().withConfig(Config.autoConfigure(null)).build();
  }

  /** Returns the namespace the configuration names (the current context's, or the pod's). */
  public static String defaultNamespace(KubernetesClient client) {
    String ns = client.getNamespace();
    return ns == null || ns.isBlank() ? "default" : ns;
  }

  /** Returns what the API server said, in one sentence, with a hint for a refusal. */
  public static String describe(KubernetesClientException e) {
    int code = e.getCode();
    String reason =
        e.getStatus() != null && e.getStatus().getMessage() != null
            ? e.getStatus().getMessage()
            : String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    if (code == 403) {
      return "forbidden by RBAC: "
          + reason
          + " (apply the Role of deploy k8s rbac, and bind it to whoever runs this)";
    }
    if (code <= 0) {
      Throwable cause = e;
      String said = null;
      while (cause != null) {
        if (cause.getMessage() != null && cause != e) {
          said = cause.getMessage();
        }
        cause = cause.getCause();
      }
      return "no answer from the API server (is the cluster in KUBECONFIG or ~/.kube/config"
          + " reachable?)"
          + (said == null ? "" : ": " + said);
    }
    return "HTTP " + code + ": " + reason;
  }
}
