package dev.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.Resources;
import dev.deploy.k8s.testing.FakeCluster;
import dev.deploy.k8s.testing.FakeKubelet;
import dev.deploy.k8s.testing.MockApi;
import dev.deploy.k8s.testing.MockApi.Request;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class KubernetesNodeProviderTest {
  private static final Resources GIB = new Resources(1L << 30, 0.5);
  private final MockApi api = new MockApi();
  private final FakeCluster cluster = new FakeCluster();
  private final RunSettings settings = RunObjectsTest.settings(Optional.empty()); // 2 GiB, 1.5 cpu
  private FakeKubelet kubelet;
  private KubernetesNodeProvider provider;

  @AfterEach
  void stop() {
    if (provider != null) {
      provider.close();
    }
    if (kubelet != null) {
      kubelet.close();
    }
    api.close();
  }

  private void start(Function<Pod, FakeKubelet.Fate> fate) {
    kubelet = new FakeKubelet(api.kubelet(), "test", fate, p -> {}, p -> {});
    provider =
        new KubernetesNodeProvider(
            api.client(),
            settings,
            Manifests.ownedBy("deploy-test-master", "uid-1"),
            KubernetesNodeProvider.IDLE_AFTER,
            Duration.ofMillis(50));
    provider.start(cluster);
  }

  private List<String> podsInApi() {
    return api.client().pods().inNamespace("test").list().getItems().stream()
        .map(p -> p.getMetadata().getName())
        .sorted()
        .toList();
  }

  @Test
  void givenSpawnsWaiting_whenDemand_thenOneBatchOfPodsBoundedByMaxNodes() {
    start(p -> FakeKubelet.Fate.NOTHING);

    // 2 GiB nodes: 1 + 1 fit one, 1.5 each another; 5 x 1.5 GiB would need 5, max is 3.
    provider.demand(List.of(GIB, GIB));
    await().until(() -> podsInApi().size() == 1);
    provider.demand(List.of(GIB, GIB, new Resources(3L << 29, 0.5), new Resources(3L << 29, 0.5)));
    await().until(() -> podsInApi().size() == 3);

    provider.demand(List.of(GIB, GIB, GIB, GIB, GIB, GIB, GIB, GIB));
    await().during(Duration.ofMillis(300)).until(() -> podsInApi().size() == 3);
    assertThat(podsInApi())
        .containsExactly("deploy-test-fabric-1", "deploy-test-fabric-2", "deploy-test-fabric-3");
  }

  @Test
  void givenPodsOnTheirWay_whenTheSameDemandAgain_thenNoMorePods() {
    start(p -> FakeKubelet.Fate.UNSCHEDULABLE);

    provider.demand(List.of(GIB));
    provider.demand(List.of(GIB));
    provider.demand(List.of(GIB, GIB));

    await().during(Duration.ofMillis(300)).until(() -> podsInApi().size() == 1);
  }

  @Test
  void givenAJoinedNodeIdleForAMinute_whenChecked_thenRetiredAndItsPodDeleted() {
    start(p -> FakeKubelet.Fate.RUN);
    provider.demand(List.of(GIB, new Resources(2L << 30, 1)));
    await().until(() -> kubelet.running().size() == 2);
    cluster.join("deploy-test-fabric-1", settings.node());
    cluster.join("deploy-test-fabric-2", settings.node());
    provider.demand(List.of()); // the master placed them: nothing waits

    cluster.idle("deploy-test-fabric-1", Duration.ofSeconds(59));
    cluster.idle("deploy-test-fabric-2", Duration.ofSeconds(60));

    await().until(() -> podsInApi().equals(List.of("deploy-test-fabric-1")));
    assertThat(cluster.retired).containsExactly("deploy-test-fabric-2");
    assertThat(cluster.lost).isEmpty();
  }

  @Test
  void givenAPodOomKilled_whenWatched_thenItsNodeIsLostWithTheReason() {
    start(p -> FakeKubelet.Fate.RUN);
    provider.demand(List.of(GIB));
    await().until(() -> kubelet.running().size() == 1);
    cluster.join("deploy-test-fabric-1", settings.node());
    provider.demand(List.of());

    kubelet.oomKill("deploy-test-fabric-1");

    await().until(() -> cluster.lost.size() == 1);
    assertThat(cluster.lost.get(0))
        .startsWith("deploy-test-fabric-1: ")
        .contains("exit code 137", "OOMKilled", "memory limit");
  }

  @Test
  void givenAPodDeleted_whenSpawnsStillWait_thenLostAndReplaced() {
    start(p -> FakeKubelet.Fate.RUN);
    provider.demand(List.of(GIB));
    await().until(() -> kubelet.running().size() == 1);
    cluster.join("deploy-test-fabric-1", settings.node());
    // The spawn still waits (say it needs the new node to itself): a lost node is replaced.

    kubelet.delete("deploy-test-fabric-1");

    await().until(() -> cluster.lost.size() == 1);
    assertThat(cluster.lost.get(0)).contains("was deleted");
    await().until(() -> podsInApi().equals(List.of("deploy-test-fabric-2")));
  }

  @Test
  void givenPods_whenClosed_thenEveryPodItMadeIsDeleted() {
    start(p -> FakeKubelet.Fate.RUN);
    provider.demand(List.of(GIB, GIB, GIB, GIB));
    // Wait for the fake kubelet to be done with both: its status write after a delete would put
    // the pod back in the mock server (a real API server answers 404), which is not the provider's.
    await().until(() -> kubelet.running().size() == 2);
    assertThat(podsInApi()).hasSize(2);

    provider.close();
    provider = null;

    assertThat(podsInApi()).isEmpty();
  }

  @Test
  void givenEverythingTheProviderDoes_whenRequestsRecorded_thenTheRoleAllowsEachOne()
      throws Exception {
    start(p -> FakeKubelet.Fate.RUN);
    provider.demand(List.of(GIB, new Resources(2L << 30, 1)));
    await().until(() -> kubelet.running().size() == 2);
    cluster.join("deploy-test-fabric-1", settings.node());
    cluster.join("deploy-test-fabric-2", settings.node());
    provider.demand(List.of());
    cluster.idle("deploy-test-fabric-1", Duration.ofSeconds(61));
    await().until(() -> cluster.retired.size() == 1);
    kubelet.oomKill("deploy-test-fabric-2");
    await().until(() -> cluster.lost.size() == 1);
    provider.close();
    provider = null;

    assertAllowed(api.requests());
  }

  static void assertAllowed(List<Request> requests) {
    Role role = Rbac.role("test");
    assertThat(requests).isNotEmpty();
    for (Request r : requests) {
      assertThat(Rbac.allows(role, r.verb(), r.resource()))
          .as("%s (%s %s) allowed by the Role", r.line(), r.verb(), r.resource())
          .isTrue();
      assertThat(r.namespace()).as(r.line()).isEqualTo("test");
    }
  }
}
