package dev.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.util.HostPort;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code --advertise} of {@code fabric} and {@code fabric master}: the forms it takes, and the
 * refusal of a wildcard {@code <bind-addr>} without it, as one sentence with exit code 2. Parsed
 * without starting anything; nothing is looked up.
 */
@Timeout(10)
class AdvertiseOptionTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "10.0.0.2, 10.0.0.2, 0",
    "10.0.0.2:17000, 10.0.0.2, 17000",
    "node-2.example, node-2.example, 0",
    "node-2.example:17000, node-2.example, 17000",
    "fd00::3, fd00::3, 0",
    "[fd00::3]:17000, fd00::3, 17000",
  })
  void givenAdvertiseOnTheCommandLine_whenParsed_thenHostAndPortOrZero(
      String text, String host, int port) throws CommandException {
    FabricCommand fabric = new FabricCommand();
    new CommandLine(fabric).parseArgs("0.0.0.0:7000", "--advertise", text);

    assertThat(fabric.options.advertise()).contains(new HostPort(host, port));
  }

  @Test
  void givenMasterWithAdvertise_whenParsed_thenTheOptionIsTaken() throws CommandException {
    FabricCommand fabric = new FabricCommand();
    CommandLine line = new CommandLine(fabric);
    line.parseArgs("master", "0.0.0.0:7000", "1GiB", "1", "--advertise", "10.0.0.1");
    MasterCommand master =
        (MasterCommand) line.getSubcommands().get("master").getCommandSpec().userObject();

    assertThat(master.options.advertise()).contains(new HostPort("10.0.0.1", 0));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"0.0.0.0:7000", "[::]:7000"})
  void givenWildcardBindWithoutAdvertise_whenChecked_thenOneSentenceSayingToPassAdvertise(
      String bind) throws CommandException {
    FabricCommand fabric = new FabricCommand();
    new CommandLine(fabric).parseArgs(bind);
    InetSocketAddress address = Addresses.parse("<bind-addr>", bind);

    assertThatThrownBy(() -> fabric.options.requireAdvertisable("<bind-addr> " + bind, address))
        .isInstanceOf(CommandException.class)
        .hasMessage(
            "<bind-addr> "
                + bind
                + " is a wildcard address, which other machines cannot dial; pass --advertise"
                + " <this machine's address>")
        .extracting(e -> ((CommandException) e).code)
        .isEqualTo(2);
  }

  @Test
  void givenWildcardBindWithAdvertise_whenChecked_thenAccepted() throws CommandException {
    FabricCommand fabric = new FabricCommand();
    new CommandLine(fabric).parseArgs("0.0.0.0:7000", "--advertise", "127.0.0.1");

    fabric.options.requireAdvertisable(
        "<bind-addr>", Addresses.parse("<bind-addr>", "0.0.0.0:7000"));
  }

  @Test
  void givenConcreteBindWithoutAdvertise_whenChecked_thenAccepted() throws CommandException {
    FabricCommand fabric = new FabricCommand();
    new CommandLine(fabric).parseArgs("127.0.0.1:7000");

    fabric.options.requireAdvertisable(
        "<bind-addr>", Addresses.parse("<bind-addr>", "127.0.0.1:7000"));
    assertThat(fabric.options.advertise()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
"""
0.0.0.0  | --advertise 0.0.0.0 is a wildcard, which names no machine; give the address other machines dial to reach this one
[::]     | --advertise [::] is a wildcard, which names no machine; give the address other machines dial to reach this one
a b      | --advertise: address "a b" has host "a b", which is not a host name or an IP address
h:70000  | --advertise: address "h:70000" has port 70000, which is not from 1 to 65535
""")
  void givenBadAdvertise_whenParsed_thenOneSentenceNamingIt(String text, String message) {
    FabricCommand fabric = new FabricCommand();
    new CommandLine(fabric).parseArgs("0.0.0.0:7000", "--advertise", text);

    assertThatThrownBy(() -> fabric.options.advertise())
        .isInstanceOf(CommandException.class)
        .hasMessage(message)
        .extracting(e -> ((CommandException) e).code)
        .isEqualTo(2);
  }
}
