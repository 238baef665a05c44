package dev.deploy.cluster.master;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Resources;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.master.Master;
import dev.deploy.program.JarCache;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ClusterMaster} taking in fabrics that join, each played by the test over a real handshake
 * on loopback: a joined fabric is in the books for as long as its link lasts; a name in use (the
 * master's own, a static worker's, a joined one's) is refused, saying so; a link that does not
 * start with a Join is dropped. Its node providers see the joined fabrics, retire or cut them, and
 * hear what waits for room.
 */
@Timeout(30)
class ClusterMasterTest {
  private static final Resources CAPACITY = new Resources(2L << 30, 2);
  private static final String STATIC_NAME =
      MasterFixture.STATIC_WORKER.getHostString() + ":" + MasterFixture.STATIC_WORKER.getPort();

  @TempDir Path dir;
  private MasterFixture cluster;
  private final RecordingProvider provider = new RecordingProvider();

  /** A provider that starts nothing and records what the master tells it. */
  private static final class RecordingProvider implements NodeProvider {
    volatile Cluster cluster;
    volatile Optional<Resources> largest = Optional.empty();
    final List<List<Resources>> demands = new CopyOnWriteArrayList<>();

    @Override
    public void start(Cluster cluster) {
      this.cluster = cluster;
    }

    @Override
    public Optional<Resources> largestNode() {
      return largest;
    }

    @Override
    public void demand(List<Resources> waiting) {
      demands.add(waiting);
    }
  }

  @BeforeEach
  void start() throws IOException {
    cluster = new MasterFixture(new JarCache(dir.resolve("jars")), List.of(provider));
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private static WorkerLink.Join named(String name) {
    return WorkerLink.Join.of(name, CAPACITY, "127.0.0.1");
  }

  private static String inUse(String name) {
    return "the name "
        + name
        + " is in use by another node of this cluster; give this fabric another --name";
  }

  /** Reads the rest of a refused link: it must end. */
  private static void assertEnds(LinkConnection<WorkerLink> c) {
    try {
      assertThat(c.read()).as("nothing after the answer").isNull();
    } catch (IOException e) {
      // Ended too.
    }
  }

  @Test
  void givenFabricJoins_whenAccepted_thenInTheBooksWithItsCapacityUntilItsLinkEnds()
      throws Exception {
    LinkConnection<WorkerLink> w1 = cluster.join(named("w1"));

    assertThat(w1.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));
    await().until(() -> cluster.nodes().contains("w1"));
    Master.NodeView view =
        cluster.master.master().nodeViews().stream()
            .filter(v -> v.name().equals("w1"))
            .findFirst()
            .orElseThrow();
    assertThat(view.capacity()).isEqualTo(CAPACITY);

    w1.close();

    await().until(() -> !cluster.nodes().contains("w1"));
  }

  @Test
  void givenTheMastersOwnName_whenAFabricJoinsWithIt_thenRefusedSayingSo() throws Exception {
    LinkConnection<WorkerLink> c = cluster.join(named(ClusterMaster.OWN_NODE));

    assertThat(c.read()).isEqualTo(new WorkerLink.JoinAnswer(false, inUse("master")));
    assertEnds(c);
  }

  @Test
  void givenAStaticWorkersName_whenAFabricJoinsWithIt_thenRefusedAndTheStaticWorkerStays()
      throws Exception {
    LinkConnection<WorkerLink> c = cluster.join(named(STATIC_NAME));

    assertThat(c.read()).isEqualTo(new WorkerLink.JoinAnswer(false, inUse(STATIC_NAME)));
    assertEnds(c);
  }

  @Test
  void givenJoinedFabric_whenAnotherJoinsWithItsName_thenRefusedUntilTheFirstsLinkEnds()
      throws Exception {
    LinkConnection<WorkerLink> first = cluster.join(named("w1"));
    assertThat(first.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));

    LinkConnection<WorkerLink> second = cluster.join(named("w1"));
    assertThat(second.read()).isEqualTo(new WorkerLink.JoinAnswer(false, inUse("w1")));
    assertEnds(second);
    assertThat(cluster.nodes()).containsOnlyOnce("w1");

    first.close();
    await().until(() -> !cluster.nodes().contains("w1"));
    LinkConnection<WorkerLink> third = cluster.join(named("w1"));
    assertThat(third.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));
    await().until(() -> cluster.nodes().contains("w1"));
  }

  @Test
  void givenTwoFabricsJoined_whenOneLinkEnds_thenOnlyItLeavesTheBooks() throws Exception {
    LinkConnection<WorkerLink> w1 = cluster.join(named("w1"));
    LinkConnection<WorkerLink> w2 = cluster.join(named("w2"));
    assertThat(w1.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));
    assertThat(w2.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));
    await().until(() -> cluster.nodes().containsAll(java.util.List.of("w1", "w2")));

    w2.close();

    await().until(() -> !cluster.nodes().contains("w2"));
    assertThat(cluster.nodes()).contains("w1");
  }

  @Test
  void givenALinkThatStartsWithSomethingElse_whenJoining_thenDroppedAndNotInTheBooks()
      throws Exception {
    LinkConnection<WorkerLink> c = cluster.join(new WorkerLink.Retire());

    assertEnds(c);
    assertThat(cluster.nodes()).as("the static worker is unreachable: out of the books").isEmpty();
  }

  @Test
  void givenAJoinedFabric_whenTheMasterCloses_thenItsLinkEnds() throws Exception {
    LinkConnection<WorkerLink> w1 = cluster.join(named("w1"));
    assertThat(w1.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));

    cluster.master.close();

    assertEnds(w1);
  }

  private static final Resources R = new Resources(256L << 20, 1);

  @Test
  void givenAProviderThatCanGrowTheCluster_whenASpawnWaitsAndIsWithdrawn_thenItHearsBoth()
      throws Exception {
    provider.largest = Optional.of(CAPACITY);

    cluster.master.master().spawn(new dev.deploy.master.LaunchOrder(7, null, R, null), true);

    await().until(() -> provider.demands.contains(List.of(R)));
    cluster.master.master().cancelProgram(7);
    await().until(() -> provider.demands.get(provider.demands.size() - 1).isEmpty());
  }

  @Test
  void givenNoNodeOrProviderEverFits_whenASpawnWouldWait_thenItFailsAtOnceAsTooLarge() {
    Resources huge = new Resources(4L << 30, 1); // the static worker has 1 GiB

    assertThat(
            cluster
                .master
                .master()
                .spawn(new dev.deploy.master.LaunchOrder(7, null, huge, null), true))
        .failsWithin(java.time.Duration.ofSeconds(5))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(dev.deploy.master.LaunchException.class);
    assertThat(provider.demands).as("nothing waits").allSatisfy(d -> assertThat(d).isEmpty());
    assertThat(cluster.master.master().waitingResources()).isEmpty();
  }

  @Test
  void givenJoinedFabric_whenTheProviderAsks_thenItSeesItWithItsRoomAndNotTheOthers()
      throws Exception {
    LinkConnection<WorkerLink> w1 = cluster.join(named("w1"));
    assertThat(w1.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));

    await().until(() -> provider.cluster.nodes().size() == 1);
    NodeProvider.NodeState s = provider.cluster.nodes().get(0);
    assertThat(s.name()).isEqualTo("w1");
    assertThat(s.capacity()).isEqualTo(CAPACITY);
    assertThat(s.free()).isEqualTo(CAPACITY);
  }

  @Test
  void givenIdleJoinedFabric_whenTheProviderRetiresIt_thenItIsToldToRetireAndLeavesTheBooks()
      throws Exception {
    LinkConnection<WorkerLink> w1 = cluster.join(named("w1"));
    assertThat(w1.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));
    await().until(() -> cluster.nodes().contains("w1"));

    assertThat(provider.cluster.retire("nobody")).isFalse();
    assertThat(provider.cluster.retire("w1")).isTrue();

    assertThat(w1.read()).isEqualTo(new WorkerLink.Retire());
    assertThat(cluster.nodes()).doesNotContain("w1");
  }

  @Test
  void givenJoinedFabric_whenTheProviderSaysItIsLost_thenItsLinkIsCutAndItLeavesTheBooks()
      throws Exception {
    LinkConnection<WorkerLink> w1 = cluster.join(named("w1"));
    assertThat(w1.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));
    await().until(() -> cluster.nodes().contains("w1"));

    provider.cluster.lost("w1", "its pod was deleted");

    assertEnds(w1);
    await().until(() -> !cluster.nodes().contains("w1"));
  }
}
