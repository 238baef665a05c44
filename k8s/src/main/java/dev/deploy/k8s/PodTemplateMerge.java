package dev.deploy.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Merges the user's pod template ({@code --pod-template}) under a pod deploy made: what the
 * template says stays (node selector, tolerations, affinity, image pull secrets, security context,
 * extra volumes, env and containers, labels and annotations) unless deploy sets the same field, and
 * then deploy's wins: name, namespace, owner references, deploy's labels, restart policy, service
 * account, and in the container named {@value Manifests#CONTAINER} (else the template's first)
 * image, command, args, resources, deploy's env variables and volume mounts. Pure function.
 */
public final class PodTemplateMerge {
  private PodTemplateMerge() {}

  /** Returns {@code ours} over {@code template}; {@code ours} itself when there is none. */
  public static Pod merge(Optional<Pod> template, Pod ours) {
    if (template.isEmpty()) {
      return ours;
    }
    Pod out = Serialization.clone(template.get());
    out.setApiVersion("v1");
    out.setKind("Pod");
    out.setStatus(null);
    out.setMetadata(metadata(out.getMetadata(), ours.getMetadata()));
    PodSpec spec = out.getSpec() != null ? out.getSpec() : new PodSpec();
    PodSpec mine = ours.getSpec();
    spec.setRestartPolicy(mine.getRestartPolicy());
    if (mine.getServiceAccountName() != null) {
      spec.setServiceAccountName(mine.getServiceAccountName());
      spec.setServiceAccount(null);
    }
    spec.setAutomountServiceAccountToken(mine.getAutomountServiceAccountToken());
    spec.setVolumes(byKey(spec.getVolumes(), mine.getVolumes(), Volume::getName));
    spec.setContainers(containers(spec.getContainers(), mine.getContainers().get(0)));
    out.setSpec(spec);
    return out;
  }

  private static ObjectMeta metadata(ObjectMeta theirs, ObjectMeta ours) {
    ObjectMeta m = new ObjectMeta();
    m.setName(ours.getName());
    m.setNamespace(ours.getNamespace());
    m.setOwnerReferences(ours.getOwnerReferences());
    m.setLabels(union(theirs == null ? null : theirs.getLabels(), ours.getLabels()));
    m.setAnnotations(union(theirs == null ? null : theirs.getAnnotations(), ours.getAnnotations()));
    return m;
  }

  private static Map<String, String> union(Map<String, String> theirs, Map<String, String> ours) {
    Map<String, String> out = new LinkedHashMap<>();
    if (theirs != null) {
      out.putAll(theirs);
    }
    if (ours != null) {
      out.putAll(ours);
    }
    return out.isEmpty() ? null : out;
  }

  /** Deploy's container first, merged over the template's of the same name (or its first). */
  private static List<Container> containers(List<Container> theirs, Container ours) {
    List<Container> rest = new ArrayList<>(theirs == null ? List.of() : theirs);
    Container base = null;
    for (Container c : rest) {
      if (Manifests.CONTAINER.equals(c.getName())) {
        base = c;
      }
    }
    if (base == null && !rest.isEmpty()) {
      base = rest.get(0);
    }
    rest.remove(base);
    Container c = base != null ? base : new Container();
    c.setName(ours.getName());
    c.setImage(ours.getImage());
    c.setCommand(ours.getCommand());
    c.setArgs(ours.getArgs());
    c.setResources(ours.getResources());
    c.setEnv(byKey(c.getEnv(), ours.getEnv(), EnvVar::getName));
    List<VolumeMount> mounts =
        byKey(
            byKey(c.getVolumeMounts(), ours.getVolumeMounts(), VolumeMount::getName),
            ours.getVolumeMounts(),
            VolumeMount::getMountPath);
    c.setVolumeMounts(mounts);
    List<Container> out = new ArrayList<>();
    out.add(c);
    out.addAll(rest);
    return out;
  }

  /** Their items whose key none of ours has, then ours. */
  private static <T> List<T> byKey(List<T> theirs, List<T> ours, Function<T, String> key) {
    List<T> out = new ArrayList<>();
    java.util.Set<String> taken = new java.util.HashSet<>();
    for (T t : ours) {
      taken.add(key.apply(t));
    }
    if (theirs != null) {
      for (T t : theirs) {
        if (!taken.contains(key.apply(t))) {
          out.add(t);
        }
      }
    }
    out.addAll(ours);
    return out;
  }
}
