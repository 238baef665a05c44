package dev.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Resources;
import dev.deploy.cluster.master.ClusterMaster;
import dev.deploy.cluster.worker.WorkerDaemon;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.Handshake;
import dev.deploy.testing.Relay;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay of the security review, end to end in one JVM: a master re-dials a worker whose port is
 * down every second, so whoever takes that port is dialled by a key holder. Here the squatter
 * relays the master's connection, byte for byte, to a listener of the same cluster: the master's
 * own bridge (where the relay would pass for a {@code deploy} client and have its jar run), or
 * another worker. Each listener must refuse after its hello, before it proves anything.
 */
@Timeout(30)
class SquattedPortTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private final ClusterKey key = ClusterKey.generate();
  private final List<AutoCloseable> open = new ArrayList<>();

  @TempDir Path cacheDir;

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void givenSquatterOnADownWorkersPort_whenItRelaysTheMasterToTheBridge_thenTheBridgeRefuses()
      throws Exception {
    ServerSocket squatted = listen();
    ClusterMaster master = track(masterDialling(squatted));
    InetSocketAddress bridge = master.addresses().get(0);

    Relay relay = track(Relay.once(squatted, bridge));

    assertThat(relay.fromVictim().get(15, TimeUnit.SECONDS))
        .as("the bridge's bytes: its hello and nothing more, then the end")
        .hasSize(Handshake.HEADER);
  }

  @Test
  void givenSquatterOnADownWorkersPort_whenItRelaysTheMasterToAnotherWorker_thenThatWorkerRefuses()
      throws Exception {
    ServerSocket squatted = listen();
    WorkerDaemon victim =
        track(
            new WorkerDaemon(
                key,
                new InetSocketAddress(LOOPBACK, 0),
                Optional.empty(),
                new JarCache(Files.createDirectories(cacheDir.resolve("worker"))),
                1L << 30,
                false,
                0));
    track(masterDialling(squatted));

    Relay relay = track(Relay.once(squatted, victim.address()));

    assertThat(relay.fromVictim().get(15, TimeUnit.SECONDS))
        .as("the worker's bytes: its hello and nothing more, then the end")
        .hasSize(Handshake.HEADER);
  }

  /** A master with no room of its own and one worker, whose port {@code squatted} holds. */
  private ClusterMaster masterDialling(ServerSocket squatted) throws IOException {
    return new ClusterMaster(
        key,
        new InetSocketAddress(LOOPBACK, 0),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        List.of(
            new ClusterMaster.Worker(
                new InetSocketAddress(LOOPBACK, squatted.getLocalPort()),
                Resources.parse("1 GiB", "1"))),
        new JarCache(Files.createDirectories(cacheDir.resolve("master"))),
        1L << 30,
        false,
        0);
  }

  private ServerSocket listen() throws IOException {
    return track(new ServerSocket(0, 8, LOOPBACK));
  }

  private <T extends AutoCloseable> T track(T c) {
    synchronized (open) {
      open.add(c);
    }
    return c;
  }
}
