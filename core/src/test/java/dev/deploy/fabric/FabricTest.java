package dev.deploy.fabric;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.Task;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.codec.Codec;
import dev.deploy.codec.LambdaCodec;
import dev.deploy.master.LaunchException;
import dev.deploy.master.LaunchOrder;
import dev.deploy.master.Launched;
import dev.deploy.master.Launcher;
import dev.deploy.master.Scheduler;
import dev.deploy.process.Env;
import dev.deploy.process.JvmCommand;
import dev.deploy.security.ClusterKey;
import dev.deploy.testing.FakeProcess;
import dev.deploy.testing.RecordingSink;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Fabric}'s books with a starter that records each JVM it is asked for and gives a {@link
 * FakeProcess}: the launch environment, registration and exit, failed starts, removal, and the warm
 * pool's hand-out and room, with a recording master. Control sessions send nowhere here; the
 * registration is driven by hand as the control thread would.
 */
@Timeout(20)
class FabricTest {
  private static final long PROGRAM = 0x51;
  private static final Resources R = new Resources(128L << 20, 1);
  private static final byte[] TASK = {7};

  private final ClusterKey key = ClusterKey.generate();
  private final RecordingSink sink = new RecordingSink();
  private final FakeMaster master = new FakeMaster();

  /** The JVMs asked for, oldest first; guarded by itself. */
  private final List<Started> started = new ArrayList<>();

  /** When set, the next start throws it. */
  private volatile Exception failNext;

  private Fabric fabric;

  /** One JVM the fabric started. */
  private record Started(ProcessBuilder builder, FakeProcess process) {
    long launchId() {
      return Long.parseUnsignedLong(builder.environment().get(Env.LAUNCH), 16);
    }
  }

  @BeforeEach
  void start() throws IOException {
    fabric = fabric(0);
  }

  @AfterEach
  void close() {
    fabric.close();
  }

  private Fabric fabric(int warm) throws IOException {
    Fabric f =
        new Fabric(
            key,
            InetAddress.getLoopbackAddress(),
            "127.0.0.1",
            warm,
            builder -> {
              Exception e = failNext;
              if (e != null) {
                failNext = null;
                if (e instanceof IOException io) {
                  throw io;
                }
                throw (RuntimeException) e;
              }
              FakeProcess p = new FakeProcess();
              synchronized (started) {
                started.add(new Started(builder, p));
              }
              return p;
            });
    f.addProgram(
        new Program(
            PROGRAM,
            JvmCommand.parse("/no/java", List.of("-cp", "x", "Main")),
            sink,
            false,
            Map.of("FROM_PROGRAM", "1")));
    f.setMaster(master);
    return f;
  }

  private Started awaitStarted(int index) {
    await().until(() -> startedCount() > index);
    synchronized (started) {
      return started.get(index);
    }
  }

  private int startedCount() {
    synchronized (started) {
      return started.size();
    }
  }

  private static Pid pid(long n) {
    return Pid.of(new byte[] {127, 0, 0, 1}, 40_000, n << 8);
  }

  /** Registers the launch of {@code s} as {@code pid}, as its control thread would. */
  private Launch register(Fabric f, Started s, Pid pid, ControlSession session) {
    Launch launch = f.launchOf(s.launchId());
    assertThat(launch).as("the fabric knows launch %x", s.launchId()).isNotNull();
    assertThat(launch.onHello(session, pid)).isTrue();
    f.onRegistered(pid, launch);
    return launch;
  }

