package dev.deploy.fabric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.io.SilenceLimit;
import dev.deploy.process.Env;
import dev.deploy.security.ClusterKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a fabric tells its processes about addresses: bind where the fabric binds, and carry (and
 * dial the fabric at) the advertised host, never a wildcard.
 */
@Timeout(10)
class FabricAdvertiseTest {
  private static final InetAddress WILDCARD = new InetSocketAddress(0).getAddress();

  @Test
  void givenWildcardBindAndAdvertisedLoopback_whenLaunching_thenProcessesGetBothAddresses()
      throws Exception {
    try (Fabric fabric = new Fabric(ClusterKey.generate(), WILDCARD, "127.0.0.1", 0)) {
      Map<String, String> env = fabric.runtimeEnvironment(0xabc, 7);

      assertThat(fabric.address().getHostString()).isEqualTo("127.0.0.1");
      assertThat(env)
          .containsEntry(Env.BIND, WILDCARD.getHostAddress())
          .containsEntry(Env.ADVERTISE, "127.0.0.1")
          .containsEntry(Env.FABRIC, "127.0.0.1:" + fabric.address().getPort())
          .containsEntry(Env.LAUNCH, "abc");
    }
  }

  @Test
  void givenLoopbackBind_whenLaunching_thenBoundAndAdvertisedAreTheLoopback() throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    try (Fabric fabric = new Fabric(ClusterKey.generate(), loopback, 0)) {
      assertThat(fabric.runtimeEnvironment(1, 7))
          .containsEntry(Env.BIND, "127.0.0.1")
          .containsEntry(Env.ADVERTISE, "127.0.0.1");
    }
  }

  @Test
  void givenProgramWithTheMastersSilenceLimit_whenLaunching_thenItsProcessesTakeThatOne() {
    assertThat(Fabric.silenceLimitFor(Map.of(SilenceLimit.VARIABLE, "20000ms")))
        .isEqualTo("20000ms");
  }

  @Test
  void givenProgramWithoutASilenceLimit_whenLaunching_thenItsProcessesTakeThisJvmsOne() {
    assertThat(Fabric.silenceLimitFor(Map.of("OTHER", "1")))
        .isEqualTo(SilenceLimit.current().setting());
  }

  @Test
  void givenWildcardBindAndNothingAdvertised_whenStarted_thenRefusedSayingToPassAdvertise() {
    assertThatThrownBy(() -> new Fabric(ClusterKey.generate(), WILDCARD, 0).close())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("wildcard 0.0.0.0")
        .hasMessageContaining("--advertise <this machine's address>");
  }
}
