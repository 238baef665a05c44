package dev.deploy.master;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Bridge;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventFormat;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.testing.RecordingLauncher;
import dev.deploy.testing.RecordingSink;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A tracked program's spawns count as pending in its bridge from their placement (or queueing)
 * until the child registered or the spawn failed: a parent that spawns onto another machine and
 * exits at once does not end the run before its child starts there. Launchers start nothing; the
 * tests play the fabric's part in the bridge by hand, as a fabric a round trip away would, late.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MasterInFlightTest {
  private static final long GIB = 1L << 30;
  private static final long PROGRAM = 7;
  private static final Pid PARENT = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 0x100);

  private final RecordingLauncher worker = new RecordingLauncher();
  private final Master master =
      new Master(List.of(new Node("worker", new Resources(GIB, 1), worker)));
  private final Bridge bridge = new Bridge(new Silent());

  @Test
  void givenPlacedSpawn_whenParentExitsBeforeTheChildStarts_thenTheRunWaitsForTheChild() {
    master.track(PROGRAM, bridge);
    parentRuns();

    master.spawn(order(GIB / 2), true);
    parentExits();

    assertThat(bridge.done()).isNotDone();
    RecordingLauncher.Call child = worker.last();
    bridge.onEvent(new Event.Spawned(child.pid(), PARENT)); // the fabric, then its launch result
    child.start();
    assertThat(bridge.done()).isNotDone();
    exits(child.pid(), ExitStatus.exited(3));
    assertThat(bridge.done()).isCompletedWithValue(3);
  }

  @Test
  void givenQueuedSpawnAsync_whenParentExits_thenPendingUntilTheMasterWithdrawsIt() {
    master.track(PROGRAM, bridge);
    parentRuns();
    master.spawn(new LaunchOrder(PROGRAM + 1, null, new Resources(GIB, 1), null), false);

    master.spawn(order(GIB), true);
    parentExits();

    assertThat(master.waiting()).isEqualTo(1);
    assertThat(bridge.done()).isNotDone();
    master.cancelWaitingOf(PARENT); // its control connection closed
    assertThat(bridge.done()).isCompletedWithValue(0);
  }

  @Test
  void givenPlacedSpawn_whenItsLaunchFails_thenItSettlesOnce() {
    RecordingSink sink = new RecordingSink();
    master.track(PROGRAM, sink);

    master.spawn(order(GIB / 2), true);
    assertThat(sink.pending()).isEqualTo(1);
    worker.last().fail("no java on this machine");

    assertThat(sink.pending()).isZero();
  }

  @Test
  void givenNoRoom_whenPlainSpawnAnsweredEmpty_thenNothingStaysPending() {
    RecordingSink sink = new RecordingSink();
    master.track(PROGRAM, sink);
    master.spawn(order(GIB), false);

    master.spawn(order(GIB), false);

    assertThat(sink.pending()).isEqualTo(1); // the first only, still launching
  }

  @Test
  void givenUntrackedAfterPlacement_whenTheChildStarts_thenStillSettledWhereCounted() {
    RecordingSink sink = new RecordingSink();
    master.track(PROGRAM, sink);
    master.spawn(order(GIB / 2), true);

    master.untrack(PROGRAM);
    worker.last().start();
    master.spawn(order(GIB / 4), true);

    assertThat(sink.pending()).isZero();
  }

  /** The parent's fabric started it: its own launch, counted by the fabric, settled. */
  private void parentRuns() {
    bridge.onLaunchPending();
    bridge.onEvent(new Event.Spawned(PARENT, null));
    bridge.onLaunchSettled();
  }

  private void parentExits() {
    exits(PARENT, ExitStatus.exited(0));
  }

  private void exits(Pid pid, ExitStatus status) {
    bridge.onEvent(new Event.Eof(pid, 1));
    bridge.onEvent(new Event.Eof(pid, 2));
    bridge.onEvent(new Event.Exit(pid, status));
  }

  private static LaunchOrder order(long memory) {
    return new LaunchOrder(PROGRAM, PARENT, new Resources(memory, 0.1), new byte[] {42});
  }

  /** A format that prints nothing. */
  private static final class Silent implements EventFormat {
    @Override
    public void write(Event event) {}

    @Override
    public void flush() {}
  }
}
