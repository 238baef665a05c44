package dev.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.testing.Gen;
import dev.deploy.testing.RandomCases;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class PidTest {
  private static final byte[] LOOPBACK = {127, 0, 0, 1};
  private static final byte[] OTHER_HOST = {10, 0, 0, 7};

  @RandomCases(1000)
  @Timeout(10)
  void givenAnyKey_whenToString_thenSevenLowercaseHexCharacters(Gen gen) {
    long key = gen.anyLong();

    assertThat(Pid.of(LOOPBACK, 5000, key).toString()).matches("[0-9a-f]{7}");
  }

  @Test
  void givenZeroKey_whenToString_thenZeroPadded() {
    assertThat(Pid.of(LOOPBACK, 5000, 0)).hasToString("0000000");
  }

  @Test
  void givenKeyWithHighBitsSet_whenToString_thenStillSevenCharacters() {
    assertThat(Pid.of(LOOPBACK, 5000, -1L)).hasToString("fffffff");
  }

  @Test
  void givenSameHostPortAndKey_whenCompared_thenEqualWithSameHashCode() {
    Pid a = Pid.of(new byte[] {127, 0, 0, 1}, 5000, 42);
    Pid b = Pid.of(new byte[] {127, 0, 0, 1}, 5000, 42);

    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
  }

  @Test
  void givenDifferentHost_whenCompared_thenNotEqual() {
    assertThat(Pid.of(LOOPBACK, 5000, 42)).isNotEqualTo(Pid.of(OTHER_HOST, 5000, 42));
  }

  @Test
  void givenDifferentPort_whenCompared_thenNotEqual() {
    assertThat(Pid.of(LOOPBACK, 5000, 42)).isNotEqualTo(Pid.of(LOOPBACK, 5001, 42));
  }

  @Test
  void givenDifferentKey_whenCompared_thenNotEqual() {
    assertThat(Pid.of(LOOPBACK, 5000, 42)).isNotEqualTo(Pid.of(LOOPBACK, 5000, 43));
  }

  @Test
  void givenKeysDifferingOutsideTheDisplayedBits_whenCompared_thenSameTextButNotEqual() {
    Pid lowBits = Pid.of(LOOPBACK, 5000, 0x0123_4567_00L);
    Pid otherLowBits = Pid.of(LOOPBACK, 5000, 0x0123_4567_FFL);
    Pid otherHighBits = Pid.of(LOOPBACK, 5000, 0x7700_0001_2345_6700L);

    assertThat(lowBits.toString())
        .isEqualTo(otherLowBits.toString())
        .isEqualTo(otherHighBits.toString());
    assertThat(lowBits).isNotEqualTo(otherLowBits).isNotEqualTo(otherHighBits);
  }

  @Test
  void givenIpv4AndIpv6HostsWithSameBytesPrefix_whenCompared_thenNotEqual() {
    byte[] v6 = new byte[16];
    System.arraycopy(LOOPBACK, 0, v6, 0, 4);

    assertThat(Pid.of(LOOPBACK, 5000, 42)).isNotEqualTo(Pid.of(v6, 5000, 42));
  }

  @Test
  void givenCallerChangesHostArrayAfterOf_whenRead_thenPidUnchanged() {
    byte[] host = {127, 0, 0, 1};
    Pid pid = Pid.of(host, 5000, 42);

    host[3] = 9;
    pid.host()[3] = 9;

    assertThat(pid.host()).containsExactly(127, 0, 0, 1);
    assertThat(pid).isEqualTo(Pid.of(LOOPBACK, 5000, 42));
  }

  @Test
  void givenPid_whenAddress_thenHostAndPort() {
    InetSocketAddress address = Pid.of(LOOPBACK, 5000, 42).address();

    assertThat(address.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(address.getPort()).isEqualTo(5000);
  }

  @Test
  void givenHostOfFiveBytes_whenOf_thenIllegalArgumentNamingTheLength() {
    assertThatThrownBy(() -> Pid.of(new byte[5], 5000, 42))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("5");
  }

  @Test
  void givenPortOver65535_whenOf_thenIllegalArgumentNamingThePort() {
    assertThatThrownBy(() -> Pid.of(LOOPBACK, 70000, 42))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("70000");
  }

  @Test
  void givenIpv4Wildcard_whenOf_thenIllegalArgumentNamingIt() {
    assertThatThrownBy(() -> Pid.of(new byte[4], 5000, 42))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("wildcard 0.0.0.0");
  }

  @Test
  void givenIpv6Wildcard_whenOf_thenIllegalArgumentNamingIt() {
    assertThatThrownBy(() -> Pid.of(new byte[16], 5000, 42))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("wildcard 0:0:0:0:0:0:0:0");
  }

  @Test
  void givenIpv4MappedWildcard_whenOf_thenIllegalArgument() {
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xFF;
    mapped[11] = (byte) 0xFF;

    assertThatThrownBy(() -> Pid.of(mapped, 5000, 42))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("wildcard");
  }
}
