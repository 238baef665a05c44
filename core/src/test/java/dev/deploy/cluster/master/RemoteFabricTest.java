package dev.deploy.cluster.master;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventSink;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.cluster.link.LinkPairs;
import dev.deploy.master.LaunchException;
import dev.deploy.master.LaunchOrder;
import dev.deploy.master.Launched;
import dev.deploy.master.Master;
import dev.deploy.security.ClusterKey;
import dev.deploy.testing.RecordingSink;
import dev.deploy.wire.Link;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link RemoteFabric} serving a joined worker's link while the test plays the worker on the other
 * end of a loopback link: launches and their results, the program told once, fates, and what the
 * link's loss does to the processes, launches and launches pending there.
 */
@Timeout(20)
class RemoteFabricTest {
  private static final long PROGRAM = 0x61;
  private static final Resources CAPACITY = new Resources(4L << 30, 4);
  private static final Resources R = new Resources(256L << 20, 1);
  private static final Pid P1 = Pid.of(new byte[] {10, 0, 0, 2}, 40_000, 0x100);
  private static final Pid P2 = Pid.of(new byte[] {10, 0, 0, 2}, 40_000, 0x200);

  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private final RecordingSink sink = new RecordingSink();
  private final FakePrograms programs = new FakePrograms();
  private final Master master = new Master(List.of());
  private LinkPairs.Pair<WorkerLink, WorkerLink> pair;
  private LinkConnection<WorkerLink> worker;
  private RemoteFabric remote;
  private CompletableFuture<String> served;

  @BeforeEach
  void join() throws IOException {
    pair = LinkPairs.of(WorkerLink::decode, WorkerLink::decode);
    worker = pair.right();
    remote = new RemoteFabric("w1", ClusterKey.generate(), programs, timers);
    served =
        CompletableFuture.supplyAsync(
            () -> remote.serveJoined(pair.left(), master, CAPACITY),
            dev.deploy.testing.TestThreads.POOL);
    await().until(() -> master.nodeViews().size() == 1);
  }

  @AfterEach
  void close() {
    remote.close();
    pair.close();
    master.close();
    timers.shutdownNow();
  }

  private WorkerLink next() throws IOException {
    WorkerLink m = worker.read();
    assertThat(m).as("a message from the master").isNotNull();
    return m;
  }

  /** Launches on the worker and answers as a worker does: Spawned, then the result. */
  private CompletableFuture<Launched> launched(Pid pid) throws IOException {
    CompletableFuture<Launched> f = remote.launch(new LaunchOrder(PROGRAM, null, R, null));
    WorkerLink m = next();
    if (m instanceof WorkerLink.AddProgram) {
      m = next();
    }
    WorkerLink.Launch l = (WorkerLink.Launch) m;
    worker.send(new Link.EventOf(PROGRAM, new Event.Spawned(pid, null, R, null)));
    worker.send(new WorkerLink.LaunchResult(l.order(), pid, null));
    return f;
  }

  private static String failureOf(CompletableFuture<?> f) throws Exception {
    try {
      f.get(10, TimeUnit.SECONDS);
      throw new AssertionError("did not fail");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(LaunchException.class);
      return e.getCause().getMessage();
    }
  }

  @Test
  void givenJoinedWorker_whenTwoLaunchesOfAProgram_thenItIsToldOnceBeforeTheFirst()
      throws Exception {
    CompletableFuture<Launched> a =
        remote.launch(new LaunchOrder(PROGRAM, null, R, new byte[] {1}));
    CompletableFuture<Launched> b = remote.launch(new LaunchOrder(PROGRAM, P1, R, new byte[] {2}));

    assertThat(next()).isInstanceOf(WorkerLink.AddProgram.class);
    WorkerLink.Launch first = (WorkerLink.Launch) next();
    WorkerLink.Launch second = (WorkerLink.Launch) next();
    assertThat(first.task()).containsExactly(1);
    assertThat(second.parent()).isEqualTo(P1);
    assertThat(first.order()).isNotEqualTo(second.order());
    assertThat(a).isNotDone();
    assertThat(b).isNotDone();
  }

  @Test
  void givenProgramOutputPaused_whenFirstLaunch_thenThePauseFollowsTheProgram() throws Exception {
    programs.paused = true;

    remote.launch(new LaunchOrder(PROGRAM, null, R, null));

    assertThat(next()).isInstanceOf(WorkerLink.AddProgram.class);
    assertThat(next()).isEqualTo(new WorkerLink.PauseOutput(PROGRAM, true));
    assertThat(next()).isInstanceOf(WorkerLink.Launch.class);
  }