  private static String failureOf(CompletableFuture<Launched> f) {
    try {
      f.get(10, TimeUnit.SECONDS);
      throw new AssertionError("the launch did not fail");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(LaunchException.class);
      return e.getCause().getMessage();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void givenUnknownProgram_whenLaunch_thenFailsNamingIt() {
    CompletableFuture<Launched> f = fabric.launch(new LaunchOrder(99, null, R, null));

    assertThat(failureOf(f)).isEqualTo("this machine does not run program 99");
    assertThat(startedCount()).isZero();
  }

  @Test
  void givenProgram_whenLaunched_thenItsJvmGetsTheLaunchEnvironmentNotTheClusterKey() {
    fabric.launch(new LaunchOrder(PROGRAM, null, R, null));

    Started s = awaitStarted(0);
    Map<String, String> env = s.builder().environment();
    assertThat(env)
        .containsEntry(Env.ROLE, "process")
        .containsEntry(Env.RUN_KEY, key.forDeployment(PROGRAM).toHex())
        .containsEntry("FROM_PROGRAM", "1")
        .doesNotContainKey(Env.POOLED);
    assertThat(env.values()).doesNotContain(key.toHex());
    assertThat(s.builder().command().get(0)).isEqualTo("/no/java");
    assertThat(fabric.launchOf(s.launchId())).isNotNull();
    assertThat(sink.pending()).isEqualTo(1);
  }

  @Test
  void
      givenProgramWithItsOwnJitOptions_whenLaunched_thenTheRuntimesJitDefaultComesFirstAndTheirsWins() {
    fabric.addProgram(
        new Program(
            0x52,
            JvmCommand.parse(
                "/no/java", List.of("-XX:Tier3InvocationThreshold=200", "-cp", "x", "Main")),
            sink,
            false,
            Map.of()));
    // One after the other: two launches fork on two threads, in either order.
    fabric.launch(new LaunchOrder(PROGRAM, null, R, null));
    List<String> plain = awaitStarted(0).builder().command();
    fabric.launch(new LaunchOrder(0x52, null, R, null));
    List<String> own = awaitStarted(1).builder().command();

    assertThat(plain).containsSubsequence(Fabric.JIT_THRESHOLDS).contains("Main");
    for (String option : Fabric.JIT_THRESHOLDS) {
      assertThat(plain.indexOf(option)).isLessThan(plain.indexOf("Main"));
    }
    assertThat(Fabric.JIT_THRESHOLDS)
        .as("only the first compilation is later: C2's thresholds stay the JVM's")
        .allMatch(o -> o.startsWith("-XX:Tier3"))
        .noneMatch(o -> o.startsWith("-XX:CompileThresholdScaling"));
    // The JVM takes the last of an option given twice: the program's own.
    assertThat(own.indexOf("-XX:Tier3InvocationThreshold=2000"))
        .isNotNegative()
        .isLessThan(own.indexOf("-XX:Tier3InvocationThreshold=200"));
  }

  static void numbersOnly(Pid parent, Integer arg) {}

  static void textArg(Pid parent, String arg) {}

  @Test
  void givenTasks_whenTheirJvmsStart_thenOnlyOneOfNumbersOnlyIsToldItNeedsNoSerialiser() {
    Codec codec = Codec.standard();
    fabric.launch(
        new LaunchOrder(
            PROGRAM,
            pid(1),
            R,
            LambdaCodec.encodeTask((Task<Integer>) FabricTest::numbersOnly, 5, codec)));
    Started numbers = awaitStarted(0); // before the next launch: they fork on two threads
    fabric.launch(
        new LaunchOrder(
            PROGRAM,
            pid(1),
            R,
            LambdaCodec.encodeTask((Task<String>) FabricTest::textArg, "text", codec)));

    assertThat(numbers.builder().environment()).containsEntry(Env.SCALAR_TASK, "1");
    assertThat(awaitStarted(1).builder().environment()).doesNotContainKey(Env.SCALAR_TASK);
  }

  @Test
  void givenRegisteredProcess_whenItExits_thenFateTellsHowAndTheLaunchIsForgotten()
      throws Exception {
    CompletableFuture<Launched> f = fabric.launch(new LaunchOrder(PROGRAM, null, R, null));
    Started s = awaitStarted(0);
    ControlSession session = new ControlSession(null, null, null);
    Launch launch = register(fabric, s, pid(1), session);
    assertThat(f.get(5, TimeUnit.SECONDS).pid()).isEqualTo(pid(1));
    CompletableFuture<ExitStatus> fate = fabric.fate(pid(1));
    assertThat(fate).isNotDone();

    launch.onControlClosed(session);
    s.process().exit(4);

    assertThat(fate.get(5, TimeUnit.SECONDS)).isEqualTo(ExitStatus.exited(4));
    await().until(() -> fabric.launchOf(s.launchId()) == null);
    assertThat(fabric.fate(pid(1)).getNow(null)).isEqualTo(ExitStatus.exited(4));
    assertThat(fabric.fate(pid(2)).getNow(null)).as("never ran here").isEqualTo(ExitStatus.lost());
    assertThat(sink.pending()).isZero();
  }

  /**
   * A Hello written just before its process was killed can be read after the process's end (a pool
   * JVM at the run's end, CI under load): late, not a misbehaving peer, so dropped without a WARN.
   */
  @Test
  void givenLaunchEndedBeforeItsHelloWasRead_whenLateHelloAsked_thenLateButUnknownIdsAreNot() {
    CompletableFuture<Launched> f = fabric.launch(new LaunchOrder(PROGRAM, null, R, null));
    Started s = awaitStarted(0);
    assertThat(fabric.lateHello(s.launchId())).as("still waiting for it").isFalse();

    s.process().exit(137);

    assertThat(failureOf(f)).isNotEmpty();
    await().until(() -> fabric.launchOf(s.launchId()) == null);
    assertThat(fabric.lateHello(s.launchId())).isTrue();
    assertThat(fabric.lateHello(s.launchId() + 1)).as("never launched here").isFalse();
    fabric.close();
    assertThat(fabric.lateHello(s.launchId() + 1)).as("closing: everything ends").isTrue();
  }

  /**
   * A process that exits on its own naming remotes it left values unacknowledged is a death to
   * those remotes only: EXITED promises nothing it sent is missing.
   */
  @Test
  void givenExitNamingUnfinishedRemotes_whenTheyAskItsFate_thenLostToThemExitedToOthers()
      throws Exception {
    fabric.launch(new LaunchOrder(PROGRAM, null, R, null));
    Started s = awaitStarted(0);
    ControlSession session = new ControlSession(null, null, null);
    Launch launch = register(fabric, s, pid(1), session);
    CompletableFuture<ExitStatus> askedBefore = fabric.fate(pid(1), pid(2));

    launch.onExiting(0);
    fabric.onUnfinished(pid(1), List.of(pid(2)));
    launch.onControlClosed(session);
    s.process().exit(0);

    assertThat(askedBefore.get(5, TimeUnit.SECONDS)).isEqualTo(ExitStatus.lost());
    await().until(() -> fabric.launchOf(s.launchId()) == null);
    assertThat(fabric.fate(pid(1), pid(2)).getNow(null)).isEqualTo(ExitStatus.lost());
    assertThat(fabric.fate(pid(1), pid(3)).getNow(null)).isEqualTo(ExitStatus.exited(0));
    assertThat(fabric.fate(pid(1)).getNow(null)).isEqualTo(ExitStatus.exited(0));
  }

  @Test
  void givenProcessKilled_whenAnUnfinishedRemoteAsks_thenItsKillNotLost() throws Exception {
    fabric.launch(new LaunchOrder(PROGRAM, null, R, null));
    Started s = awaitStarted(0);
    ControlSession session = new ControlSession(null, null, null);
    Launch launch = register(fabric, s, pid(1), session);

    launch.onExiting(15);
    fabric.onUnfinished(pid(1), List.of(pid(2)));
    launch.onControlClosed(session);
    s.process().exit(143);

    assertThat(fabric.fate(pid(1), pid(2)).get(5, TimeUnit.SECONDS))
        .isEqualTo(ExitStatus.killed(15));
  }

  @Test
  void givenRegisteredProcess_whenItsControlConnectionEnds_thenMasterDropsItsQueuedSpawns() {
    fabric.launch(new LaunchOrder(PROGRAM, null, R, null));
    register(fabric, awaitStarted(0), pid(1), new ControlSession(null, null, null));

    fabric.onControlClosed(pid(1));

    assertThat(master.cancelled).containsExactly(pid(1));
  }

  @Test
  void givenJavaCannotBeExecuted_whenLaunch_thenFailsSayingWhatCouldNotStart() {
    failNext = new IOException("error=2, No such file or directory");

    CompletableFuture<Launched> f = fabric.launch(new LaunchOrder(PROGRAM, null, R, null));

    assertThat(failureOf(f)).isEqualTo("cannot start /no/java: error=2, No such file or directory");
    // The launch settles just after its future fails (Launch.fail), on the starter's thread.
    await().until(() -> sink.pending() == 0);
  }

  @Test
  void givenABugWhileStarting_whenLaunch_thenTheSpawnFailsInsteadOfWaitingForever() {
    failNext = new IllegalStateException("bug");

    CompletableFuture<Launched> f = fabric.launch(new LaunchOrder(PROGRAM, null, R, null));

    assertThat(failureOf(f)).startsWith("the fabric could not start the JVM:").contains("bug");
  }

  @Test
  void givenClosedFabric_whenLaunch_thenFailsSayingItShutsDown() {
    fabric.close();

    CompletableFuture<Launched> f = fabric.launch(new LaunchOrder(PROGRAM, null, R, null));

    assertThat(failureOf(f)).isEqualTo("the fabric is shutting down");
    assertThat(startedCount()).isZero();
  }

  @Test
  void givenRunningProcesses_whenProgramRemoved_thenAllAreKilledAndNoMoreStart() {
    fabric.launch(new LaunchOrder(PROGRAM, null, R, null));
    fabric.launch(new LaunchOrder(PROGRAM, null, R, null));
    Started a = awaitStarted(0);
    Started b = awaitStarted(1);

    fabric.removeProgram(PROGRAM);

    assertThat(a.process().ended()).isTrue();
    assertThat(b.process().ended()).isTrue();
    assertThat(fabric.hasProgram(PROGRAM)).isFalse();
    assertThat(failureOf(fabric.launch(new LaunchOrder(PROGRAM, null, R, null))))
        .contains("does not run program");
  }

  @Test
  void givenRunningProcess_whenFabricClosed_thenItIsKilled() {
    fabric.launch(new LaunchOrder(PROGRAM, null, R, null));
    Started a = awaitStarted(0);

    fabric.close();

    assertThat(a.process().ended()).isTrue();
  }

  @Test
  void givenWarmPool_whenASpawnFindsAWarmJvm_thenItIsHandedOutAndThePoolsRoomGivenBack()
      throws Exception {
    fabric.close();
    fabric = fabric(1);
    CompletableFuture<Launched> first = fabric.launch(new LaunchOrder(PROGRAM, null, R, TASK));
    register(fabric, awaitStarted(0), pid(1), new ControlSession(null, null, null));
    assertThat(first.get(5, TimeUnit.SECONDS).pid()).isEqualTo(pid(1));
    // Refilled once the cold one registered: two, as the first spawn found none and grew the pool.
    Started warm = awaitStarted(1);
    awaitStarted(2);
    assertThat(warm.builder().environment()).containsEntry(Env.POOLED, "1");
    assertThat(master.reserved.get()).isEqualTo(2);
    Launch w = register(fabric, warm, pid(2), new ControlSession(null, null, null));
    assertThat(w.state()).isEqualTo(Launch.State.WARM);
    assertThat(sink.events()).noneMatch(e -> e.toString().contains(pid(2).toString()));

    CompletableFuture<Launched> second = fabric.launch(new LaunchOrder(PROGRAM, pid(1), R, TASK));

    assertThat(second.get(5, TimeUnit.SECONDS).pid()).isEqualTo(pid(2));
    assertThat(fabric.warmHitsAndMisses()).containsExactly(1, 1);
    assertThat(master.released.get()).isEqualTo(1);
    assertThat(w.order().parent()).isEqualTo(pid(1));
  }

  @Test
  void givenTwoWarmJvms_whenASpawnTakesOne_thenTheOtherServesTheNextAndBothAreReplaced()
      throws Exception {
    fabric.close();
    fabric = fabric(1);
    fabric.launch(new LaunchOrder(PROGRAM, null, R, TASK));
    register(fabric, awaitStarted(0), pid(1), new ControlSession(null, null, null));
    register(fabric, awaitStarted(1), pid(2), new ControlSession(null, null, null));
    register(fabric, awaitStarted(2), pid(3), new ControlSession(null, null, null));

    CompletableFuture<Launched> second = fabric.launch(new LaunchOrder(PROGRAM, pid(1), R, TASK));
    CompletableFuture<Launched> third = fabric.launch(new LaunchOrder(PROGRAM, pid(1), R, TASK));

    // The two pool JVMs forked on two threads: either may be the pool's first.
    assertThat(List.of(second.get(5, TimeUnit.SECONDS).pid(), third.get(5, TimeUnit.SECONDS).pid()))
        .containsExactlyInAnyOrder(pid(2), pid(3));
    assertThat(fabric.warmHitsAndMisses()).containsExactly(2, 1);
    // The first take's refill waited (one was still ready), the second's did not: both come, and
    // each pool JVM started is in the master's books (a pool that saw two takes back to back may
    // also grow by one: JDK 25's timing).
    awaitStarted(4);
    await().until(() -> master.reserved.get() == startedCount() - 1); // all but the cold one
    assertThat(master.reserved.get()).isBetween(4, 5);
  }

  @Test
  void givenTwoSpawnsStartingTheirOwnJvms_whenTheFirstRegisters_thenThePoolWaitsForTheLast()
      throws Exception {
    fabric.close();
    fabric = fabric(1);
    CompletableFuture<Launched> a = fabric.launch(new LaunchOrder(PROGRAM, null, R, TASK));
    CompletableFuture<Launched> b = fabric.launch(new LaunchOrder(PROGRAM, null, R, TASK));
    Started first = awaitStarted(0);
    Started second = awaitStarted(1);
    assertThat(fabric.coldStarting(PROGRAM)).isTrue();

    // The two JVMs fork on two threads, so the first one forked may be either launch's.
    register(fabric, first, pid(1), new ControlSession(null, null, null));
    CompletableFuture<Object> one = CompletableFuture.anyOf(a, b);
    assertThat(((Launched) one.get(5, TimeUnit.SECONDS)).pid()).isEqualTo(pid(1));
    assertThat(fabric.coldStarting(PROGRAM)).as("the second still starts").isTrue();
    assertThat(fabric.coldStarting(PROGRAM + 1)).as("another program's").isFalse();

    register(fabric, second, pid(2), new ControlSession(null, null, null));
    assertThat(List.of(a.get(5, TimeUnit.SECONDS).pid(), b.get(5, TimeUnit.SECONDS).pid()))
        .containsExactlyInAnyOrder(pid(1), pid(2));
    assertThat(fabric.coldStarting(PROGRAM)).isFalse();
    Started warm = awaitStarted(2);
    assertThat(warm.builder().environment()).containsEntry(Env.POOLED, "1");
  }

  @Test
  void givenWarmJvmsLeftReady_whenRefillDelayAsked_thenOnlyAnEmptyPoolRefillsAtOnce() {
    assertThat(Fabric.refillDelayMillis(0)).isZero();
    assertThat(Fabric.refillDelayMillis(1)).isEqualTo(Fabric.REFILL_DELAY_MILLIS).isPositive();
    assertThat(Fabric.refillDelayMillis(7)).isEqualTo(Fabric.REFILL_DELAY_MILLIS);
  }

  @Test
  void givenWarmJvmDiesBeforeRegistering_whenItExits_thenItsRoomIsGivenBack() throws Exception {
    fabric.close();
    fabric = fabric(1);
    fabric.launch(new LaunchOrder(PROGRAM, null, R, TASK));
    register(fabric, awaitStarted(0), pid(1), new ControlSession(null, null, null));
    Started warm = awaitStarted(1);
    awaitStarted(2);
    assertThat(master.reserved.get()).isEqualTo(2);

    warm.process().exit(1);

    await().until(() -> master.released.get() == 1);
    await().until(() -> fabric.launchOf(warm.launchId()) == null);
    assertThat(sink.pending()).as("a pool JVM's failure is not the run's").isZero();
  }

  @Test
  void givenDeployWarmSettings_whenParsed_thenDefaultTwoAndOutOfRangeRefused() {
    assertThat(Fabric.warmSize(null)).isEqualTo(2);
    assertThat(Fabric.warmSize(" ")).isEqualTo(2);
    assertThat(Fabric.warmSize("0")).isZero();
    assertThat(Fabric.warmSize(" 64 ")).isEqualTo(64);
    assertThatThrownBy(() -> Fabric.warmSize("65"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("DEPLOY_WARM must be a number of JVMs from 0 to 64, not \"65\"");
    assertThatThrownBy(() -> Fabric.warmSize("lots")).hasMessageContaining("\"lots\"");
  }

  @Test
  void givenWildcardToAdvertise_whenFabricMade_thenRefusedNamingIt() {
    assertThatThrownBy(
            () ->
                new Fabric(
                    key, InetAddress.getLoopbackAddress(), "0.0.0.0", 0, b -> new FakeProcess()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot give its processes the wildcard 0.0.0.0");
  }

  /** A master that grants every warm reservation and counts them; spawns are refused. */
  private static final class FakeMaster implements Scheduler {
    final AtomicInteger reserved = new AtomicInteger();
    final AtomicInteger released = new AtomicInteger();
    final List<Pid> cancelled = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public CompletableFuture<Optional<Pid>> spawn(LaunchOrder order, boolean wait) {
      return CompletableFuture.failedFuture(new LaunchException("no spawns here"));
    }

    @Override
    public void cancelWaitingOf(Pid parent) {
      cancelled.add(parent);
    }

    @Override
    public boolean reserveWarm(Launcher launcher, Resources r) {
      reserved.incrementAndGet();
      return true;
    }

    @Override
    public void releaseWarm(Launcher launcher, Resources r) {
      released.incrementAndGet();
    }

    @Override
    public CompletableFuture<ExitStatus> fate(Pid pid) {
      return CompletableFuture.completedFuture(ExitStatus.lost());
    }
  }
}
