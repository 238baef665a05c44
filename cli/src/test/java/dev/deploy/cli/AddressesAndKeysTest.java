package dev.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.deploy.Resources;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.KeyFile;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Addresses} (host:port and sizes into one-sentence errors) and {@link ClusterKeys} with an
 * explicit key file. Nothing here reads or writes the user's own key file: every key file lives in
 * a temporary directory, and the loopback default is never asked for.
 */
@Timeout(10)
class AddressesAndKeysTest {
  @TempDir Path dir;

  // ---------------------------------------------------------------- Addresses.parseHost

  @Test
  void givenBareHost_whenParsedAsHost_thenPortZero() throws CommandException {
    InetSocketAddress a = Addresses.parseHost("<bind-addr>", "127.0.0.2");

    assertThat(a.getAddress().getHostAddress()).isEqualTo("127.0.0.2");
    assertThat(a.getPort()).isZero();
  }

  @Test
  void givenHostAndPort_whenParsedAsHost_thenBoth() throws CommandException {
    InetSocketAddress a = Addresses.parseHost("<bind-addr>", "[::1]:7000");

    assertThat(a.getAddress().isLoopbackAddress()).isTrue();
    assertThat(a.getPort()).isEqualTo(7000);
  }

  @Test
  void givenMalformedAddress_whenParsedAsHost_thenOneSentenceNamingIt() {
    assertThatThrownBy(() -> Addresses.parseHost("<bind-addr>", "127.0.0.2:70000"))
        .isInstanceOf(CommandException.class)
        .hasMessageStartingWith("<bind-addr>: ")
        .hasMessageContaining("70000");
  }

  // ---------------------------------------------------------------- Addresses.parse

  @Test
  void givenIpv4HostPort_whenParsed_thenResolvedAddress() throws CommandException {
    InetSocketAddress a = Addresses.parse("worker", "127.0.0.1:7000");

    assertThat(a.isUnresolved()).isFalse();
    assertThat(a.getAddress().isLoopbackAddress()).isTrue();
    assertThat(a.getPort()).isEqualTo(7000);
  }

  @Test
  void givenBracketedIpv6_whenParsed_thenResolvedAddress() throws Exception {
    InetSocketAddress a = Addresses.parse("worker", "[::1]:65535");

    assertThat(a.getAddress()).isEqualTo(InetAddress.getByName("::1"));
    assertThat(a.getPort()).isEqualTo(65535);
  }

  @Test
  void givenWildcard_whenParsed_thenAnyLocalAddress() throws CommandException {
    assertThat(Addresses.parse("<bind-addr>", "0.0.0.0:1").getAddress().isAnyLocalAddress())
        .isTrue();
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(
      strings = {
        "",
        "127.0.0.1",
        "127.0.0.1:",
        "127.0.0.1:0",
        "127.0.0.1:70000",
        "127.0.0.1:65536",
        "127.0.0.1:-1",
        "127.0.0.1:80x",
        ":7000",
        "::1:7000",
        "[::1]7000",
        "[::1:7000",
        "[nope]:7000",
        "256.0.0.1:7000",
        "1.2.3:7000",
        "bad host:7000"
      })
  void givenMalformedAddress_whenParsed_thenCode2NamingWhatAndTheText(String text) {
    assertThatThrownBy(() -> Addresses.parse("worker", text))
        .isInstanceOfSatisfying(
            CommandException.class,
            e -> {
              assertThat(e.code).isEqualTo(2);
              assertThat(e.getMessage()).startsWith("worker: ").doesNotContain("\n");
              if (!text.isEmpty()) {
                assertThat(e.getMessage()).contains(text);
              }
            });
  }

  @Test
  void givenMemoryAndCpu_whenResources_thenParsed() throws CommandException {
    assertThat(Addresses.resources("worker", "512 MiB", "0.5"))
        .isEqualTo(new Resources(512L << 20, 0.5));
  }

  @ParameterizedTest(name = "{0} {1}")
  @org.junit.jupiter.params.provider.CsvSource({
    "4Gb, 1, 4Gb",
    "4 gigs, 1, 4 gigs",
    "8GiB, x, x",
    "8GiB, -1, -1",
    "1MiB, 1, 64 MiB"
  })
  void givenBadMemoryOrCpu_whenResources_thenCode2NamingTheValue(
      String memory, String cpu, String named) {
    assertThatThrownBy(() -> Addresses.resources("worker 127.0.0.2:7000", memory, cpu))
        .isInstanceOfSatisfying(
            CommandException.class,
            e -> {
              assertThat(e.code).isEqualTo(2);
              assertThat(e.getMessage()).startsWith("worker 127.0.0.2:7000: ").contains(named);
            });
  }

  // ---------------------------------------------------------------- ClusterKeys.resolve

  @Test
  void givenKeyFileOption_whenResolved_thenThatKey() throws Exception {
    Path file = dir.resolve("cluster.key");
    ClusterKey key = ClusterKey.generate();
    KeyFile.write(file, key);

    ClusterKey resolved = ClusterKeys.resolve(file, false, "master bound to 10.0.0.1:7000");

    assertThat(resolved).isEqualTo(key);
  }

  @Test
  void givenKeyFileOptionOnLoopback_whenResolved_thenThatKeyNotTheOwnOne() throws Exception {
    Path file = dir.resolve("cluster.key");
    ClusterKey key = ClusterKey.generate();
    KeyFile.write(file, key);

    assertThat(ClusterKeys.resolve(file, true, "master")).isEqualTo(key);
  }

  @Test
  void givenKeyFileOptionThatDoesNotExist_whenResolved_thenCode1NamingTheFile() {
    Path file = dir.resolve("missing.key");

    assertThatThrownBy(() -> ClusterKeys.resolve(file, false, "master"))
        .isInstanceOfSatisfying(
            CommandException.class,
            e -> {
              assertThat(e.code).isEqualTo(1);
              assertThat(e.getMessage()).contains(file.toString()).contains("does not exist");
            });
  }

  @Test
  void givenKeyFileOptionWithGarbage_whenResolved_thenCommandExceptionNamingTheFile()
      throws IOException {
    Path file = dir.resolve("garbage.key");
    KeyFile.write(file, ClusterKey.generate());
    Files.writeString(file, "not a key\n");

    assertThatThrownBy(() -> ClusterKeys.resolve(file, false, "master"))
        .isInstanceOfSatisfying(
            CommandException.class,
            e -> assertThat(e.getMessage()).contains(file.toString()).doesNotContain("\n"));
  }

  @Test
  void givenNoKeyAndNotLoopback_whenResolved_thenSaysHowToGiveOne() {
    assumeTrue(
        System.getenv(KeyFile.ENV) == null,
        KeyFile.ENV + " is set in this JVM, so the no-key case cannot be reached");

    assertThatThrownBy(
            () ->
                ClusterKeys.resolve(
                    null, false, "master whose addresses are not all loopback addresses"))
        .isInstanceOfSatisfying(
            CommandException.class,
            e -> {
              assertThat(e.code).isEqualTo(1);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "a master whose addresses are not all loopback addresses needs the cluster"
                          + " key: pass --key-file <file> or set DEPLOY_KEY_FILE (make one with:"
                          + " java -jar deploy.jar keygen <file>)");
            });
  }
}
