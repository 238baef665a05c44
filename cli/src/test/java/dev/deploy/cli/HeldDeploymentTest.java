package dev.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.wire.ClientLink;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** deploy list's table and JSON lines, and the arguments of list, stop and attach. */
@Timeout(10)
class HeldDeploymentTest {
  private static final List<ClientLink.Listed> LISTED =
      List.of(
          new ClientLink.Listed(
              42,
              "com.example.Main",
              1_700_000_000_000L,
              2,
              3,
              ClientLink.Listed.State.RUNNING,
              0,
              true),
          new ClientLink.Listed(
              7, "a.B", 1_700_000_060_000L, 0, 1, ClientLink.Listed.State.EXITED, 3, false),
          new ClientLink.Listed(
              9, "a.\"Q\"", 1_700_000_120_000L, 0, 2, ClientLink.Listed.State.STOPPED, 137, true));

  @Test
  void givenDeployments_whenShownHuman_thenAlignedTableWithStates() {
    String table = ListCommand.human(LISTED, ZoneOffset.UTC);

    assertThat(table)
        .isEqualTo(
            "ID  PROGRAM           STARTED              PROCESSES  STATE\n"
                + "42  com.example.Main  2023-11-14 22:13:20  2/3        running\n"
                + "7   a.B               2023-11-14 22:14:20  0/1        exited 3 (attached)\n"
                + "9   a.\"Q\"             2023-11-14 22:15:20  0/2        stopped\n");
  }

  @Test
  void givenDeployments_whenShownJson_thenOneObjectPerLine() {
    String json = ListCommand.json(LISTED);

    assertThat(json.split("\n"))
        .containsExactly(
            "{\"id\":\"42\",\"program\":\"com.example.Main\",\"started\":\"2023-11-14T22:13:20Z\","
                + "\"alive\":2,\"processes\":3,\"state\":\"running\",\"exitCode\":null,"
                + "\"detached\":true}",
            "{\"id\":\"7\",\"program\":\"a.B\",\"started\":\"2023-11-14T22:14:20Z\",\"alive\":0,"
                + "\"processes\":1,\"state\":\"exited\",\"exitCode\":3,\"detached\":false}",
            "{\"id\":\"9\",\"program\":\"a.\\\"Q\\\"\",\"started\":\"2023-11-14T22:15:20Z\","
                + "\"alive\":0,\"processes\":2,\"state\":\"stopped\",\"exitCode\":137,"
                + "\"detached\":true}");
  }

  @Test
  void givenNothing_whenShownHuman_thenSaysSo() {
    assertThat(ListCommand.human(List.of(), ZoneOffset.UTC)).isEqualTo("no deployments\n");
  }

  @Test
  void givenIdAndBridge_whenSorted_thenBoth() throws CommandException {
    HeldDeployment.Target t =
        HeldDeployment.target("stop", List.of("127.0.0.1:7000", "12"), true, null, null);

    assertThat(t.bridge().getPort()).isEqualTo(7000);
    assertThat(t.id()).isEqualTo(12);
  }

  @Test
  void givenOnlyAnIdAndDeployBridge_whenSorted_thenTheBridgeComesFromIt() throws CommandException {
    HeldDeployment.Target t =
        HeldDeployment.target("attach", List.of("12"), true, "127.0.0.1:7001", null);

    assertThat(t.bridge().getPort()).isEqualTo(7001);
  }

  @Test
  void givenNotANumber_whenSorted_thenOneSentenceNamingIt() {
    assertThatThrownBy(
            () -> HeldDeployment.target("stop", List.of("127.0.0.1:7000", "abc"), true, null, null))
        .isInstanceOf(CommandException.class)
        .hasMessage("\"abc\" is not a deployment id (a number, as deploy list shows it)");
  }

  @Test
  void givenNoId_whenSorted_thenSaysWhatIsMissing() {
    assertThatThrownBy(
            () -> HeldDeployment.target("attach", List.of("127.0.0.1:7000"), true, null, null))
        .isInstanceOf(CommandException.class)
        .hasMessageStartingWith(
            "give the bridge's address and the deployment's id, like: deploy attach"
                + " <bridge-addr> <id>");
  }

  @Test
  void givenKeepOptions_whenParsed_thenTheMastersRetention() throws CommandException {
    MasterCommand command = new MasterCommand();
    new picocli.CommandLine(command)
        .parseArgs(
            "--keep-for", "30m", "--keep-per-deployment", "1MiB", "--keep-total", "8MiB", "a", "b");

    assertThat(command.retention())
        .isEqualTo(
            new dev.deploy.cluster.master.Retention(
                java.time.Duration.ofMinutes(30), 1L << 20, 8L << 20));
  }

  @Test
  void givenKeepForThatIsNoDuration_whenParsed_thenOneSentenceNamingIt() {
    MasterCommand command = new MasterCommand();
    new picocli.CommandLine(command).parseArgs("--keep-for", "soon", "a", "b");

    assertThatThrownBy(command::retention)
        .isInstanceOf(CommandException.class)
        .hasMessage("--keep-for: \"soon\" is not a duration like 30s, 2m, 1h or 500ms");
  }
}
