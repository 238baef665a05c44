package dev.deploy.cluster;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Resources;
import dev.deploy.cluster.master.ClusterMaster;
import dev.deploy.cluster.master.NodeProvider;
import dev.deploy.cluster.worker.WorkerDaemon;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import dev.deploy.util.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workers that join a master over loopback ({@link WorkerDaemon#join}): the master's books as its
 * providers see them grow and shrink, a name in use is refused, a worker that lost its master gives
 * up after {@code exitAfter}, a provider hears the queue and is started and closed with the master.
 */
@Timeout(30)
class JoinTest {
  private static final Resources ONE_GIB_TWO_CPUS = new Resources(1L << 30, 2);

  @TempDir Path dir;

  private final ClusterKey key = ClusterKey.generate();
  private final List<AutoCloseable> open = new ArrayList<>();
  private final RecordingProvider provider = new RecordingProvider();

  /** A provider that starts nothing and records what the master tells it. */
  static final class RecordingProvider implements NodeProvider {
    volatile Cluster cluster;
    volatile boolean closed;
    final List<List<Resources>> demands = new CopyOnWriteArrayList<>();
    volatile Optional<Resources> largest = Optional.empty();

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

    @Override
    public void close() {
      closed = true;
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private ClusterMaster master() throws IOException {
    ClusterMaster m =
        new ClusterMaster(
            key,
            new InetSocketAddress("127.0.0.1", 0),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            List.of(),
            List.of(provider),
            new JarCache(dir.resolve("master-jars")),
            1L << 30,
            false,
            0);
    open.add(m);
    return m;
  }

  private WorkerDaemon.JoinOptions options(ClusterMaster master, String name) throws IOException {
    InetSocketAddress at = master.advertised();
    return WorkerDaemon.JoinOptions.of(
            key,
            new HostPort(at.getHostString(), at.getPort()),
            new JarCache(dir.resolve(name + "-jars")))
        .withName(name)
        .withCapacity(ONE_GIB_TWO_CPUS)
        .withFabric(1L << 30, false, 0);
  }

  private WorkerDaemon join(WorkerDaemon.JoinOptions options) {
    WorkerDaemon w = WorkerDaemon.join(options);
    open.add(w);
    return w;
  }

  private List<String> names() {
    return provider.cluster.nodes().stream().map(NodeProvider.NodeState::name).toList();
  }

  @Test
  void givenMasterWithProvider_whenStarted_thenProviderSeesItsJoinAddressAndKey()
      throws IOException {
    ClusterMaster master = master();

    assertThat(provider.cluster.joinAddress()).isEqualTo(master.advertised());
    assertThat(provider.cluster.key()).isSameAs(key);
    assertThat(provider.cluster.nodes()).isEmpty();
  }

  @Test
  void givenTwoWorkers_whenTheyJoin_thenBothAreInTheBooksWithTheirCapacity() throws IOException {
    ClusterMaster master = master();

    WorkerDaemon n1 = join(options(master, "n1").withAdvertise("127.0.0.2"));
    WorkerDaemon n2 = join(options(master, "n2").withAdvertise("127.0.0.3"));

    await().until(() -> names().size() == 2);
    assertThat(names()).containsExactlyInAnyOrder("n1", "n2");
    assertThat(provider.cluster.nodes())
        .allSatisfy(n -> assertThat(n.capacity()).isEqualTo(ONE_GIB_TWO_CPUS))
        .allSatisfy(n -> assertThat(n.free()).isEqualTo(ONE_GIB_TWO_CPUS));
    await().until(() -> n1.joined() && n2.joined());
    assertThat(n1.fabricAddress().orElseThrow().getHostString()).isEqualTo("127.0.0.2");
    assertThat(n2.fabricAddress().orElseThrow().getHostString()).isEqualTo("127.0.0.3");
  }

  @Test
  void givenWorkerWithoutAdvertise_whenItJoins_thenItAdvertisesItsAddressOfTheLink()
      throws IOException {
    ClusterMaster master = master();

    WorkerDaemon n1 = join(options(master, "n1"));

    await().until(n1::joined);
    assertThat(n1.fabricAddress().orElseThrow().getHostString()).isEqualTo("127.0.0.1");
  }

  @Test
  void givenJoinedWorker_whenAnotherJoinsUnderItsName_thenRefusedAndTheFirstStays()
      throws IOException {
    ClusterMaster master = master();
    WorkerDaemon first = join(options(master, "n1"));
    await().until(first::joined);

    WorkerDaemon second = join(options(master, "n1"));

    // The refusal is retried every second; meanwhile the first keeps its place.
    await()
        .during(Duration.ofMillis(1500))
        .atMost(Duration.ofSeconds(5))
        .until(() -> !second.joined() && first.joined() && names().equals(List.of("n1")));
  }

  @Test
  void givenJoinedWorker_whenItStops_thenItLeavesTheBooksAndItsNameMayJoinAgain()
      throws IOException {
    ClusterMaster master = master();
    WorkerDaemon first = join(options(master, "n1"));
    await().until(() -> names().equals(List.of("n1")));

    first.close();
    await().until(() -> names().isEmpty());
    WorkerDaemon again = join(options(master, "n1"));

    await().until(() -> again.joined() && names().equals(List.of("n1")));
  }

  @Test
  void givenJoinedWorker_whenProviderSaysItIsLost_thenItLeavesTheBooksAndJoinsAgain()
      throws IOException {
    ClusterMaster master = master();
    WorkerDaemon n1 = join(options(master, "n1"));
    await().until(() -> names().equals(List.of("n1")));

    provider.cluster.lost("n1", "its pod was deleted");

    // The fabric itself lives on and joins again, as a new node of the same name.
    await().atMost(Duration.ofSeconds(10)).until(() -> n1.joined() && names().size() == 1);
  }

  @Test
  void givenIdleJoinedWorker_whenRetired_thenItLeavesTheBooksAndStopsForGood() throws Exception {
    ClusterMaster master = master();
    WorkerDaemon n1 = join(options(master, "n1"));
    await().until(() -> names().equals(List.of("n1")));

    assertThat(provider.cluster.retire("n1")).isTrue();

    assertThat(names()).doesNotContain("n1");
    assertThat(n1.gaveUp().get(10, TimeUnit.SECONDS)).contains("retired this node");
    assertThat(n1.retired()).isTrue();
    await()
        .during(Duration.ofMillis(1500))
        .atMost(Duration.ofSeconds(5))
        .until(() -> names().isEmpty());
    assertThat(provider.cluster.retire("nobody")).isFalse();
  }

  @Test
  void givenExitAfter_whenTheMasterStops_thenTheWorkerGivesUpSayingWhy() throws Exception {
    ClusterMaster master = master();
    WorkerDaemon n1 = join(options(master, "n1").withExitAfter(Duration.ofMillis(1500)));
    await().until(n1::joined);

    master.close();

    String why = n1.gaveUp().get(15, TimeUnit.SECONDS);
    assertThat(why).startsWith("the master at 127.0.0.1:").contains("stayed unreachable for 1.5 s");
    assertThat(n1.joined()).isFalse();
  }

  @Test
  void givenNoMasterAtAll_whenJoiningWithExitAfter_thenGivesUpNamingTheFailure() throws Exception {
    WorkerDaemon n1 =
        join(
            WorkerDaemon.JoinOptions.of(
                    key, new HostPort("127.0.0.1", 1), new JarCache(dir.resolve("jars")))
                .withName("n1")
                .withExitAfter(Duration.ofMillis(500)));

    String why = n1.gaveUp().get(15, TimeUnit.SECONDS);

    assertThat(why).contains("cannot reach the master at 127.0.0.1:1");
  }

  @Test
  void givenProvider_whenTheMasterCloses_thenTheProviderIsClosed() throws IOException {
    ClusterMaster master = master();

    master.close();

    assertThat(provider.closed).isTrue();
  }
}
