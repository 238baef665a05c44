package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class HandshakeQuotaTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  private static InetAddress address(int last) throws UnknownHostException {
    return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) last});
  }

  @Test
  void givenEightSlowFromOneAddress_whenANinthArrives_thenTheOldestIsDropped() throws Exception {
    HandshakeQuota<String> quota = new HandshakeQuota<>(256, 8, SECOND);
    InetAddress stranger = address(9);
    InetAddress port = address(1);
    for (int i = 0; i < 8; i++) {
      assertThat(quota.admit("c" + i, stranger, port, 0)).isNull();
    }

    HandshakeQuota.Drop<String> drop = quota.admit("c8", stranger, port, 2 * SECOND);

    assertThat(drop).isNotNull();
    assertThat(drop.victim()).isEqualTo("c0");
    assertThat(drop.why()).contains("more than 8 slow handshakes from one address");
    assertThat(quota.from(stranger)).isEqualTo(8);
  }

  @Test
  void givenEightYoungFromOneAddress_whenANinthArrives_thenNoneIsDropped() throws Exception {
    HandshakeQuota<String> quota = new HandshakeQuota<>(256, 8, SECOND);
    InetAddress peer = address(9);
    for (int i = 0; i < 8; i++) {
      quota.admit("c" + i, peer, address(1), 0);
    }

    assertThat(quota.admit("c8", peer, address(1), SECOND / 2)).isNull();
    assertThat(quota.from(peer)).isEqualTo(9);
  }

  @Test
  void givenFiftySlowFromThePortsOwnAddress_whenMoreArrive_thenNoneIsDropped() throws Exception {
    // Fifty JVMs of this machine starting at once on a loaded host: each proves the key late.
    HandshakeQuota<String> quota = new HandshakeQuota<>(256, 8, SECOND);
    InetAddress self = address(1);
    for (int i = 0; i < 50; i++) {
      assertThat(quota.admit("p" + i, self, self, i * SECOND)).isNull();
    }

    assertThat(quota.from(self)).isEqualTo(50);
  }

  @Test
  void givenThePortsOwnAddress_whenTheCapInAllIsReached_thenItsOldestIsDropped() throws Exception {
    HandshakeQuota<String> quota = new HandshakeQuota<>(16, 8, SECOND);
    InetAddress self = address(1);
    for (int i = 0; i < 16; i++) {
      quota.admit("p" + i, self, self, 0);
    }

    HandshakeQuota.Drop<String> drop = quota.admit("p16", self, self, 0);

    assertThat(drop).isNotNull();
    assertThat(drop.victim()).isEqualTo("p0");
    assertThat(drop.why()).contains("more than 16 handshakes at once");
    assertThat(quota.size()).isEqualTo(16);
  }

  @Test
  void givenUnknownLocalAddress_whenSlowOnesPileUp_thenThePerAddressCapHolds() throws Exception {
    HandshakeQuota<String> quota = new HandshakeQuota<>(256, 2, SECOND);
    InetAddress peer = address(9);
    quota.admit("a", peer, 0);
    quota.admit("b", peer, 0);

    assertThat(quota.admit("c", peer, 2 * SECOND)).isNotNull();
  }

  @Test
  void givenDone_whenCounted_thenForgottenOnce() throws Exception {
    HandshakeQuota<String> quota = new HandshakeQuota<>();
    quota.admit("a", address(9), 0);

    quota.done("a");
    quota.done("a");

    assertThat(quota.size()).isZero();
    assertThat(quota.from(address(9))).isZero();
  }
}
