package dev.deploy.cluster.worker;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.cluster.link.LinkPairs;
import dev.deploy.fabric.Fabric;
import dev.deploy.master.LaunchException;
import dev.deploy.master.LaunchOrder;
import dev.deploy.program.JarCache;
import dev.deploy.program.JarRef;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.Sha256;
import dev.deploy.wire.Link;
import dev.deploy.wire.SpawnOutcome;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MasterSession} serving one end of a loopback link while the test plays the master on the
 * other: the master's orders that start no JVM, the jars it fetches, and its requests to the master
 * (spawns, warm room, fates) matched to their answers. The fabric is real but never starts a JVM.
 */
@Timeout(20)
class MasterSessionTest {
  private static final Resources R = new Resources(256L << 20, 1);
  private static final Pid P1 = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 0x100);
  private static final Pid P2 = Pid.of(new byte[] {127, 0, 0, 1}, 40_001, 0x200);
  private static final LaunchOrder ORDER = new LaunchOrder(0x71, P1, R, new byte[] {1});

  @TempDir Path dir;

  private LinkPairs.Pair<WorkerLink, WorkerLink> pair;
  private LinkConnection<WorkerLink> master;
  private Fabric fabric;
  private MasterSession session;
  private CompletableFuture<Void> running;

  @BeforeEach
  void serve() throws IOException {
    pair = LinkPairs.of(WorkerLink::decode, WorkerLink::decode);
    master = pair.right();
    fabric = new Fabric(ClusterKey.generate(), InetAddress.getLoopbackAddress(), 0);
    session = new MasterSession(pair.left(), fabric, new JarCache(dir.resolve("cache")));
    running = CompletableFuture.runAsync(session, dev.deploy.testing.TestThreads.POOL);
  }

  @AfterEach
  void close() {
    session.end();
    pair.close();
    fabric.close();
  }

  /** The worker's next message; fails after 10 s instead of blocking in the read for good. */
  private WorkerLink next() throws Exception {
    WorkerLink m =
        CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return master.read();
                  } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                },
                dev.deploy.testing.TestThreads.POOL)
            .get(10, TimeUnit.SECONDS);
    assertThat(m).as("a message from the worker").isNotNull();
    return m;
  }

  @Test
  void givenThreeSpawns_whenMasterAnswersOutOfOrder_thenEachGetsStartedNoRoomOrFailure()
      throws Exception {
    CompletableFuture<Optional<Pid>> started = session.spawn(ORDER, false);
    CompletableFuture<Optional<Pid>> noRoom = session.spawn(ORDER, false);
    CompletableFuture<Optional<Pid>> failed = session.spawn(ORDER, true);
    WorkerLink.Spawn a = (WorkerLink.Spawn) next();
    WorkerLink.Spawn b = (WorkerLink.Spawn) next();
    WorkerLink.Spawn c = (WorkerLink.Spawn) next();
    assertThat(c.queue()).isTrue();
    assertThat(a.parent()).isEqualTo(P1);

    master.send(new WorkerLink.SpawnResult(c.request(), SpawnOutcome.FAILED, null, "bad"));
    master.send(new WorkerLink.SpawnResult(b.request(), SpawnOutcome.NO_ROOM, null, null));
    master.send(new WorkerLink.SpawnResult(a.request(), SpawnOutcome.STARTED, P1, null));

    assertThat(started.get(10, TimeUnit.SECONDS)).contains(P1);
    assertThat(noRoom.get(10, TimeUnit.SECONDS)).isEmpty();
    assertThat(failed)
        .failsWithin(10, TimeUnit.SECONDS)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(LaunchException.class)
        .withMessageContaining("bad");
  }

  @Test
  void givenWarmRoomAsked_whenMasterGrantsThenRefuses_thenTrueThenFalse() throws Exception {
    CompletableFuture<Boolean> granted =
        CompletableFuture.supplyAsync(
            () -> session.reserveWarm(fabric, R), dev.deploy.testing.TestThreads.POOL);
    WorkerLink.ReserveWarm q = (WorkerLink.ReserveWarm) next();
    assertThat(q.resources()).isEqualTo(R);
    master.send(new WorkerLink.WarmAnswer(q.request(), true));
    assertThat(granted.get(10, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Boolean> refused =
        CompletableFuture.supplyAsync(
            () -> session.reserveWarm(fabric, R), dev.deploy.testing.TestThreads.POOL);
    master.send(new WorkerLink.WarmAnswer(((WorkerLink.ReserveWarm) next()).request(), false));
    assertThat(refused.get(10, TimeUnit.SECONDS)).isFalse();
  }

  @Test
  void givenFateAsked_whenMasterAnswers_thenItsStatus() throws Exception {
    CompletableFuture<ExitStatus> fate = session.fate(P1);
    WorkerLink.Fate q = (WorkerLink.Fate) next();

    master.send(new WorkerLink.FateAnswer(q.request(), ExitStatus.exited(2)));

    assertThat(fate.get(10, TimeUnit.SECONDS)).isEqualTo(ExitStatus.exited(2));
  }

  @Test
  void givenFateAskedForAProcess_whenSent_thenTheQuestionNamesTheAsker() throws Exception {
    CompletableFuture<ExitStatus> fate = session.fate(P1, P2);
    WorkerLink.Fate q = (WorkerLink.Fate) next();

    assertThat(q.pid()).isEqualTo(P1);
    assertThat(q.asker()).isEqualTo(P2);
    master.send(new WorkerLink.FateAnswer(q.request(), ExitStatus.lost()));
    assertThat(fate.get(10, TimeUnit.SECONDS)).isEqualTo(ExitStatus.lost());
  }

  @Test
  void givenQuestionsWaiting_whenTheLinkEnds_thenTheyFailAndLaterOnesFailAtOnce() throws Exception {
    CompletableFuture<Optional<Pid>> spawn = session.spawn(ORDER, false);
    CompletableFuture<ExitStatus> fate = session.fate(P1);
    next();
    next();

    master.close();
    running.get(10, TimeUnit.SECONDS);

    assertThat(spawn)
        .failsWithin(10, TimeUnit.SECONDS)
        .withThrowableOfType(ExecutionException.class)
        .withMessageContaining("the link to the master ended");
    assertThat(fate.get(10, TimeUnit.SECONDS)).isEqualTo(ExitStatus.lost());
    assertThat(session.spawn(ORDER, false)).isCompletedExceptionally();
    assertThat(session.fate(P1).getNow(null)).isEqualTo(ExitStatus.lost());
    assertThat(session.reserveWarm(fabric, R)).isFalse();
    assertThat(session.retired()).isFalse();
  }

  @Test
  void givenLaunchOfAProgramNeverAdded_whenRead_thenTheResultSaysSo() throws Exception {
    master.send(new WorkerLink.Launch(9, 0x72, null, R, null));

    assertThat(next())
        .isEqualTo(new WorkerLink.LaunchResult(9, null, "this machine was not given program 114"));
  }

  @Test
  void givenFateOfAPidThisMachineNeverRan_whenMasterAsks_thenLost() throws Exception {
    master.send(new WorkerLink.Fate(4, P1));

    assertThat(next()).isEqualTo(new WorkerLink.FateAnswer(4, ExitStatus.lost()));
  }

  @Test
  void givenRetire_whenRead_thenTheSessionEndsRetiredAndClosesTheLink() throws Exception {
    master.send(new WorkerLink.Retire());

    running.get(10, TimeUnit.SECONDS);
    assertThat(session.retired()).isTrue();
    assertThat(master.read()).isNull();
  }

  @Test
  void givenMessageOnlyAWorkerSends_whenRead_thenTheLinkIsDropped() throws Exception {
    master.send(new WorkerLink.Pending(1));

    running.get(10, TimeUnit.SECONDS);
    assertThat(session.retired()).isFalse();
    assertThat(master.read()).isNull();
  }

  @Test
  void givenJarBytesNobodyAskedFor_whenRead_thenTheLinkIsDropped() throws Exception {
    master.send(new Link.JarChunk("a".repeat(64), new byte[] {1}));

    running.get(10, TimeUnit.SECONDS);
    assertThat(master.read()).isNull();
  }

  @Test
  void givenProgramWhoseJarIsNotCached_whenAdded_thenItIsFetchedThenTheFabricRunsTheProgram()
      throws Exception {
    byte[] jar = "not really a jar".getBytes(StandardCharsets.UTF_8);
    String sha = HexFormat.of().formatHex(Sha256.digest(jar));
    master.send(
        new WorkerLink.AddProgram(
            0x73,
            "Main",
            List.of(),
            List.of(),
            List.of(),
            List.of(new JarRef(sha, "app.jar", jar.length))));

    assertThat(next()).isEqualTo(new WorkerLink.JarWanted(sha));
    assertThat(session.jarsInUse()).contains(sha);
    assertThat(fabric.hasProgram(0x73)).as("not before its jar is here").isFalse();
    master.send(new Link.JarChunk(sha, jar));
    await().until(() -> fabric.hasProgram(0x73));

    master.send(new WorkerLink.RemoveProgram(0x73));
    await().until(() -> !fabric.hasProgram(0x73));
    assertThat(session.jarsInUse()).doesNotContain(sha);
  }

  @Test
  void givenProgramAdded_whenSessionEnds_thenTheFabricDropsIt() throws Exception {
    master.send(
        new WorkerLink.AddProgram(0x74, "Main", List.of(), List.of(), List.of(), List.of()));
    await().until(() -> fabric.hasProgram(0x74));

    session.end();

    assertThat(fabric.hasProgram(0x74)).isFalse();
  }

  @Test
  void givenFabricNotices_whenSent_thenTheMasterHearsCancelAndRelease() throws Exception {
    session.cancelWaitingOf(P1);
    session.releaseWarm(fabric, R);

    assertThat(next()).isEqualTo(new WorkerLink.CancelWaiting(P1));
    assertThat(next()).isEqualTo(new WorkerLink.ReleaseWarm(R));
  }
}
