package dev.deploy.ui;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.bridge.JsonEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RunViewTest {
  private static final Pid ROOT = pid("3fecd01");
  private static final Pid CHILD = pid("9a1b2c3");
  private static final Resources SMALL = new Resources(128L << 20, 0.5);

  private long now = 1_000;
  private final RunView view = new RunView(() -> now);

  @Test
  void givenSpawnOutputAndExit_whenAskedSinceZero_thenProcessWithStateAndCounts() {
    view.opened(0, "Main");
    view.onEvent(0, new Event.Spawned(ROOT, null, SMALL, "local"));
    view.onEvent(0, new Event.Output(ROOT, 1, "hi\n".getBytes(UTF_8)));
    now = 2_000;
    view.onEvent(0, new Event.Exit(ROOT, ExitStatus.killed(15)));

    String json = view.changesSince(0, "[]");

    assertThat(json)
        .contains("\"pid\":\"3fecd01\"", "\"state\":\"killed\"", "\"detail\":\"SIGTERM\"")
        .contains("\"started\":1000", "\"ended\":2000", "\"out\":3", "\"memory\":134217728")
        .contains("\"name\":\"Main\"");
    RunView.Counts counts = view.counts();
    assertThat(counts.running()).isZero();
    assertThat(counts.killed()).isEqualTo(1);
    assertThat(counts.stdoutBytes()).isEqualTo(3);
  }

  @Test
  void givenChannelReportsOfTwoProcesses_whenCounted_thenLatestOfEachSummedAndKeptAfterExit() {
    view.onEvent(0, new Event.Spawned(ROOT, null));
    view.onEvent(0, new Event.Spawned(CHILD, ROOT));
    view.onEvent(0, new Event.ChannelStats(ROOT, 2, 200, 0, 0));
    view.onEvent(0, new Event.ChannelStats(ROOT, 5, 500, 1, 10));
    view.onEvent(0, new Event.ChannelStats(CHILD, 1, 10, 5, 500));
    view.onEvent(0, new Event.Exit(CHILD, ExitStatus.exited(0)));
    view.onEvent(0, new Event.ChannelStats(ROOT, 4, 400, 1, 10)); // shrank: never counts back

    RunView.Counts counts = view.counts();

    assertThat(counts.channelValuesSent()).isEqualTo(6);
    assertThat(counts.channelBytesSent()).isEqualTo(510);
    assertThat(counts.channelValuesReceived()).isEqualTo(6);
    assertThat(counts.channelBytesReceived()).isEqualTo(510);
  }

  @Test
  void givenAVersion_whenAskedSinceIt_thenOnlyProcessesChangedAfter() {
    view.onEvent(0, new Event.Spawned(ROOT, null));
    view.onEvent(0, new Event.Spawned(CHILD, ROOT));
    long version = version(view.changesSince(0, "[]"));

    view.onEvent(0, new Event.Output(CHILD, 2, "oops\n".getBytes(UTF_8)));
    String changes = view.changesSince(version, "[]");

    assertThat(changes).contains("\"pid\":\"9a1b2c3\"").doesNotContain("\"pid\":\"3fecd01\"");
    assertThat(changes).contains("\"full\":false", "\"err\":5");
  }

  @Test
  void givenWaitingSpawn_whenPlaced_thenListedWhileItWaitsOnly() {
    view.onEvent(0, new Event.Spawned(ROOT, null));
    view.onEvent(0, new Event.Waiting(ROOT, SMALL, null, 0));
    assertThat(view.changesSince(0, "[]")).contains("\"what\":\"128 MiB, 0.5 cpu\"");
    assertThat(view.counts().waiting()).isEqualTo(1);

    view.onEvent(0, new Event.Waiting(ROOT, SMALL, "local", 1500));

    assertThat(view.changesSince(0, "[]")).contains("\"waiting\":[]");
  }

  @Test
  void givenOutputBeyondTheTail_whenRead_thenStartsWhereTheTailDoes() {
    view.onEvent(0, new Event.Spawned(ROOT, null));
    byte[] chunk = new byte[RunView.TAIL_BYTES];
    java.util.Arrays.fill(chunk, (byte) 'x');
    view.onEvent(0, new Event.Output(ROOT, 1, chunk));
    view.onEvent(0, new Event.Output(ROOT, 1, "<end>\n".getBytes(UTF_8)));

    var slice = JsonEvents.parseLine(view.output("3fecd01", 1, 0, -1, 10));

    assertThat(slice).containsEntry("start", 6).containsEntry("kept", 6);
    assertThat(JsonEvents.parseLine(view.output("3fecd01", 1, -1, -1, 6)))
        .containsEntry("text", "\u003cend\u003e\n");
    assertThat(view.output("0000000", 1, 0, -1, 10)).isNull();
  }

  @Test
  void givenMoreEndedProcessesThanKept_whenMoreEnd_thenTheOldestEndedAreForgotten() {
    view.onEvent(0, new Event.Spawned(ROOT, null));
    for (int i = 0; i < RunView.ENDED_KEPT + 10; i++) {
      Pid p = Pid.of(new byte[] {127, 0, 0, 1}, 7000, (long) (i + 1) << 8);
      view.onEvent(0, new Event.Spawned(p, ROOT));
      view.onEvent(0, new Event.Exit(p, ExitStatus.exited(0)));
    }

    String json = view.changesSince(0, "[]");

    assertThat(json).contains("\"pid\":\"3fecd01\"").doesNotContain("\"pid\":\"0000001\"");
    assertThat(view.counts().exited()).isEqualTo(RunView.ENDED_KEPT + 10);
  }

  private static long version(String json) {
    int at = json.indexOf("\"version\":") + 10;
    return Long.parseLong(json.substring(at, json.indexOf(',', at)));
  }

  /** Returns a pid whose toString is {@code hex}. */
  private static dev.deploy.Pid pid(String hex) {
    return dev.deploy.Pid.of(new byte[] {127, 0, 0, 1}, 7000, Long.parseLong(hex, 16) << 8);
  }
}