  @Test
  void givenEndedDeployment_whenLaunch_thenFailsWithoutTellingTheWorker() throws Exception {
    programs.ended = true;

    assertThat(failureOf(remote.launch(new LaunchOrder(PROGRAM, null, R, null))))
        .isEqualTo("the deployment has ended");
  }

  @Test
  void givenSpawnedThenResult_whenTheWorkerAnswers_thenLaunchedWithThePidAndEventsMarkedWithNode()
      throws Exception {
    Launched l = launched(P1).get(10, TimeUnit.SECONDS);

    assertThat(l.pid()).isEqualTo(P1);
    assertThat(sink.events()).containsExactly(new Event.Spawned(P1, null, R, "w1"));
    assertThat(l.exit()).isNotDone();
    assertThat(remote.fate(P1)).isSameAs(l.exit());
  }

  @Test
  void givenRunningProcess_whenItsExitArrives_thenItsExitFutureCompletes() throws Exception {
    Launched l = launched(P1).get(10, TimeUnit.SECONDS);

    worker.send(new Link.EventOf(PROGRAM, new Event.Exit(P1, ExitStatus.exited(3))));

    assertThat(l.exit().get(10, TimeUnit.SECONDS)).isEqualTo(ExitStatus.exited(3));
  }

  @Test
  void givenProcessThatEndedBeforeItsResultCame_whenResultArrives_thenLaunchedWithItsExit()
      throws Exception {
    CompletableFuture<Launched> f = remote.launch(new LaunchOrder(PROGRAM, null, R, null));
    next();
    WorkerLink.Launch l = (WorkerLink.Launch) next();
    worker.send(new Link.EventOf(PROGRAM, new Event.Spawned(P1, null, R, null)));
    worker.send(new Link.EventOf(PROGRAM, new Event.Exit(P1, ExitStatus.exited(0))));

    worker.send(new WorkerLink.LaunchResult(l.order(), P1, null));

    assertThat(f.get(10, TimeUnit.SECONDS).exit().get(10, TimeUnit.SECONDS))
        .isEqualTo(ExitStatus.exited(0));
  }

  @Test
  void givenWorkerCouldNotStartIt_whenResultArrives_thenLaunchFailsWithTheWorkersReason()
      throws Exception {
    CompletableFuture<Launched> f = remote.launch(new LaunchOrder(PROGRAM, null, R, null));
    next();
    WorkerLink.Launch l = (WorkerLink.Launch) next();

    worker.send(new WorkerLink.LaunchResult(l.order(), null, "cannot start java"));

    assertThat(failureOf(f)).isEqualTo("cannot start java");
  }

  @Test
  void givenResultNamingAPidNeverSpawned_whenItArrives_thenLaunchFailsAsLost() throws Exception {
    CompletableFuture<Launched> f = remote.launch(new LaunchOrder(PROGRAM, null, R, null));
    next();
    WorkerLink.Launch l = (WorkerLink.Launch) next();

    worker.send(new WorkerLink.LaunchResult(l.order(), P2, null));

    assertThat(failureOf(f)).isEqualTo("the worker w1 lost the process");
  }

  @Test
  void givenPidNotRunningHere_whenFateAsked_thenTheWorkerIsAskedAndItsAnswerReturned()
      throws Exception {
    CompletableFuture<ExitStatus> fate = remote.fate(P2);

    WorkerLink.Fate q = (WorkerLink.Fate) next();
    assertThat(q.pid()).isEqualTo(P2);
    worker.send(new WorkerLink.FateAnswer(q.request(), ExitStatus.killed(9)));

    assertThat(fate.get(10, TimeUnit.SECONDS)).isEqualTo(ExitStatus.killed(9));
  }

  /**
   * A clean exit the master saw is asked of the worker again for a process that asks: only the
   * worker's fabric knows whom it left values unacknowledged. Any other end is answered at once.
   */
  @Test
  void givenCleanExit_whenFateAskedForAProcess_thenTheWorkerIsAskedNamingTheAsker()
      throws Exception {
    launched(P1).get(10, TimeUnit.SECONDS);
    CompletableFuture<ExitStatus> fate = remote.fate(P1, P2);

    worker.send(new Link.EventOf(PROGRAM, new Event.Exit(P1, ExitStatus.exited(0))));

    WorkerLink.Fate q = (WorkerLink.Fate) next();
    assertThat(q.pid()).isEqualTo(P1);
    assertThat(q.asker()).isEqualTo(P2);
    worker.send(new WorkerLink.FateAnswer(q.request(), ExitStatus.lost()));
    assertThat(fate.get(10, TimeUnit.SECONDS)).isEqualTo(ExitStatus.lost());
  }

