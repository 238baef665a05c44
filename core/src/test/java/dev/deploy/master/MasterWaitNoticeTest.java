package dev.deploy.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.testing.RecordingLauncher;
import dev.deploy.testing.RecordingSink;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A spawnAsync that waits for room more than a second is told to its bridge: what it waits for,
 * then where it starts and after how long. One that gets room sooner says nothing.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MasterWaitNoticeTest {
  private static final long GIB = 1L << 30;
  private static final long PROGRAM = 7;
  private static final Pid PARENT = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 0x100);

  private final RecordingLauncher worker = new RecordingLauncher();
  private final Master master =
      new Master(List.of(new Node("worker-1", new Resources(GIB, 1), worker)));
  private final RecordingSink sink = new RecordingSink();

  @Test
  void givenSpawnWaitingOverASecond_whenRoomComes_thenWaitingThenPlacedOnItsNode() {
    master.track(PROGRAM, sink);
    master.spawn(order(GIB), true);
    RecordingLauncher.Call first = worker.last();
    first.start();

    master.spawn(order(GIB / 2), true);
    await().atMost(Duration.ofSeconds(5)).until(() -> !waits().isEmpty());
    assertThat(waits())
        .containsExactly(new Event.Waiting(PARENT, new Resources(GIB / 2, 0.1), null, 0));
    first.exit(ExitStatus.exited(0));

    await().atMost(Duration.ofSeconds(5)).until(() -> waits().size() == 2);
    Event.Waiting placed = waits().get(1);
    assertThat(placed.node()).isEqualTo("worker-1");
    assertThat(placed.pid()).isEqualTo(PARENT);
    assertThat(placed.waitedMillis()).isGreaterThanOrEqualTo(WaitNotice.AFTER_MILLIS);
  }

  @Test
  void givenSpawnThatGetsRoomAtOnce_whenASecondPasses_thenNothingSaid() {
    master.track(PROGRAM, sink);
    master.spawn(order(GIB), true);
    worker.last().start();
    master.spawn(order(GIB / 2), true);

    worker.call(0).exit(ExitStatus.exited(0));

    await()
        .during(Duration.ofMillis(WaitNotice.AFTER_MILLIS + 300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> waits().isEmpty());
  }

  private List<Event.Waiting> waits() {
    return sink.events().stream()
        .filter(Event.Waiting.class::isInstance)
        .map(Event.Waiting.class::cast)
        .toList();
  }

  private static LaunchOrder order(long memory) {
    return new LaunchOrder(PROGRAM, PARENT, new Resources(memory, 0.1), new byte[] {42});
  }
}
