package dev.deploy.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;

/**
 * {@code deploy k8s rbac}: the ServiceAccount the master pod runs as, the Role with exactly the
 * requests deploy makes (the master's and {@code deploy k8s run}'s and {@code delete}'s), and the
 * RoleBinding between them. The tests record every request and check it against {@link #role}.
 */
public final class Rbac {
  private Rbac() {}

  /** The name of the ServiceAccount, Role and RoleBinding. */
  public static final String NAME = "deploy";

  /** Returns the Role's rules: what each verb is for is in docs/kubernetes.md. */
  public static List<PolicyRule> rules() {
    return List.of(
        // The master makes, watches and deletes fabric pods; run makes, waits for and deletes
        // the master pod; delete lists a run's pods.
        rule("pods", "create", "delete", "get", "list", "watch"),
        // run reaches the master's bridge through the API server (port-forward): create for
        // servers that authorize the WebSocket upgrade as create (1.31+ gate), get for older.
        rule("pods/portforward", "create", "get"),
        // run makes the Secret with the run's key and the service that names the master; delete
        // removes them when the run's cascade has not already.
        rule("secrets", "create", "delete"),
        rule("services", "create", "delete"));
  }

  private static PolicyRule rule(String resource, String... verbs) {
    return new PolicyRuleBuilder()
        .withApiGroups("")
        .withResources(resource)
        .withVerbs(verbs)
        .build();
  }

  /** Returns the ServiceAccount of the master pod. */
  public static ServiceAccount serviceAccount(String namespace) {
    return new ServiceAccountBuilder()
        .withNewMetadata()
        .withName(NAME)
        .withNamespace(namespace)
        .addToLabels(Labels.NAME, Labels.APP)
        .endMetadata()
        .build();
  }

  /** Returns the Role. */
  public static Role role(String namespace) {
    return new RoleBuilder()
        .withNewMetadata()
        .withName(NAME)
        .withNamespace(namespace)
        .addToLabels(Labels.NAME, Labels.APP)
        .endMetadata()
        .withRules(rules())
        .build();
  }

  /** Returns the RoleBinding of the Role to the ServiceAccount. */
  public static RoleBinding binding(String namespace) {
    return new RoleBindingBuilder()
        .withNewMetadata()
        .withName(NAME)
        .withNamespace(namespace)
        .addToLabels(Labels.NAME, Labels.APP)
        .endMetadata()
        .withNewRoleRef()
        .withApiGroup("rbac.authorization.k8s.io")
        .withKind("Role")
        .withName(NAME)
        .endRoleRef()
        .addNewSubject()
        .withKind("ServiceAccount")
        .withName(NAME)
        .withNamespace(namespace)
        .endSubject()
        .build();
  }

  /** Returns the three objects as one YAML stream, for {@code kubectl apply -f -}. */
  public static String yaml(String namespace) {
    StringBuilder out = new StringBuilder();
    for (HasMetadata o : List.of(serviceAccount(namespace), role(namespace), binding(namespace))) {
      String y = Serialization.asYaml(o);
      if (!y.startsWith("---")) {
        out.append("---\n");
      }
      out.append(y);
      if (!y.endsWith("\n")) {
        out.append('\n');
      }
    }
    return out.toString();
  }

  /** Returns whether {@code role} allows {@code verb} on {@code resource} of the core group. */
  public static boolean allows(Role role, String verb, String resource) {
    for (PolicyRule r : role.getRules()) {
      if (r.getApiGroups().contains("")
          && r.getResources().contains(resource)
          && r.getVerbs().contains(verb)) {
        return true;
      }
    }
    return false;
  }
}
