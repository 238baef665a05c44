package dev.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.cluster.master.ClusterMaster;
import dev.deploy.cluster.worker.WorkerDaemon;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import dev.deploy.testing.Tricklers;
import dev.deploy.wire.ClientLink;
import dev.deploy.wire.Link;
import dev.deploy.wire.WorkerLink;
import java.net.InetAddress;
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
 * The cluster's listeners under 300 sockets that trickle a hello a byte at a time: an honest peer
 * still gets in at once, and the sockets cost no thread each.
 */
@Timeout(30)
class ListenerFloodTest {
  /** Threads an honest connection may add (its session, pings) beyond the listener's own. */
  private static final int HANDFUL = 8;

  private final ClusterKey key = ClusterKey.generate();
  private final List<AutoCloseable> open = new ArrayList<>();
  @TempDir Path cache;

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private static InetSocketAddress loopback() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }

  @Test
  void givenThreeHundredTricklers_whenAMasterDialsTheWorker_thenItJoinsAtOnceOnFewThreads()
      throws Exception {
    WorkerDaemon worker =
        new WorkerDaemon(
            key, loopback(), Optional.empty(), new JarCache(cache), 1L << 30, false, 0);
    open.add(worker);
    int before = Tricklers.liveThreads();
    open.add(Tricklers.open(worker.address(), 300, Duration.ofSeconds(2)));

    long start = System.nanoTime();
    LinkConnection<WorkerLink> link =
        LinkConnection.dial(
            worker.address(), key, Link.Role.MASTER, Link.Role.WORKER, WorkerLink::decode);
    open.add(link);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(Tricklers.liveThreads() - before).isLessThanOrEqualTo(HANDFUL);
  }

  @Test
  void givenThreeHundredTricklers_whenDeployDialsTheBridge_thenItConnectsAtOnceOnFewThreads()
      throws Exception {
    ClusterMaster master =
        new ClusterMaster(
            key,
            loopback(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            List.of(),
            new JarCache(cache),
            1L << 30,
            false,
            0);
    open.add(master);
    InetSocketAddress bridge = master.addresses().get(0);
    int before = Tricklers.liveThreads();
    open.add(Tricklers.open(bridge, 300, Duration.ofSeconds(2)));

    long start = System.nanoTime();
    LinkConnection<ClientLink> link =
        LinkConnection.dial(bridge, key, Link.Role.DEPLOY, Link.Role.BRIDGE, ClientLink::decode);
    open.add(link);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(Tricklers.liveThreads() - before).isLessThanOrEqualTo(HANDFUL);
  }
}
