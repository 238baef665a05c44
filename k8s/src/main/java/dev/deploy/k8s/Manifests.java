package dev.deploy.k8s;

import dev.deploy.Resources;
import dev.deploy.security.ClusterKey;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The objects of a run, as deploy makes them: the Secret with the run's key, the headless service
 * that names the master, the master pod, and each fabric pod. Pure functions of {@link
 * RunSettings}; every object carries {@link Labels}; all but the master pod an owner reference to
 * it, so deleting the master pod deletes the run.
 */
public final class Manifests {
  private Manifests() {}

  /** Where the image holds deploy.jar. */
  public static final String DEPLOY_JAR = "/opt/deploy/lib/deploy.jar";

  /** Where the image holds the k8s module's jars (the master pod's class path only). */
  public static final String K8S_JARS = "/opt/deploy/lib/k8s/*";

  /** The master pod's main class. */
  public static final String MASTER_MAIN = "dev.deploy.k8s.MasterPod";

  /** Where the Secret is mounted; the key is the file {@code key} there. */
  public static final String KEY_DIR = "/var/run/deploy/key";

  /** The jar cache of a pod: an emptyDir. */
  public static final String CACHE_DIR = "/var/cache/deploy";

  /** The container deploy fills in (in the user's template, the container of this name). */
  public static final String CONTAINER = "deploy";

  /** The environment variable that carries the pod's IP (downward API). */
  public static final String POD_IP = "DEPLOY_POD_IP";

  /** The master's environment variable with its own uid (downward API), for owner references. */
  public static final String POD_UID = "DEPLOY_POD_UID";

  /** The master's environment variable with the user's pod template, as JSON. */
  public static final String TEMPLATE = "DEPLOY_K8S_POD_TEMPLATE";

  /** How long a fabric keeps going without its master before it kills its processes and exits. */
  public static final String EXIT_AFTER = "30s";

  /** Returns the Secret holding {@code key} in {@code key}, owned by the master pod. */
  public static Secret secret(RunSettings s, ClusterKey key, OwnerReference owner) {
    String hex = key.toHex() + "\n";
    return new SecretBuilder()
        .withNewMetadata()
        .withName(s.secret())
        .withNamespace(s.namespace())
        .withLabels(Labels.of(s.run(), Labels.RUN_OBJECT))
        .withOwnerReferences(owner)
        .endMetadata()
        .withType("Opaque")
        .withData(
            Map.of(
                "key", Base64.getEncoder().encodeToString(hex.getBytes(StandardCharsets.US_ASCII))))
        .build();
  }

