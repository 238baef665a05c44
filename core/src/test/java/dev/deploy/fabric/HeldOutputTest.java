package dev.deploy.fabric;

import static dev.deploy.testing.Awaits.await;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.master.LaunchOrder;
import dev.deploy.testing.FakeProcess;
import dev.deploy.testing.RecordingSink;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process that exits while its program's output is paused (the client reads slowly): its pumps
 * read what it left in its pipes into bounded memory, and its output, ends of output and exit reach
 * the bridge in order once the output is resumed. Runs {@link Launch} and two {@link OutputPump}s
 * on a {@link FakeProcess}, each on a thread of the test, as the fabric runs them.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HeldOutputTest {
  private static final Pid PID = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 0x4200);

  private final RecordingSink sink = new RecordingSink();
  private final ControlSession session = new ControlSession(null, new Socket(), null);
  private final List<Thread> threads = new ArrayList<>();
  private OutputGate gate;

  @AfterEach
  void resumeAndJoin() throws InterruptedException {
    if (gate != null) {
      gate.set(true); // every thread of the test ends once the output is resumed
    }
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(5));
    }
  }

  @Test
  void givenPausedOutput_whenProcessWritesItsLastOutputAndExits_thenItAllArrivesInOrderOnResume() {
    gate = new OutputGate();
    gate.set(false);
    FakeProcess process = new FakeProcess(bytes("last line\n"), bytes("last warning\n"));
    Launch launch = running(process);

    exit(launch, process, 3);

    // Read while paused: the fabric used to leave the pipes alone and give them up after 4 s.
    await()
        .atMost(Duration.ofSeconds(3))
        .until(() -> process.unread(1) == 0 && process.unread(2) == 0);
    assertThat(sink.events()).noneMatch(e -> e instanceof Event.Exit);

    gate.set(true);

    await().until(() -> launch.exitFuture().isDone());
    assertThat(sink.output(1)).asString(UTF_8).isEqualTo("last line\n");
    assertThat(sink.output(2)).asString(UTF_8).isEqualTo("last warning\n");
    assertInOrder(sink.events(), ExitStatus.exited(3));
  }

  @Test
  void givenPausedOutputPastThePipeBound_whenProcessExits_thenTheRestStaysInThePipeAndExitWaits() {
    OutputBudget budget = new OutputBudget(100 << 10, 1 << 20);
    gate = new OutputGate(budget);
    gate.set(false);
    byte[] out = pattern(300 << 10);
    FakeProcess process = new FakeProcess(out, new byte[0]);
    Launch launch = running(process);

    Thread exit = exit(launch, process, 0);

    await()
        .until(
            () ->
                process.unread(1) == out.length - (100 << 10)
                    && threads.get(0).getState() == Thread.State.WAITING
                    && exit.getState() == Thread.State.WAITING);
    assertThat(budget.held()).isEqualTo(100 << 10);
    assertThat(sink.events()).noneMatch(e -> e instanceof Event.Exit);

    gate.set(true);

    await().until(() -> launch.exitFuture().isDone());
    assertThat(sink.output(1)).isEqualTo(out);
    assertThat(budget.held()).isZero();
    assertInOrder(sink.events(), ExitStatus.exited(0));
  }

  @Test
  void givenOutputNeverPaused_whenProcessExits_thenNothingIsHeld() {
    OutputBudget budget = new OutputBudget(100 << 10, 1 << 20);
    gate = new OutputGate(budget);
    byte[] out = pattern(200 << 10);
    FakeProcess process = new FakeProcess(out, bytes("bye\n"));
    Launch launch = running(process);

    exit(launch, process, 0);

    await().until(() -> launch.exitFuture().isDone());
    assertThat(sink.output(1)).isEqualTo(out);
    assertThat(budget.held()).isZero();
    assertInOrder(sink.events(), ExitStatus.exited(0));
  }

  /** A registered launch of {@code process}, its two pumps running on threads 0 and 1. */
  private Launch running(FakeProcess process) {
    Launch launch =
        new Launch(1, new LaunchOrder(7, null, new Resources(128L << 20, 1), null), sink, false);
    launch.started(process, null);
    assertThat(launch.onHello(session, PID)).isTrue();
    start(new OutputPump(launch, 1, process.getInputStream(), gate), "pump-1");
    start(new OutputPump(launch, 2, process.getErrorStream(), gate), "pump-2");
    return launch;
  }

  /** Ends the process and runs the launch's exit on a thread of its own, which it returns. */
  private Thread exit(Launch launch, FakeProcess process, int code) {
    process.exit(code);
    launch.onControlClosed(session);
    return start(launch::onProcessExit, "exit");
  }

  private Thread start(Runnable body, String name) {
    Thread t = new Thread(body, "held-output-test-" + name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
    return t;
  }

  /** Spawned first, each fd's output before its Eof, both Eofs before the Exit, which is last. */
  private static void assertInOrder(List<Event> events, ExitStatus status) {
    assertThat(events.get(0)).isInstanceOf(Event.Spawned.class);
    assertThat(events.get(events.size() - 1)).isEqualTo(new Event.Exit(PID, status));
    for (int fd = 1; fd <= 2; fd++) {
      int eof = events.indexOf(new Event.Eof(PID, fd));
      assertThat(eof).as("the Eof of fd %d", fd).isPositive().isLessThan(events.size() - 1);
      for (int i = eof + 1; i < events.size(); i++) {
        Event e = events.get(i);
        assertThat(e instanceof Event.Output o && o.fd() == fd)
            .as("output of fd %d after its Eof: %s", fd, events)
            .isFalse();
      }
    }
    assertThat(events.stream().filter(e -> e instanceof Event.Exit)).hasSize(1);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }

  private static byte[] pattern(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (i * 31 + (i >>> 8));
    }
    return b;
  }
}
