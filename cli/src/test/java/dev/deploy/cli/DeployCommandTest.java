package dev.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

@Timeout(10)
class DeployCommandTest {
  /** Parses {@code args} as picocli does for {@code deploy} and sorts them. */
  private static DeployCommand.Split split(String envBridge, String... args)
      throws CommandException {
    DeployCommand command = new DeployCommand();
    CommandLine line = new CommandLine(command);
    line.parseArgs(args);
    return DeployCommand.split(List.of(args), command.positional, envBridge);
  }

  @Test
  void givenOptionsAfterDashes_whenParsed_thenTheyAreTheProgramsAndDeployHasNone() {
    DeployCommand command = new DeployCommand();
    String[] args = {"127.0.0.1:7000", "app.jar", "Main", "--", "--format", "json", "--verbose"};
    new CommandLine(command).parseArgs(args);

    assertThat(command.format).isNull();
    assertThat(command.verbose).isFalse();
    assertThat(command.positional).endsWith("--format", "json", "--verbose");
  }

  @Test
  void givenOptionsAfterDashes_whenSplit_thenProgramArguments() throws CommandException {
    DeployCommand.Split s =
        split(null, "127.0.0.1:7000", "app.jar", "Main", "--", "--format", "json", "--");

    assertThat(s.before()).containsExactly("127.0.0.1:7000", "app.jar", "Main");
    assertThat(s.arguments()).containsExactly("--format", "json", "--");
  }

  @Test
  void givenNoBridgeButDeployBridgeSet_whenSplit_thenTheBridgeComesFromIt()
      throws CommandException {
    DeployCommand.Split s = split("10.0.0.1:7000", "app.jar:lib/a.jar", "Main", "--", "x");

    assertThat(s.before()).containsExactly("10.0.0.1:7000", "app.jar:lib/a.jar", "Main");
    assertThat(s.arguments()).containsExactly("x");
    assertThat(s.bridgeWhat()).isEqualTo("DEPLOY_BRIDGE");
  }

  @Test
  void givenABridgeAndDeployBridgeSet_whenSplit_thenTheGivenOneWins() throws CommandException {
    DeployCommand.Split s = split("10.0.0.1:7000", "[::1]:7001", "app.jar");

    assertThat(s.before()).containsExactly("[::1]:7001", "app.jar");
  }

  @Test
  void givenNoBridgeAndNoDeployBridge_whenSplit_thenErrorSaysSetIt() {
    assertThatThrownBy(() -> split(null, "app.jar", "Main"))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("DEPLOY_BRIDGE");
  }

  @Test
  void givenAddressesAndClassPaths_whenLooksLikeAddress_thenOnlyHostPort() {
    assertThat(DeployCommand.looksLikeAddress("10.0.0.1:7000")).isTrue();
    assertThat(DeployCommand.looksLikeAddress("node-1.example.com:7000")).isTrue();
    assertThat(DeployCommand.looksLikeAddress("[::1]:7000")).isTrue();
    assertThat(DeployCommand.looksLikeAddress("app.jar")).isFalse();
    assertThat(DeployCommand.looksLikeAddress("app.jar:lib.jar")).isFalse();
    assertThat(DeployCommand.looksLikeAddress("/opt/app/classes:/opt/lib/a.jar")).isFalse();
  }

  @Test
  void givenHelpSubcommand_whenExecuted_thenPrintsTheCommandsUsage() {
    StringWriter out = new StringWriter();
    CommandLine line = new CommandLine(new Main());
    line.setOut(new PrintWriter(out));

    int code = line.execute("help", "deploy");

    assertThat(code).isZero();
    assertThat(out.toString()).contains("Usage: deploy.jar deploy").contains("DEPLOY_BRIDGE");
  }

  @Test
  void givenFabricHelp_whenRendered_thenExitCodesOfSignalsAre130And143() {
    String usage = new CommandLine(new Main()).getSubcommands().get("fabric").getUsageMessage();

    assertThat(usage).contains("130").contains("143").doesNotContain("0   stopped by a signal");
  }
}
