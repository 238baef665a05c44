package dev.deploy.cli.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link ReachableAddress} on this machine's loopback interface and routes. Sends nothing. */
@Timeout(10)
class ReachableAddressTest {
  @Test
  void givenLoopbackInterface_whenAsked_thenItsIpv4Address() throws SocketException {
    assumeTrue(NetworkInterface.getByName("lo") != null, "no interface named lo here");

    assertThat(ReachableAddress.ofInterface("lo").getHostAddress()).isEqualTo("127.0.0.1");
  }

  @Test
  void givenUnknownInterface_whenAsked_thenOneSentenceListingTheOnesThereAre() {
    assertThatThrownBy(() -> ReachableAddress.ofInterface("nosuch0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("there is no network interface \"nosuch0\" here (");
  }

  @Test
  void givenPeerOnLoopback_whenRouteAsked_thenALoopbackAddress() throws Exception {
    assertThat(ReachableAddress.towards(InetAddress.getByName("127.0.0.2")))
        .hasValueSatisfying(a -> assertThat(a.isLoopbackAddress()).isTrue());
  }
}
