package dev.deploy.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Addresses: every form, every error as one sentence naming the text. */
class HostPortTest {
  @Timeout(10)
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "10.0.0.2:7000, 10.0.0.2, 7000",
    "node-1.example.com:1, node-1.example.com, 1",
    "localhost:65535, localhost, 65535",
    "0.0.0.0:7000, 0.0.0.0, 7000",
    "[::1]:7000, ::1, 7000",
    "[fd00::3]:80, fd00::3, 80",
    "[::ffff:10.0.0.1]:9, ::ffff:10.0.0.1, 9",
    "[fe80::1%eth0]:7000, fe80::1%eth0, 7000",
    "host_with_underscore:22, host_with_underscore, 22",
  })
  void givenAddress_whenParseAddress_thenHostAndPort(String text, String host, int port) {
    HostPort address = HostPort.parse(text);

    assertThat(address).isEqualTo(new HostPort(host, port));
    assertThat(address).hasToString(text);
  }

  @Timeout(10)
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
"""
node1             | address "node1" has no port; write host:port, like node1:7000
:7000             | address ":7000" has no host; write host:port, like 0.0.0.0:7000 to listen on every interface
node1:            | address "node1:" has no port after the colon; write host:port, like host:7000
node1:-1          | address "node1:-1" has port "-1", which is not a number from 1 to 65535
node1:123456      | address "node1:123456" has port "123456", which is not a number from 1 to 65535
node1:99999       | address "node1:99999" has port 99999, which is not from 1 to 65535
::1:7000          | address "::1:7000" looks like an IPv6 address; put the address in brackets, like [::1]:7000
[::1              | address "[::1" has no ] after its IPv6 address; write it like [::1]:7000
[::1]7000         | address "[::1]7000" has no :port after the ]; write it like [::1]:7000
[::1]             | address "[::1]" has no :port after the ]; write it like [::1]:7000
[node1]:7000      | address "[node1]:7000" has "node1" in brackets, which is not an IPv6 address
[1:2:3]:7000      | address "[1:2:3]:7000" has "1:2:3" in brackets, which is not an IPv6 address
[]:7000           | address "[]:7000" has "" in brackets, which is not an IPv6 address
256.0.0.1:7000    | address "256.0.0.1:7000" has host 256.0.0.1, which is not an IPv4 address
10.0.0:7000       | address "10.0.0:7000" has host 10.0.0, which is not an IPv4 address
no de:7000        | address "no de:7000" has host "no de", which is not a host name or an IP address
-node:7000        | address "-node:7000" has host "-node", which is not a host name or an IP address
a..b:7000         | address "a..b:7000" has host "a..b", which is not a host name or an IP address
""")
  void givenBadAddress_whenParseAddress_thenSentenceNamingIt(String text, String message) {
    assertThatThrownBy(() -> HostPort.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  @Timeout(10)
  void givenEmptyOrNull_whenParseAddress_thenSaysEmpty() {
    assertThatThrownBy(() -> HostPort.parse(""))
        .hasMessage("an address is host:port, like 10.0.0.2:7000, but this one is empty");
    assertThatThrownBy(() -> HostPort.parse(null))
        .hasMessage("an address is host:port, like 10.0.0.2:7000, but this one is empty");
  }

  @Test
  @Timeout(10)
  void givenLoopbackAddress_whenToSocketAddress_thenResolvedWithPort() {
    assertThat(HostPort.parse("[::1]:7000").toSocketAddress().getPort()).isEqualTo(7000);
    assertThat(HostPort.parse("127.0.0.1:7001").toSocketAddress().isUnresolved()).isFalse();
  }

  @Timeout(10)
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "10.0.0.2, 10.0.0.2, 0",
    "10.0.0.2:7000, 10.0.0.2, 7000",
    "node1.example, node1.example, 0",
    "node1.example:7000, node1.example, 7000",
    "::1, ::1, 0",
    "fd00::3, fd00::3, 0",
    "[fd00::3], fd00::3, 0",
    "[fd00::3]:7000, fd00::3, 7000",
  })
  void givenAdvertisedAddress_whenParseHostAndOptionalPort_thenHostAndPortOrZero(
      String text, String host, int port) {
    assertThat(HostPort.parseHostAndOptionalPort(text)).isEqualTo(new HostPort(host, port));
  }

  @Timeout(10)
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
"""
no de        | address "no de" has host "no de", which is not a host name or an IP address
[node1]      | address "[node1]" has "node1" in brackets, which is not an IPv6 address
1:2:3        | address "1:2:3" is not host, host:port or an IPv6 address; write an IPv6 address with a port like [::1]:7000
node1:99999  | address "node1:99999" has port 99999, which is not from 1 to 65535
""")
  void givenBadAdvertisedAddress_whenParseHostAndOptionalPort_thenSentenceNamingIt(
      String text, String message) {
    assertThatThrownBy(() -> HostPort.parseHostAndOptionalPort(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  @Timeout(10)
  void givenPortZero_whenParseAllowingAnyPort_thenZero_andParseRefusesIt() {
    assertThat(HostPort.parseAllowingAnyPort("[::1]:0")).isEqualTo(new HostPort("::1", 0));
    assertThatThrownBy(() -> HostPort.parse("127.0.0.1:0"))
        .hasMessage("address \"127.0.0.1:0\" has port 0, which is not from 1 to 65535");
  }

  @Test
  @Timeout(10)
  void givenTwoWaysOfWritingOneAddress_whenSameAddressKey_thenEqual() {
    assertThat(HostPort.parse("[FD00:0::3]:7000").sameAddressKey())
        .isEqualTo(HostPort.parse("[fd00::3]:7000").sameAddressKey());
    assertThat(HostPort.parse("010.0.0.2:7000").sameAddressKey())
        .isEqualTo(HostPort.parse("10.0.0.2:7000").sameAddressKey());
  }
}