  @Test
  void givenKilledProcess_whenFateAskedForAProcess_thenAnsweredWithoutTheWorker() throws Exception {
    launched(P1).get(10, TimeUnit.SECONDS);
    CompletableFuture<ExitStatus> fate = remote.fate(P1, P2);

    worker.send(new Link.EventOf(PROGRAM, new Event.Exit(P1, ExitStatus.killed(9))));

    assertThat(fate.get(10, TimeUnit.SECONDS)).isEqualTo(ExitStatus.killed(9));
  }

  @Test
  void givenRunningPendingAndLaunching_whenTheLinkIsLost_thenAllAreLostAndTheNodeLeavesTheBooks()
      throws Exception {
    Launched running = launched(P1).get(10, TimeUnit.SECONDS);
    worker.send(new Link.EventOf(PROGRAM, new Event.Eof(P1, 1)));
    worker.send(new WorkerLink.Pending(PROGRAM));
    CompletableFuture<Launched> launching = remote.launch(new LaunchOrder(PROGRAM, null, R, null));
    next(); // its Launch
    CompletableFuture<ExitStatus> fate = remote.fate(P2);
    next(); // its Fate
    await().until(() -> sink.pending() == 1);

    worker.close();

    assertThat(running.exit().get(10, TimeUnit.SECONDS)).isEqualTo(ExitStatus.lost());
    assertThat(failureOf(launching)).isEqualTo("the machine w1 was lost");
    assertThat(fate.get(10, TimeUnit.SECONDS)).isEqualTo(ExitStatus.lost());
    assertThat(served.get(10, TimeUnit.SECONDS)).isEqualTo("it closed the link");
    assertThat(sink.pending()).as("the pending launch settled").isZero();
    List<Event> events = sink.events();
    assertThat(events.subList(events.size() - 2, events.size()))
        .as("fd 1 had ended; fd 2 is ended for it, then the exit")
        .containsExactly(new Event.Eof(P1, 2), new Event.Exit(P1, ExitStatus.lost()));
    assertThat(master.nodeViews()).isEmpty();
    assertThat(failureOf(remote.launch(new LaunchOrder(PROGRAM, null, R, null))))
        .isEqualTo("the machine w1 is not reachable");
    assertThat(remote.fate(P1).getNow(null)).isEqualTo(ExitStatus.lost());
  }

  @Test
  void givenWorkerSendsWhatOnlyAMasterSends_whenRead_thenTheLinkEndsSayingSo() throws Exception {
    worker.send(new WorkerLink.DropWarm());

    assertThat(served.get(10, TimeUnit.SECONDS))
        .isEqualTo("it sent a malformed message (a DropWarm, which a worker never sends)");
  }

  @Test
  void givenWorkerAsksForWarmRoom_whenItFits_thenGrantedAndHeldInTheBooks() throws Exception {
    worker.send(new WorkerLink.ReserveWarm(5, R));
    assertThat(next()).isEqualTo(new WorkerLink.WarmAnswer(5, true));

    worker.send(new WorkerLink.ReserveWarm(6, new Resources(64L << 30, 1)));
    assertThat(next())
        .as("more than the machine has")
        .isEqualTo(new WorkerLink.WarmAnswer(6, false));
  }

  @Test
  void givenLaunchedProgram_whenRemoved_thenTheWorkerIsToldAndNotForUnknownOnes() throws Exception {
    launched(P1).get(10, TimeUnit.SECONDS);

    remote.removeProgram(0x999);
    remote.removeProgram(PROGRAM);

    assertThat(next()).isEqualTo(new WorkerLink.RemoveProgram(PROGRAM));
  }

  @Test
  void givenNeverServed_whenLaunchOrFate_thenNotReachableAndLost() throws Exception {
    RemoteFabric idle = new RemoteFabric("w2", ClusterKey.generate(), programs, timers);

    assertThat(failureOf(idle.launch(new LaunchOrder(PROGRAM, null, R, null))))
        .isEqualTo("the machine w2 is not reachable");
    assertThat(idle.fate(P1).getNow(null)).isEqualTo(ExitStatus.lost());
    idle.close();
  }

  /** The master's programs: one, whose events go to {@link #sink}. */
  private final class FakePrograms implements RemoteFabric.Programs {
    volatile boolean paused;
    volatile boolean ended;

    @Override
    public WorkerLink.AddProgram spec(long program) {
      return ended
          ? null
          : new WorkerLink.AddProgram(program, "Main", List.of(), List.of(), List.of(), List.of());
    }

    @Override
    public EventSink sink(long program) {
      return program == PROGRAM ? sink : null;
    }

    @Override
    public Optional<Path> jar(String sha256) {
      return Optional.empty();
    }

    @Override
    public boolean outputPaused(long program) {
      return paused;
    }
  }
}
