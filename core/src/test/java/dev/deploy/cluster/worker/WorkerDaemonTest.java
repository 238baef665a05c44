package dev.deploy.cluster.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Resources;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import dev.deploy.util.HostPort;
import dev.deploy.wire.Link;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link WorkerDaemon} owns beyond its join loop and its master's session: the checks of its
 * join options, its name and capacity defaults, the addresses of a worker that joins, and a
 * listening worker's one master at a time (a master that dials in replaces the one before, whose
 * link ends; closing ends the link), each master played by the test over a real handshake.
 */
@Timeout(30)
class WorkerDaemonTest {
  private static final dev.deploy.Pid NEVER_RAN =
      dev.deploy.Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 0x999);

  @TempDir Path dir;

  private final ClusterKey key = ClusterKey.generate();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private WorkerDaemon.JoinOptions options() throws IOException {
    return WorkerDaemon.JoinOptions.of(
            key, new HostPort("127.0.0.1", 1), new JarCache(dir.resolve("jars")))
        .withName("w1")
        .withCapacity(new Resources(1L << 30, 1))
        .withFabric(1L << 30, false, 0);
  }

  private WorkerDaemon listening() throws IOException {
    WorkerDaemon w =
        new WorkerDaemon(
            key,
            new InetSocketAddress("127.0.0.1", 0),
            Optional.empty(),
            new JarCache(dir.resolve("jars")),
            1L << 30,
            false,
            0);
    open.add(w);
    return w;
  }

  /** Dials {@code worker} as its master does. */
  private LinkConnection<WorkerLink> dialAsMaster(WorkerDaemon worker) throws IOException {
    InetSocketAddress at = worker.advertised();
    LinkConnection<WorkerLink> c =
        LinkConnection.dial(
            new InetSocketAddress(at.getHostString(), at.getPort()),
            key,
            Link.Role.MASTER,
            Link.Role.WORKER,
            WorkerLink::decode);
    open.add(c::close);
    return c;
  }

  /** Asks {@code master}'s session for the fate of a pid it never had: it answers. */
  private static void assertServed(LinkConnection<WorkerLink> master, long request)
      throws IOException {
    master.send(new WorkerLink.Fate(request, NEVER_RAN));
    WorkerLink answer = master.read();
    assertThat(answer).isInstanceOf(WorkerLink.FateAnswer.class);
    assertThat(((WorkerLink.FateAnswer) answer).request()).isEqualTo(request);
  }

  /** The worker ends the link: its read ends. */
  private static void assertEnds(LinkConnection<WorkerLink> c) {
    try {
      WorkerLink m;
      while ((m = c.read()) != null) {
        // What the session sent before its end (none is expected, but it is not the point).
        assertThat(m).isNotNull();
      }
    } catch (IOException e) {
      // Ended too.
    }
  }

  @Test
  void givenBadName_whenOptionsMade_thenRefusedNamingIt() throws IOException {
    WorkerDaemon.JoinOptions o = options();

    assertThatThrownBy(() -> o.withName("-w 1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-w 1");
  }

  @Test
  void givenWildcardAdvertise_whenOptionsMade_thenRefusedNamingIt() throws IOException {
    WorkerDaemon.JoinOptions o = options();

    assertThatThrownBy(() -> o.withAdvertise("0.0.0.0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--advertise 0.0.0.0 is a wildcard");
  }

  @Test
  void givenWildcardBindWithoutAdvertise_whenOptionsMade_thenRefused() throws IOException {
    WorkerDaemon.JoinOptions o = options();

    assertThatThrownBy(() -> o.withBind(new InetSocketAddress("0.0.0.0", 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is a wildcard address, which other machines cannot dial");
    assertThat(o.withAdvertise("10.0.0.5").withBind(new InetSocketAddress("0.0.0.0", 0)).bind())
        .as("with an advertised host it may bind a wildcard")
        .isPresent();
  }

  @Test
  void givenZeroOrNegativeExitAfter_whenOptionsMade_thenRefusedNamingIt() throws IOException {
    WorkerDaemon.JoinOptions o = options();

    assertThatThrownBy(() -> o.withExitAfter(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the time to give up after must be positive, not PT0S");
    assertThatThrownBy(() -> o.withExitAfter(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the time to give up after must be positive, not PT-1S");
  }

  @Test
  void givenThisMachine_whenDefaultsAsked_thenAValidNameAndAtLeastAJvmsRoom() {
    assertThat(WorkerLink.Join.checkName(WorkerDaemon.defaultName())).isNull();
    Resources r = WorkerDaemon.machineCapacity();
    assertThat(r.memory()).isGreaterThanOrEqualTo(Resources.MIN_MEMORY);
    assertThat(r.cpu()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void givenAWorkerThatJoins_whenAskedItsAddresses_thenItListensOnNoPortOfItsOwn()
      throws IOException {
    WorkerDaemon w = WorkerDaemon.join(options(), System::nanoTime);
    open.add(w);

    assertThatThrownBy(w::address)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("a worker that joins listens on no port of its own");
    assertThat(w.advertised()).isNull();
    assertThat(w.joined()).isFalse();
    assertThat(w.retired()).isFalse();
  }

  @Test
  void givenAListeningWorker_whenAskedItsAddresses_thenItNeverGivesUpAndHasAFabric()
      throws IOException {
    WorkerDaemon w = listening();

    assertThat(w.advertised().getPort()).isEqualTo(w.address().getPort());
    assertThat(w.gaveUp()).isNotDone();
    assertThat(w.fabricAddress()).isPresent();
    assertThat(w.joined()).isFalse();
  }

  @Test
  void givenAMasterServed_whenAnotherMasterDialsIn_thenTheFirstsLinkEndsAndTheSecondIsServed()
      throws Exception {
    WorkerDaemon w = listening();
    LinkConnection<WorkerLink> first = dialAsMaster(w);
    assertServed(first, 1);

    LinkConnection<WorkerLink> second = dialAsMaster(w);

    assertEnds(first);
    assertServed(second, 2);
  }

  @Test
  void givenAMasterServed_whenTheWorkerCloses_thenTheLinkEnds() throws Exception {
    WorkerDaemon w = listening();
    LinkConnection<WorkerLink> master = dialAsMaster(w);
    assertServed(master, 1);

    w.close();

    assertEnds(master);
  }

  @Test
  void givenAClosedWorker_whenAMasterDials_thenItIsNotServed() throws Exception {
    WorkerDaemon w = listening();
    InetSocketAddress at = w.advertised();
    w.close();

    assertThatThrownBy(
            () ->
                LinkConnection.dial(
                    new InetSocketAddress(at.getHostString(), at.getPort()),
                    key,
                    Link.Role.MASTER,
                    Link.Role.WORKER,
                    WorkerLink::decode))
        .isInstanceOf(IOException.class);
  }
}
