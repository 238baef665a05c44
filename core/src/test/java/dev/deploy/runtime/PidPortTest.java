package dev.deploy.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process's listening port binds where its fabric says (maybe a wildcard) while its pid carries
 * the advertised address, so others dial that and never a wildcard.
 */
@Timeout(10)
class PidPortTest {
  @Test
  void givenWildcardBindAndAdvertisedLoopback_whenOpened_thenPidCarriesTheAdvertisedAddress()
      throws Exception {
    ProcessRuntime.PidPort port = ProcessRuntime.openPidPort("0.0.0.0", "127.0.0.1");
    try (var listener = port.listener()) {
      InetSocketAddress local = (InetSocketAddress) listener.getLocalAddress();

      assertThat(local.getAddress().isAnyLocalAddress()).as("bound to the wildcard").isTrue();
      assertThat(port.pid().address())
          .isEqualTo(new InetSocketAddress("127.0.0.1", local.getPort()));
      try (Socket dialled = new Socket()) {
        dialled.connect(port.pid().address(), 5_000); // the pid's address reaches the listener
        assertThat(dialled.isConnected()).isTrue();
      }
    }
  }

  @Test
  void givenConcreteBind_whenOpened_thenPidCarriesIt() throws Exception {
    ProcessRuntime.PidPort port = ProcessRuntime.openPidPort("127.0.0.1", "127.0.0.1");
    try (var listener = port.listener()) {
      assertThat(port.pid().address()).isEqualTo(listener.getLocalAddress());
    }
  }

  @Test
  void givenWildcardAdvertised_whenOpened_thenRefusedNamingTheWildcard() {
    assertThatThrownBy(() -> ProcessRuntime.openPidPort("127.0.0.1", "0.0.0.0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("wildcard 0.0.0.0");
  }
}
