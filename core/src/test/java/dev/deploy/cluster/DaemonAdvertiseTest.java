package dev.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.cluster.master.ClusterMaster;
import dev.deploy.cluster.worker.WorkerDaemon;
import dev.deploy.master.Advertised;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import dev.deploy.util.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The address each daemon advertises: {@code --advertise} for a wildcard bind, the bound address
 * otherwise, and a refusal, before anything is bound, of a wildcard with nothing advertised.
 */
@Timeout(20)
class DaemonAdvertiseTest {
  private static final InetSocketAddress WILDCARD_ANY_PORT = new InetSocketAddress(0);
  private static final InetSocketAddress LOOPBACK_ANY_PORT = new InetSocketAddress("127.0.0.1", 0);
  private static final Optional<HostPort> LOOPBACK = Optional.of(new HostPort("127.0.0.1", 0));

  @TempDir Path dir;

  @Test
  void givenWorkerOnWildcardWithAdvertise_whenStarted_thenAdvertisesThatHostAndTheBoundPort()
      throws IOException {
    try (WorkerDaemon worker = worker(WILDCARD_ANY_PORT, LOOPBACK)) {
      assertThat(worker.address().getAddress().isAnyLocalAddress()).isTrue();
      assertThat(Advertised.show(worker.advertised()))
          .isEqualTo("127.0.0.1:" + worker.address().getPort());
    }
  }

  @Test
  void givenWorkerOnLoopback_whenStarted_thenAdvertisesTheBoundAddress() throws IOException {
    try (WorkerDaemon worker = worker(LOOPBACK_ANY_PORT, Optional.empty())) {
      assertThat(Advertised.show(worker.advertised()))
          .isEqualTo("127.0.0.1:" + worker.address().getPort());
    }
  }

  @Test
  void givenWorkerOnWildcardWithoutAdvertise_whenStarted_thenRefusedSayingToPassAdvertise() {
    assertThatThrownBy(() -> worker(WILDCARD_ANY_PORT, Optional.empty()).close())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageEndingWith(
            "is a wildcard address, which other machines cannot dial;"
                + " pass --advertise <this machine's address>");
  }

  @Test
  void givenMasterWithBridgeOnWildcardWithoutAdvertise_whenStarted_thenRefusedNamingTheBridge() {
    assertThatThrownBy(() -> master(Optional.empty(), Optional.of(WILDCARD_ANY_PORT)).close())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the bridge ")
        .hasMessageContaining("pass --advertise");
  }

  @Test
  void givenMasterWithBridgeOnWildcardAndAdvertise_whenStarted_thenBridgeAdvertisesThatHost()
      throws IOException {
    try (ClusterMaster master = master(LOOPBACK, Optional.of(WILDCARD_ANY_PORT))) {
      int bindPort = master.addresses().get(0).getPort();
      int bridgePort = master.addresses().get(1).getPort();

      assertThat(Advertised.show(master.advertised())).isEqualTo("127.0.0.1:" + bindPort);
      assertThat(Advertised.show(master.advertisedBridge())).isEqualTo("127.0.0.1:" + bridgePort);
    }
  }

  @Test
  void givenMasterWithoutBridge_whenStarted_thenDeployDialsTheAdvertisedBindAddress()
      throws IOException {
    try (ClusterMaster master = master(Optional.empty(), Optional.empty())) {
      assertThat(master.advertisedBridge()).isEqualTo(master.advertised());
      assertThat(master.advertised().getHostString()).isEqualTo("127.0.0.1");
    }
  }

  private WorkerDaemon worker(InetSocketAddress bind, Optional<HostPort> advertise)
      throws IOException {
    return new WorkerDaemon(
        ClusterKey.generate(),
        bind,
        advertise,
        new JarCache(dir.resolve("jars")),
        1L << 30,
        false,
        0);
  }

  private ClusterMaster master(Optional<HostPort> advertise, Optional<InetSocketAddress> bridge)
      throws IOException {
    return new ClusterMaster(
        ClusterKey.generate(),
        LOOPBACK_ANY_PORT,
        advertise,
        Optional.empty(),
        bridge,
        List.of(),
        new JarCache(dir.resolve("jars")),
        1L << 30,
        false,
        0);
  }
}
