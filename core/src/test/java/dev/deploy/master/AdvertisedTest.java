package dev.deploy.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.util.HostPort;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What a daemon advertises for the address it binds, and the refusal of wildcards. */
@Timeout(10)
class AdvertisedTest {
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"0.0.0.0", "::"})
  void givenWildcardBindAndNoAdvertise_whenOf_thenOneSentenceSayingToPassAdvertise(String ip) {
    InetSocketAddress bind = new InetSocketAddress(ip, 7000);

    assertThatThrownBy(() -> Advertised.of("fabric " + Advertised.show(bind), bind, null, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "fabric "
                + Advertised.show(bind)
                + " is a wildcard address, which other machines cannot dial; pass --advertise"
                + " <this machine's address>");
  }

  @Test
  void givenConcreteBind_whenOf_thenAdvertisesTheBoundAddress() {
    InetSocketAddress advertised =
        Advertised.of("fabric", new InetSocketAddress("127.0.0.2", 7000), null, 0);

    assertThat(Advertised.show(advertised)).isEqualTo("127.0.0.2:7000");
  }

  @Test
  void givenAdvertiseWithoutPort_whenOf_thenTheBoundPort() {
    InetSocketAddress advertised =
        Advertised.of("fabric", new InetSocketAddress("0.0.0.0", 7000), "127.0.0.1", 0);

    assertThat(Advertised.show(advertised)).isEqualTo("127.0.0.1:7000");
  }

  @Test
  void givenAdvertiseWithPort_whenOf_thenThatPort() {
    InetSocketAddress advertised =
        Advertised.of("fabric", new InetSocketAddress("0.0.0.0", 7000), "fd00::3", 17000);

    assertThat(Advertised.show(advertised)).isEqualTo("[fd00::3]:17000");
  }

  @Test
  void givenAdvertisedHostName_whenOf_thenKeptAsANameNotLookedUp() {
    InetSocketAddress advertised =
        Advertised.of("fabric", new InetSocketAddress("0.0.0.0", 7000), "node-2.invalid", 0);

    assertThat(advertised.isUnresolved()).isTrue();
    assertThat(advertised.getHostString()).isEqualTo("node-2.invalid");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"0.0.0.0", "::", "[::]", "0:0::0"})
  void givenWildcardAdvertise_whenOf_thenRefusedNamingIt(String host) {
    assertThatThrownBy(
            () -> Advertised.of("fabric", new InetSocketAddress("0.0.0.0", 7000), host, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--advertise " + host + " is a wildcard");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"127.0.0.1", "10.0.0.2", "::1", "[fd00::3]", "localhost", "node1"})
  void givenDialableHost_whenIsWildcard_thenFalse(String host) {
    assertThat(HostPort.isWildcard(host)).isFalse();
  }
}
