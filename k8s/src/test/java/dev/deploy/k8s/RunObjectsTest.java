package dev.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Resources;
import dev.deploy.k8s.testing.MockApi;
import dev.deploy.security.ClusterKey;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RunObjectsTest {
  private final MockApi api = new MockApi();

  @AfterEach
  void stop() {
    api.close();
  }

  static RunSettings settings(Optional<Pod> template) {
    return new RunSettings(
        "test",
        "deploy-test",
        "example/deploy:1",
        3,
        new Resources(2L << 30, 1.5),
        template,
        41234,
        "deploy");
  }

  static final String TEMPLATE =
      """
      apiVersion: v1
      kind: Pod
      metadata:
        labels:
          team: a
          app.kubernetes.io/name: not-deploy
        annotations:
          note: kept
      spec:
        restartPolicy: Always
        nodeSelector:
          pool: big
        containers:
        - name: deploy
          image: user/own:1
          env:
          - name: FOO
            value: bar
          - name: DEPLOY_KEY_FILE
            value: /wrong
          resources:
            limits:
              memory: 1Gi
        - name: sidecar
          image: user/sidecar:1
      """;

  static Pod template() {
    return Serialization.unmarshal(TEMPLATE, Pod.class);
  }

  @Test
  void givenARun_whenCreated_thenSecretAndServiceAreOwnedByTheMasterPod() throws Exception {
    RunSettings s = settings(Optional.empty());
    ClusterKey key = ClusterKey.generate();

    OwnerReference owner = new RunObjects(api.client()).create(s, key);

    Pod master = api.client().pods().inNamespace("test").withName("deploy-test-master").get();
    assertThat(owner.getUid()).isEqualTo(master.getMetadata().getUid()).isNotBlank();
    assertThat(master.getMetadata().getLabels())
        .containsEntry(Labels.NAME, "deploy")
        .containsEntry(Labels.RUN, "deploy-test")
        .containsEntry(Labels.ROLE, "master");
    assertThat(master.getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(master.getSpec().getServiceAccountName()).isEqualTo("deploy");
    Container c = master.getSpec().getContainers().get(0);
    assertThat(c.getArgs()).contains(Manifests.MASTER_MAIN, "--bridge-port=41234");
    assertThat(c.getResources().getRequests()).isEqualTo(c.getResources().getLimits());

    Secret secret = api.client().secrets().inNamespace("test").withName("deploy-test-key").get();
    String stored =
        new String(
            Base64.getDecoder().decode(secret.getData().get("key")), StandardCharsets.US_ASCII);
    assertThat(stored.trim()).isEqualTo(key.toHex());
    assertThat(secret.getMetadata().getOwnerReferences()).containsExactly(owner);

    Service service = api.client().services().inNamespace("test").withName("deploy-test").get();
    assertThat(service.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(service.getSpec().getSelector()).isEqualTo(Labels.of("deploy-test", "master"));
    assertThat(service.getSpec().getPorts().get(0).getPort()).isEqualTo(7000);
    assertThat(service.getMetadata().getOwnerReferences()).containsExactly(owner);
  }

  @Test
  void givenANode_whenFabricPodMade_thenRequestsEqualLimitsOfNodePlusBudget() {
    RunSettings s = settings(Optional.empty());
    OwnerReference owner = Manifests.ownedBy("deploy-test-master", "uid-1");

    Pod pod = Manifests.fabricPod(s, "deploy-test-fabric-1", owner);

    Container c = pod.getSpec().getContainers().get(0);
    Map<String, Quantity> limits = c.getResources().getLimits();
    assertThat(c.getResources().getRequests()).isEqualTo(limits);
    // 2 GiB + 256 MiB daemon + 2 GiB / 8 = 2560 MiB
    assertThat(limits.get("memory")).isEqualTo(new Quantity("2560Mi"));
    assertThat(limits.get("cpu")).isEqualTo(new Quantity("1500m"));
    assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getMetadata().getOwnerReferences()).containsExactly(owner);
    assertThat(pod.getMetadata().getLabels()).isEqualTo(Labels.of("deploy-test", "fabric"));
    assertThat(c.getArgs())
        .containsSubsequence("fabric", "--master", "deploy-test.test.svc:7000")
        .containsSubsequence("--name", "deploy-test-fabric-1")
        .containsSubsequence("--mem", "2048MiB", "--cpus", "1.5")
        .containsSubsequence("--advertise", "$(DEPLOY_POD_IP)")
        .containsSubsequence("--exit-after", "30s");
    EnvVar ip =
        c.getEnv().stream().filter(e -> e.getName().equals("DEPLOY_POD_IP")).findFirst().get();
    assertThat(ip.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
  }

  @Test
  void givenATemplate_whenMerged_thenTemplateKeptAndDeployFieldsWin() {
    RunSettings s = settings(Optional.of(template()));

    Pod pod = Manifests.fabricPod(s, "deploy-test-fabric-1", Manifests.ownedBy("m", "uid-1"));

    assertThat(pod.getMetadata().getLabels())
        .containsEntry("team", "a")
        .containsEntry(Labels.NAME, "deploy");
    assertThat(pod.getMetadata().getAnnotations()).containsEntry("note", "kept");
    assertThat(pod.getSpec().getNodeSelector()).containsEntry("pool", "big");
    assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly("deploy", "sidecar");
    Container c = pod.getSpec().getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("example/deploy:1");
    assertThat(c.getResources().getLimits().get("memory")).isEqualTo(new Quantity("2560Mi"));
    assertThat(c.getEnv()).extracting(EnvVar::getName).contains("FOO", "DEPLOY_POD_IP");
    assertThat(c.getEnv())
        .filteredOn(e -> e.getName().equals("DEPLOY_KEY_FILE"))
        .extracting(EnvVar::getValue)
        .containsExactly(Manifests.KEY_DIR + "/key");
  }

  @Test
  void givenATemplate_whenRunCreated_thenMasterPodCarriesItAndTheMergeToo() throws Exception {
    RunSettings s = settings(Optional.of(template()));

    new RunObjects(api.client()).create(s, ClusterKey.generate());

    Pod master = api.client().pods().inNamespace("test").withName("deploy-test-master").get();
    assertThat(master.getSpec().getNodeSelector()).containsEntry("pool", "big");
    String json =
        master.getSpec().getContainers().get(0).getEnv().stream()
            .filter(e -> e.getName().equals(Manifests.TEMPLATE))
            .findFirst()
            .get()
            .getValue();
    assertThat(Serialization.unmarshal(json, Pod.class).getSpec().getNodeSelector())
        .containsEntry("pool", "big");
  }

  @Test
  void givenWhatRunAndDeleteDo_whenRequestsRecorded_thenTheRoleAllowsEachOne() throws Exception {
    RunSettings s = settings(Optional.empty());
    try (var kubelet =
        new dev.deploy.k8s.testing.FakeKubelet(
            api.kubelet(),
            "test",
            p -> dev.deploy.k8s.testing.FakeKubelet.Fate.RUN,
            p -> {},
            p -> {})) {
      RunObjects objects = new RunObjects(api.client());
      objects.create(s, ClusterKey.generate());
      objects.awaitMaster(s, java.time.Duration.ofSeconds(20));
      objects.delete("test", "deploy-test");
    }

    KubernetesNodeProviderTest.assertAllowed(api.requests());
    assertThat(api.requests()).extracting(MockApi.Request::verb).contains("create", "delete");
  }

  @Test
  void givenARunWithFabricPods_whenDeleted_thenNothingOfItIsLeft() throws Exception {
    RunSettings s = settings(Optional.empty());
    OwnerReference owner = new RunObjects(api.client()).create(s, ClusterKey.generate());
    api.client()
        .pods()
        .inNamespace("test")
        .resource(Manifests.fabricPod(s, "deploy-test-fabric-1", owner))
        .create();

    boolean found = new RunObjects(api.client()).delete("test", "deploy-test");

    assertThat(found).isTrue();
    assertThat(api.client().pods().inNamespace("test").list().getItems()).isEmpty();
    assertThat(api.client().services().inNamespace("test").list().getItems()).isEmpty();
    assertThat(api.client().secrets().inNamespace("test").list().getItems()).isEmpty();
    assertThat(new RunObjects(api.client()).delete("test", "deploy-test")).isFalse();
  }
}
