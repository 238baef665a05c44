package dev.deploy.fabric;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.master.LaunchOrder;
import dev.deploy.testing.FakeProcess;
import dev.deploy.testing.RecordingSink;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Launch}'s grace for the pipes after its process exited (a grandchild may hold them): the
 * exit waits for them within the grace, gives them up after it with an Eof per open pipe, and waits
 * without a deadline for a pipe held at a closed output gate. The grace is the test's (0 or an
 * hour), so nothing here waits for a real 2 s.
 */
@Timeout(10)
class LaunchGraceTest {
  private static final Resources R = new Resources(128L << 20, 1);
  private static final Pid PID = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 0x200);
  private static final long NO_GRACE = 0;
  private static final long AN_HOUR = TimeUnit.HOURS.toNanos(1);

  private final RecordingSink sink = new RecordingSink();
  private final ControlSession session = new ControlSession(null, null, null);
  private Thread exitThread;

  @AfterEach
  void stopExitThread() throws InterruptedException {
    if (exitThread != null) {
      exitThread.interrupt();
      exitThread.join(5_000);
    }
  }

  /** A registered launch whose process exited with {@code code} and whose control closed. */
  private Launch exited(long grace, int code) {
    Launch launch = new Launch(1, new LaunchOrder(5, null, R, new byte[] {1}), sink, false, grace);
    FakeProcess process = new FakeProcess();
    launch.started(process, null);
    assertThat(launch.onHello(session, PID)).isTrue();
    launch.onControlClosed(session);
    process.exit(code);
    return launch;
  }

  /** Runs the exit thread's part and returns once it waits (for the pipes). */
  private void exitOnItsThread(Launch launch) {
    exitThread = new Thread(launch::onProcessExit, "test-exit");
    exitThread.start();
    await()
        .until(
            () ->
                exitThread.getState() == Thread.State.WAITING
                    || exitThread.getState() == Thread.State.TIMED_WAITING);
  }

  private java.util.List<Event> afterSpawned() {
    return sink.events().stream().filter(e -> !(e instanceof Event.Spawned)).toList();
  }

  @Test
  void givenBothPipesOpenAfterExit_whenGraceRunsOut_thenAnEofForEachThenTheExit() throws Exception {
    Launch launch = exited(NO_GRACE, 3);

    launch.onProcessExit();

    assertThat(afterSpawned())
        .containsExactly(
            new Event.Eof(PID, 1),
            new Event.Eof(PID, 2),
            new Event.Exit(PID, ExitStatus.exited(3)));
    assertThat(launch.exitFuture().get(1, TimeUnit.SECONDS)).isEqualTo(ExitStatus.exited(3));
    assertThat(launch.state()).isEqualTo(Launch.State.ENDED);
  }

  @Test
  void givenOnePipeEndedOneOpen_whenGraceRunsOut_thenOnlyTheOpenOneGetsAnEof() {
    Launch launch = exited(NO_GRACE, 0);
    launch.onEof(2);

    launch.onProcessExit();

    assertThat(afterSpawned())
        .containsExactly(
            new Event.Eof(PID, 2),
            new Event.Eof(PID, 1),
            new Event.Exit(PID, ExitStatus.exited(0)));
  }

  @Test
  void givenPipesOpenAfterExit_whenTheyEndWithinTheGrace_thenTheExitWaitsForThem()
      throws Exception {
    Launch launch = exited(AN_HOUR, 0);
    launch.onOutput(1, new byte[] {'x'});

    exitOnItsThread(launch);

    assertThat(launch.exitFuture()).as("waits for the pipes").isNotDone();
    launch.onOutput(1, new byte[] {'y'});
    launch.onEof(1);
    launch.onEof(2);
    assertThat(launch.exitFuture().get(5, TimeUnit.SECONDS)).isEqualTo(ExitStatus.exited(0));
    assertThat(sink.output(1)).isEqualTo(new byte[] {'x', 'y'});
    assertThat(afterSpawned())
        .as("the late output is kept; one Eof per pipe; the exit last")
        .endsWith(
            new Event.Eof(PID, 1),
            new Event.Eof(PID, 2),
            new Event.Exit(PID, ExitStatus.exited(0)));
  }

  @Test
  void givenPipeHeldAtAClosedGate_whenGraceIsZero_thenTheExitWaitsUntilTheGateOpens()
      throws Exception {
    Launch launch = exited(NO_GRACE, 0);
    launch.onEof(2);
    launch.onPipeHeld(1, true);

    exitOnItsThread(launch);

    assertThat(exitThread.getState()).as("no deadline while held").isEqualTo(Thread.State.WAITING);
    assertThat(launch.exitFuture()).isNotDone();
    launch.onOutput(1, new byte[] {'z'});
    launch.onPipeHeld(1, false);
    assertThat(launch.exitFuture().get(5, TimeUnit.SECONDS)).isEqualTo(ExitStatus.exited(0));
    assertThat(sink.output(1)).isEqualTo(new byte[] {'z'});
    assertThat(afterSpawned())
        .endsWith(new Event.Eof(PID, 1), new Event.Exit(PID, ExitStatus.exited(0)));
  }
}
