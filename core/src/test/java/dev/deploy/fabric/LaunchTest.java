package dev.deploy.fabric;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventSink;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.master.LaunchException;
import dev.deploy.master.LaunchOrder;
import dev.deploy.process.CgroupGroup;
import dev.deploy.testing.FakeProcess;
import dev.deploy.testing.RecordingSink;
import dev.deploy.wire.Control;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Launch} with fake processes and a control session that sends nowhere: its states, the
 * order of its events, and how an exit or a launch that never ran is reported.
 */
@Timeout(10)
class LaunchTest {
  @Test
  void givenWrapperCouldNotPutItInItsCgroup_whenItExits_thenFailedLaunchSaysSoNotAnExit() {
    Launch launch =
        new Launch(1, new LaunchOrder(null, new Resources(128L << 20, 1), null), new Sink(), false);
    String said =
        CgroupGroup.NOT_CONFINED
            + " 4242 in its cgroup: writing /sys/fs/cgroup/x/p-1/cgroup.procs failed\n";
    launch.started(new Exited(CgroupGroup.NOT_CONFINED_EXIT), null);
    launch.onOutput(2, said.getBytes(StandardCharsets.UTF_8));
    launch.onEof(1);
    launch.onEof(2);

    launch.onProcessExit();

    assertThat(launch.launched)
        .failsWithin(1, TimeUnit.SECONDS)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(LaunchException.class)
        .withMessageContaining(
            "the process was not started: "
                + CgroupGroup.NOT_CONFINED
                + " 4242 in its cgroup: writing /sys/fs/cgroup/x/p-1/cgroup.procs failed");
  }

