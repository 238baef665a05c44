package dev.deploy.bridge;

import static dev.deploy.bridge.HumanFormatTest.pid;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a tool reads from the events: a time stamp on every JSON line, the node of a process on a
 * cluster, and a spawn that waited for room in both formats.
 */
@Timeout(10)
class EventStampsTest {
  private static final Pid ROOT = pid("3fecd01");
  private static final Pid CHILD = pid("9a1b2c3");
  private static final Resources TWO_GIB = new Resources(2L << 30, 1);

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private long now = 1_765_000_000_000L;
  private final JsonFormat json = new JsonFormat(out, () -> now++);

  @Test
  void givenProcessOnANode_whenItsEventsWritten_thenEachCarriesNodeAndTs() throws IOException {
    json.write(new Event.Spawned(CHILD, ROOT, TWO_GIB, "10.0.0.2:7000"));
    json.write(new Event.Output(CHILD, 1, "hi\n".getBytes(UTF_8)));
    json.write(new Event.Eof(CHILD, 1));
    json.write(new Event.Exit(CHILD, ExitStatus.exited(0)));
    json.write(new Event.Output(ROOT, 1, "x".getBytes(UTF_8)));
    json.flush();

    String[] lines = out.toString(UTF_8).split("\n");
    for (int i = 0; i < 4; i++) {
      Map<String, Object> event = JsonEvents.parseLine(lines[i]);
      assertThat(event).containsEntry("node", "10.0.0.2:7000").containsEntry("ts", now - 5 + i);
    }
    assertThat(JsonEvents.parseLine(lines[4])).doesNotContainKey("node").containsKey("ts");
  }

  @Test
  void givenSpawnWaiting_whenWrittenAsJson_thenWaitThenPlacedEvents() throws IOException {
    json.write(new Event.Waiting(ROOT, TWO_GIB, null, 0));
    json.write(new Event.Waiting(ROOT, TWO_GIB, "b", 3200));
    json.flush();

    String[] lines = out.toString(UTF_8).split("\n");
    assertThat(JsonEvents.parseLine(lines[0]))
        .containsEntry("event", "wait")
        .containsEntry("pid", "3fecd01")
        .containsEntry("resources", "2 GiB, 1 cpu")
        .doesNotContainKey("on");
    assertThat(JsonEvents.parseLine(lines[1]))
        .containsEntry("event", "placed")
        .containsEntry("on", "b")
        .containsEntry("waited_ms", 3200);
  }

  @Test
  void givenSpawnWaiting_whenWrittenAsHuman_thenLinesUnderTheParent() throws IOException {
    ByteArrayOutputStream terminal = new ByteArrayOutputStream();
    HumanFormat human = new HumanFormat(terminal, terminal, false, true);

    human.write(new Event.Waiting(ROOT, TWO_GIB, null, 0));
    human.write(new Event.Waiting(ROOT, TWO_GIB, "b", 3200));
    human.flush();

    assertThat(terminal.toString(UTF_8))
        .isEqualTo(
            "3fecd01:\n    waiting for 2 GiB, 1 cpu: no machine has room\n"
                + "    waited 3.2 s for 2 GiB, 1 cpu; starting on b\n");
  }

  @Test
  void givenParentGone_whenWaitNoticeArrives_thenBridgeDropsIt() throws IOException {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Bridge bridge = new Bridge(new JsonFormat(printed, () -> 1));

    bridge.onEvent(new Event.Waiting(ROOT, TWO_GIB, null, 0));

    assertThat(printed.size()).isZero();
  }
}