  /**
   * Returns the headless service whose name resolves to the master pod's IP: fabrics join at {@code
   * <run>.<namespace>.svc:7000}.
   */
  public static Service service(RunSettings s, OwnerReference owner) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(s.service())
        .withNamespace(s.namespace())
        .withLabels(Labels.of(s.run(), Labels.RUN_OBJECT))
        .withOwnerReferences(owner)
        .endMetadata()
        .withNewSpec()
        .withClusterIP("None")
        .withSelector(Labels.of(s.run(), Labels.MASTER))
        .addNewPort()
        .withName("join")
        .withPort(RunSettings.JOIN_PORT)
        .withProtocol("TCP")
        .endPort()
        .withPublishNotReadyAddresses(true)
        .endSpec()
        .build();
  }

  /** Returns the owner reference to the master pod {@code name} with {@code uid}. */
  public static OwnerReference ownedBy(String name, String uid) {
    return new OwnerReferenceBuilder()
        .withApiVersion("v1")
        .withKind("Pod")
        .withName(name)
        .withUid(uid)
        .withController(true)
        .withBlockOwnerDeletion(false)
        .build();
  }

  /**
   * Returns the master pod: it runs {@link MasterPod} with the k8s module on its class path, as the
   * service account of {@code deploy k8s rbac}, with the user's template merged under it.
   */
  public static Pod masterPod(RunSettings s) {
    List<String> args = new ArrayList<>();
    args.add("-Xmx" + JvmBudget.MASTER_HEAP_MIB + "m");
    args.add("-XX:+UseSerialGC");
    args.add("-cp");
    args.add(DEPLOY_JAR + ":" + K8S_JARS);
    args.add(MASTER_MAIN);
    args.add("--run=" + s.run());
    args.add("--namespace=" + s.namespace());
    args.add("--image=" + s.image());
    args.add("--max-nodes=" + s.maxNodes());
    args.add("--node-mem=" + s.node().memory());
    args.add("--node-cpu=" + s.node().cpu());
    args.add("--bridge-port=" + s.bridgePort());
    args.add("--service-account=" + s.serviceAccount());
    List<EnvVar> env = new ArrayList<>(commonEnv());
    env.add(fieldRef(POD_UID, "metadata.uid"));
    s.template()
        .ifPresent(t -> env.add(new EnvVarBuilder().withName(TEMPLATE).withValue(json(t)).build()));
    Container c =
        container(
            s,
            args,
            env,
            new ResourceRequirementsBuilder()
                .addToRequests("memory", new Quantity(JvmBudget.MASTER_MIB + "Mi"))
                .addToRequests("cpu", new Quantity(JvmBudget.MASTER_MILLICORES + "m"))
                .addToLimits("memory", new Quantity(JvmBudget.MASTER_MIB + "Mi"))
                .addToLimits("cpu", new Quantity(JvmBudget.MASTER_MILLICORES + "m"))
                .build());
    c.setReadinessProbe(
        new io.fabric8.kubernetes.api.model.ProbeBuilder()
            .withNewTcpSocket()
            .withNewPort(RunSettings.JOIN_PORT)
            .endTcpSocket()
            .withPeriodSeconds(1)
            .build());
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(s.masterPod())
            .withNamespace(s.namespace())
            .withLabels(Labels.of(s.run(), Labels.MASTER))
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withServiceAccountName(s.serviceAccount())
            .withAutomountServiceAccountToken(true)
            .withContainers(c)
            .withVolumes(volumes(s))
            .endSpec()
            .build();
    return PodTemplateMerge.merge(s.template(), pod);
  }

  /**
   * Returns fabric pod {@code name}: a fabric of {@code s.node()} that joins the master at the
   * service, advertises the pod's IP, and exits 30 s after losing its master; requests = limits =
   * the node plus {@link JvmBudget}; owned by the master pod; no API token.
   */
  public static Pod fabricPod(RunSettings s, String name, OwnerReference owner) {
    Resources node = s.node();
    List<String> args = new ArrayList<>();
    args.add("-Xmx" + JvmBudget.DAEMON_HEAP_MIB + "m");
    args.add("-XX:+UseSerialGC");
    args.add("-jar");
    args.add(DEPLOY_JAR);
    args.addAll(fabricArguments(s, name));
    String memory = JvmBudget.quantityOfMemory(JvmBudget.podMemory(node));
    String cpu = JvmBudget.quantityOfCpu(node.cpu());
    ResourceRequirements resources =
        new ResourceRequirementsBuilder()
            .addToRequests("memory", new Quantity(memory))
            .addToRequests("cpu", new Quantity(cpu))
            .addToLimits("memory", new Quantity(memory))
            .addToLimits("cpu", new Quantity(cpu))
            .build();
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(s.namespace())
            .withLabels(Labels.of(s.run(), Labels.FABRIC))
            .withOwnerReferences(owner)
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withAutomountServiceAccountToken(false)
            .withContainers(container(s, args, commonEnv(), resources))
            .withVolumes(volumes(s))
            .endSpec()
            .build();
    return PodTemplateMerge.merge(s.template(), pod);
  }

  /**
   * Returns the arguments after {@code deploy.jar} of fabric pod {@code name}: {@code fabric
   * --master ...}; {@code $(DEPLOY_POD_IP)} is expanded by the kubelet.
   */
  public static List<String> fabricArguments(RunSettings s, String name) {
    Resources node = s.node();
    return List.of(
        "fabric",
        "--master",
        s.joinHost() + ":" + RunSettings.JOIN_PORT,
        "--name",
        name,
        "--mem",
        (node.memory() >> 20) + "MiB",
        "--cpus",
        String.format(Locale.ROOT, "%s", stripZeros(node.cpu())),
        "--advertise",
        "$(" + POD_IP + ")",
        "--exit-after",
        EXIT_AFTER,
        "--no-cgroups",
        "--cache",
        CACHE_DIR + "/jars");
  }

  private static String stripZeros(double cpu) {
    return new java.math.BigDecimal(Double.toString(cpu)).stripTrailingZeros().toPlainString();
  }

  private static Container container(
      RunSettings s, List<String> args, List<EnvVar> env, ResourceRequirements resources) {
    return new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(s.image())
        .withCommand("java")
        .withArgs(args)
        .withEnv(env)
        .withResources(resources)
        .withVolumeMounts(mounts())
        .build();
  }

  private static List<EnvVar> commonEnv() {
    List<EnvVar> env = new ArrayList<>();
    env.add(fieldRef(POD_IP, "status.podIP"));
    env.add(new EnvVarBuilder().withName("DEPLOY_KEY_FILE").withValue(KEY_DIR + "/key").build());
    return env;
  }

  private static EnvVar fieldRef(String name, String path) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath(path)
        .endFieldRef()
        .endValueFrom()
        .build();
  }

  private static List<VolumeMount> mounts() {
    return List.of(
        new VolumeMountBuilder()
            .withName("deploy-key")
            .withMountPath(KEY_DIR)
            .withReadOnly(true)
            .build(),
        new VolumeMountBuilder().withName("deploy-cache").withMountPath(CACHE_DIR).build());
  }

  private static List<Volume> volumes(RunSettings s) {
    return List.of(
        new VolumeBuilder()
            .withName("deploy-key")
            .withNewSecret()
            .withSecretName(s.secret())
            .withDefaultMode(0400)
            .endSecret()
            .build(),
        new VolumeBuilder().withName("deploy-cache").withNewEmptyDir().endEmptyDir().build());
  }

  /** Returns {@code pod} as JSON. */
  static String json(Pod pod) {
    return Serialization.asJson(pod);
  }
}