  private static final Resources R = new Resources(128L << 20, 1);
  private static final Pid PARENT = Pid.of(new byte[] {127, 0, 0, 1}, 41_000, 0x100);
  private static final Pid PID = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 0x200);
  private static final byte[] TASK = {1, 2, 3};

  private final RecordingSink sink = new RecordingSink();
  private final ControlSession session = new ControlSession(null, null, null);

  private Launch cold() {
    return new Launch(1, new LaunchOrder(5, PARENT, R, TASK), sink, false);
  }

  private Launch pooled() {
    return new Launch(2, new LaunchOrder(5, null, R, null), sink, true);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Ends {@code launch}'s process with {@code code}: its pipes and control connection first. */
  private void exit(Launch launch, FakeProcess process, int code) {
    launch.onEof(1);
    launch.onEof(2);
    launch.onControlClosed(session);
    process.exit(code);
    launch.onProcessExit();
  }

  private static String failureOf(Launch launch) {
    assertThat(launch.launched).isCompletedExceptionally();
    try {
      launch.launched.getNow(null);
      throw new AssertionError("not failed");
    } catch (java.util.concurrent.CompletionException e) {
      assertThat(e.getCause()).isInstanceOf(LaunchException.class);
      return e.getCause().getMessage();
    }
  }

  @Test
  void givenOutputBeforeRegistering_whenHello_thenSpawnedComesFirstThenTheHeldOutputPerFd()
      throws Exception {
    Launch launch = cold();
    launch.started(new FakeProcess(), null);
    launch.onOutput(1, utf8("out"));
    launch.onOutput(2, utf8("err"));
    launch.onEof(1);

    assertThat(launch.onHello(session, PID)).isTrue();

    assertThat(launch.state()).isEqualTo(Launch.State.RUNNING);
    assertThat(launch.pid()).isEqualTo(PID);
    assertThat(launch.launched.get(1, TimeUnit.SECONDS).pid()).isEqualTo(PID);
    List<Event> events = sink.events();
    assertThat(events).hasSize(4);
    assertThat(events.get(0)).isEqualTo(new Event.Spawned(PID, PARENT, R, null));
    assertThat(((Event.Output) events.get(1)).fd()).isEqualTo(1);
    assertThat(sink.output(1)).isEqualTo(utf8("out"));
    assertThat(sink.output(2)).isEqualTo(utf8("err"));
    assertThat(events.get(2))
        .as("fd 1 held to its end, then fd 2")
        .isEqualTo(new Event.Eof(PID, 1));
    assertThat(sink.pending()).as("the launch settled once").isEqualTo(-1);
  }

  @Test
  void givenRunning_whenOutputAndEof_thenPassedOnAtOnceAndNothingAfterTheEof() {
    Launch launch = cold();
    launch.onHello(session, PID);

    launch.onOutput(2, utf8("a"));
    launch.onEof(2);
    launch.onEof(2);
    launch.onOutput(2, utf8("late"));

    assertThat(sink.events())
        .filteredOn(e -> !(e instanceof Event.Spawned))
        .hasSize(2)
        .last()
        .isEqualTo(new Event.Eof(PID, 2));
    assertThat(sink.output(2)).isEqualTo(utf8("a"));
  }

  @Test
  void givenRegistered_whenSecondHello_thenRefused() {
    Launch launch = cold();
    assertThat(launch.onHello(session, PID)).isTrue();

    assertThat(launch.onHello(new ControlSession(null, null, null), PARENT)).isFalse();
    assertThat(launch.pid()).isEqualTo(PID);
  }

  @Test
  void givenPoolJvm_whenHello_thenItWaitsUnseenUntilActivated() throws Exception {
    Launch launch = pooled();
    launch.onOutput(1, utf8("warming"));

    assertThat(launch.onHello(session, PID)).isTrue();
    assertThat(launch.state()).isEqualTo(Launch.State.WARM);
    assertThat(sink.events()).isEmpty();
    assertThat(launch.launched).isNotDone();

    LaunchOrder real = new LaunchOrder(5, PARENT, R, TASK);
    assertThat(launch.activate(real)).isTrue();

    assertThat(launch.state()).isEqualTo(Launch.State.RUNNING);
    assertThat(launch.order()).isSameAs(real);
    assertThat(launch.launched.get(1, TimeUnit.SECONDS).pid()).isEqualTo(PID);
    assertThat(sink.events().get(0)).isEqualTo(new Event.Spawned(PID, PARENT, R, null));
    assertThat(sink.output(1)).isEqualTo(utf8("warming"));
    assertThat(sink.pending()).as("a pool JVM was never counted as pending").isZero();
    assertThat(launch.activate(real)).as("only once").isFalse();
  }

  @Test
  void givenPoolJvmStillStarting_whenActivated_thenRefused() {
    Launch launch = pooled();

    assertThat(launch.activate(new LaunchOrder(5, PARENT, R, TASK))).isFalse();
    assertThat(launch.state()).isEqualTo(Launch.State.STARTING);
  }

  @Test
  void givenPoolJvmClaimedWhileStarting_whenHello_thenItRunsTheClaimedSpawnAtOnce()
      throws Exception {
    Launch launch = pooled();
    LaunchOrder real = new LaunchOrder(5, PARENT, R, TASK);
    assertThat(launch.claim(real)).isTrue();

    launch.onHello(session, PID);

    assertThat(launch.state()).isEqualTo(Launch.State.RUNNING);
    assertThat(launch.order()).isSameAs(real);
    assertThat(launch.launched.get(1, TimeUnit.SECONDS).pid()).isEqualTo(PID);
    assertThat(sink.events()).containsExactly(new Event.Spawned(PID, PARENT, R, null));
  }

  @Test
  void givenRunning_whenProcessExitsAfterPipesAndControlEnd_thenExitIsTheLastEvent()
      throws Exception {
    Launch launch = cold();
    FakeProcess process = new FakeProcess();
    launch.started(process, null);
    launch.onHello(session, PID);

    exit(launch, process, 3);

    assertThat(launch.state()).isEqualTo(Launch.State.ENDED);
    assertThat(launch.exitFuture().get(1, TimeUnit.SECONDS)).isEqualTo(ExitStatus.exited(3));
    assertThat(sink.events()).last().isEqualTo(new Event.Exit(PID, ExitStatus.exited(3)));
  }

  @Test
  void givenExitNoticeOfASignal_whenProcessExits_thenKilledByThatSignal() throws Exception {
    Launch launch = cold();
    FakeProcess process = new FakeProcess();
    launch.started(process, null);
    launch.onHello(session, PID);
    launch.onExiting(15);

    exit(launch, process, 143);

    assertThat(launch.exitFuture().get(1, TimeUnit.SECONDS)).isEqualTo(ExitStatus.killed(15));
  }

  @Test
  void givenExitCodes_whenStatusOf_thenNoticeTellsOwnExitFromSignal() {
    assertThat(Launch.statusOf(137, -1)).as("no notice: 128 + 9").isEqualTo(ExitStatus.killed(9));
    assertThat(Launch.statusOf(137, 0)).as("its own exit(137)").isEqualTo(ExitStatus.exited(137));
    assertThat(Launch.statusOf(143, 2)).isEqualTo(ExitStatus.killed(2));
    assertThat(Launch.statusOf(200, -1)).isEqualTo(ExitStatus.exited(200));
    assertThat(Launch.statusOf(128, -1)).isEqualTo(ExitStatus.exited(128));
    assertThat(Launch.statusOf(0, -1)).isEqualTo(ExitStatus.exited(0));
  }

  @Test
  void givenProcessDiedBeforeRegistering_whenExits_thenLaunchFailsWithItsLastStderrLines() {
    Launch launch = cold();
    FakeProcess process = new FakeProcess();
    launch.started(process, null);
    launch.onOutput(1, utf8("ignored stdout"));
    launch.onOutput(2, utf8("1\n2\n3\n4\n5\n6\n7\nError: boom\n"));

    exit(launch, process, 1);

    assertThat(failureOf(launch))
        .isEqualTo(
            "the new JVM exited with code 1 before it called init(): 3 / 4 / 5 / 6 / 7 / Error: boom");
    assertThat(launch.state()).isEqualTo(Launch.State.ENDED);
    assertThat(sink.events()).as("the run never saw it").isEmpty();
    assertThat(sink.pending()).isEqualTo(-1);
  }

  @Test
  void givenProcessKilledBeforeRegisteringWithOnlyStdout_whenExits_thenReasonIsSignalAndStdout() {
    Launch launch = cold();
    FakeProcess process = new FakeProcess();
    launch.started(process, null);
    launch.onOutput(1, utf8("no main class\n"));

    exit(launch, process, 137);

    assertThat(failureOf(launch))
        .isEqualTo("the new JVM was killed by signal 9 before it called init(): no main class");
  }

  @Test
  void givenProcessSilentTooLong_whenRegistrationTimesOut_thenKilledAndFailureSaysWhy() {
    Launch launch = cold();
    FakeProcess process = new FakeProcess();
    launch.started(process, null);

    launch.onRegistrationTimeout(60);

    assertThat(process.ended()).as("killed").isTrue();
    launch.onEof(1);
    launch.onEof(2);
    launch.onProcessExit();
    assertThat(failureOf(launch))
        .isEqualTo("the process did not call init() within 60 s of its start");
  }

  @Test
  void givenRegistered_whenRegistrationTimeoutFires_thenNothingHappens() {
    Launch launch = cold();
    FakeProcess process = new FakeProcess();
    launch.started(process, null);
    launch.onHello(session, PID);

    launch.onRegistrationTimeout(60);

    assertThat(process.ended()).isFalse();
    assertThat(launch.state()).isEqualTo(Launch.State.RUNNING);
  }

  @Test
  void givenKilledBeforeItsJvmStarted_whenStarted_thenTheJvmIsKilledAtOnce() {
    Launch launch = pooled();
    launch.kill();
    FakeProcess process = new FakeProcess();

    assertThat(launch.started(process, null)).isFalse();

    assertThat(process.ended()).isTrue();
    assertThat(launch.claim(new LaunchOrder(5, PARENT, R, TASK))).isFalse();
  }

  @Test
  void givenJvmCouldNotStart_whenStartFailed_thenLaunchFailsWithTheReasonAndSettles() {
    Launch launch = cold();

    launch.onStartFailed("cannot start java: no such file");

    assertThat(failureOf(launch)).isEqualTo("cannot start java: no such file");
    assertThat(launch.state()).isEqualTo(Launch.State.ENDED);
    assertThat(sink.pending()).isEqualTo(-1);
    assertThat(launch.onHello(session, PID)).isFalse();
  }

  @Test
  void givenPoolJvmNobodyTook_whenItExits_thenTheRunHearsNothing() {
    Launch launch = pooled();
    FakeProcess process = new FakeProcess();
    launch.started(process, null);
    launch.onHello(session, PID);

    exit(launch, process, 137);

    assertThat(launch.state()).isEqualTo(Launch.State.ENDED);
    assertThat(sink.events()).isEmpty();
    assertThat(launch.launched).isNotDone();
    assertThat(launch.exitFuture()).isNotDone();
    assertThat(launch.activate(new LaunchOrder(5, PARENT, R, TASK))).isFalse();
  }

  @Test
  void givenChannelTotals_whenReported_thenPassedOnOnlyWhileRunning() {
    Launch launch = pooled();
    Control.ChannelStats stats = new Control.ChannelStats(1, 2, 3, 4);
    launch.onChannelStats(stats);
    launch.onHello(session, PID);
    launch.onChannelStats(stats);
    assertThat(sink.events()).isEmpty();

    launch.activate(new LaunchOrder(5, PARENT, R, TASK));
    launch.onChannelStats(stats);

    assertThat(sink.events()).last().isEqualTo(new Event.ChannelStats(PID, 1, 2, 3, 4));
  }

  /** A sink that drops everything. */
  private static final class Sink implements EventSink {
    @Override
    public void onEvent(Event event) {}

    @Override
    public void onLaunchPending() {}

    @Override
    public void onLaunchSettled() {}
  }

  /** A process that has exited with {@code code}; its pipes are empty. */
  private static final class Exited extends Process {
    private final int code;

    Exited(int code) {
      this.code = code;
    }

    @Override
    public OutputStream getOutputStream() {
      return OutputStream.nullOutputStream();
    }

    @Override
    public InputStream getInputStream() {
      return new ByteArrayInputStream(new byte[0]);
    }

    @Override
    public InputStream getErrorStream() {
      return new ByteArrayInputStream(new byte[0]);
    }

    @Override
    public int waitFor() {
      return code;
    }

    @Override
    public int exitValue() {
      return code;
    }

    @Override
    public void destroy() {}

    @Override
    public CompletableFuture<Process> onExit() {
      return CompletableFuture.completedFuture(this);
    }
  }
}
