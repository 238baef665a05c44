package dev.deploy.cluster.master;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.program.JarCache;
import dev.deploy.wire.ClientLink;
import dev.deploy.wire.Link;
import dev.deploy.wire.SpawnOutcome;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link Deployment}'s start through {@link ClusterMaster}: the program's first process placed on
 * a joined fabric (played by the test) and its events relayed to the client until Done; a start
 * that waits for room until the client kills it; a probe or launch that fails; a detached start and
 * an attach to it; a stop; a client that goes killing its processes; and a running process's
 * spawns, placed, refused or queued for room. The probe is the test's ({@code setProber}), so no
 * JVM starts.
 */
@Timeout(30)
class DeploymentPlacementTest {
  private static final Resources R = new Resources(256L << 20, 1);
  private static final Pid PID = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 0x100);

  @TempDir Path dir;
  private MasterFixture cluster;
  private LinkConnection<ClientLink> client;

  @BeforeEach
  void start() throws IOException {
    cluster = new MasterFixture(new JarCache(dir.resolve("jars")));
    cluster.master.setProber((command, env) -> R);
    client = cluster.deploy();
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  /** Joins a fabric named w1 with room for the program; returns its link once in the books. */
  private LinkConnection<WorkerLink> joinedWorker() throws IOException {
    LinkConnection<WorkerLink> w =
        cluster.join(WorkerLink.Join.of("w1", new Resources(2L << 30, 2), "127.0.0.1"));
    assertThat(w.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));
    await().until(() -> cluster.nodes().contains("w1"));
    return w;
  }

  private void deploy() throws IOException {
    client.send(
        new ClientLink.DeployRequest("app.Main", List.of("x"), List.of(), List.of(), List.of()));
    assertThat(client.read()).isEqualTo(new ClientLink.JarsWanted(List.of()));
  }

  private static <M extends Link> M next(LinkConnection<M> c) throws IOException {
    M m = c.read();
    assertThat(m).as("a message").isNotNull();
    return m;
  }

  /** The worker takes the first launch and starts it as {@link #PID}; returns the program id. */
  private static long launchOn(LinkConnection<WorkerLink> worker) throws IOException {
    WorkerLink.AddProgram add = (WorkerLink.AddProgram) next(worker);
    assertThat(add.mainClass()).isEqualTo("app.Main");
    assertThat(add.arguments()).containsExactly("x");
    WorkerLink.Launch launch = (WorkerLink.Launch) next(worker);
    assertThat(launch.program()).isEqualTo(add.program());
    assertThat(launch.resources()).isEqualTo(R);
    assertThat(launch.parent()).isNull();
    worker.send(new Link.EventOf(add.program(), new Event.Spawned(PID, null, R, null)));
    worker.send(new WorkerLink.LaunchResult(launch.order(), PID, null));
    return add.program();
  }

  private static String failure(LinkConnection<ClientLink> c) throws IOException {
    ClientLink m;
    while ((m = c.read()) instanceof Link.EventOf) {
      // Events before the failure, if any.
    }
    assertThat(m).isInstanceOf(ClientLink.Failed.class);
    return ((ClientLink.Failed) m).message();
  }

  @Test
  void givenJoinedFabric_whenDeployed_thenPlacedThereAndItsEventsReachTheClientUntilDone()
      throws Exception {
    LinkConnection<WorkerLink> worker = joinedWorker();

    deploy();
    long program = launchOn(worker);

    Event.Spawned spawned = (Event.Spawned) ((Link.EventOf) next(client)).event();
    assertThat(spawned.pid()).isEqualTo(PID);
    assertThat(spawned.node()).isEqualTo("w1");
    worker.send(new Link.EventOf(program, new Event.Eof(PID, 1)));
    worker.send(new Link.EventOf(program, new Event.Eof(PID, 2)));
    worker.send(new Link.EventOf(program, new Event.Exit(PID, ExitStatus.exited(3))));
    ClientLink m;
    while ((m = next(client)) instanceof Link.EventOf) {
      // Eofs and the exit.
    }
    assertThat(m).isEqualTo(new ClientLink.Done(3));
  }

  @Test
  void givenNoRoomAnywhere_whenDeployed_thenTheStartWaitsUntilTheClientKillsIt() throws Exception {
    deploy();
    await().until(() -> !cluster.master.master().waitingResources().isEmpty());
    assertThat(cluster.master.master().waitingResources()).containsExactly(R);

    client.send(new ClientLink.Kill());

    assertThat(failure(client)).isEqualTo("the program could not start: the deployment ended");
    await().until(() -> cluster.master.master().waitingResources().isEmpty());
  }

  @Test
  void givenAProbeThatFails_whenDeployed_thenFailedWithItsSentenceAndNothingPlaced()
      throws Exception {
    cluster.master.setProber(
        (command, env) -> {
          throw new Probe.ProbeException("app.Main ended before it called init");
        });

    deploy();

    assertThat(failure(client)).isEqualTo("app.Main ended before it called init");
    assertThat(cluster.master.master().waitingResources()).isEmpty();
  }

  @Test
  void givenTheFabricCannotStartIt_whenDeployed_thenTheProgramCouldNotStartSayingWhy()
      throws Exception {
    LinkConnection<WorkerLink> worker = joinedWorker();

    deploy();
    next(worker);
    WorkerLink.Launch launch = (WorkerLink.Launch) next(worker);
    worker.send(new WorkerLink.LaunchResult(launch.order(), null, "no java on w1"));

    assertThat(failure(client)).isEqualTo("the program could not start: no java on w1");
  }

  @Test
  void givenDetach_whenTheFirstProcessStarted_thenStartedWithItsIdAndListedAsDetached()
      throws Exception {
    LinkConnection<WorkerLink> worker = joinedWorker();
    client.send(new ClientLink.Detach());

    deploy();
    long program = launchOn(worker);

    assertThat(next(client)).isEqualTo(new ClientLink.Started(program));
    LinkConnection<ClientLink> lister = cluster.deploy();
    lister.send(new ClientLink.ListDeployments());
    List<ClientLink.Listed> listed = ((ClientLink.Deployments) next(lister)).deployments();
    assertThat(listed).hasSize(1);
    assertThat(listed.get(0).id()).isEqualTo(program);
    assertThat(listed.get(0).detached()).isTrue();
    assertThat(listed.get(0).mainClass()).isEqualTo("app.Main");
  }

  @Test
  void givenARunningDeployment_whenItsClientGoes_thenItsProcessesAreRemovedOnTheFabric()
      throws Exception {
    LinkConnection<WorkerLink> worker = joinedWorker();
    deploy();
    long program = launchOn(worker);
    next(client); // Spawned: running

    client.close();

    WorkerLink m;
    while (!((m = next(worker)) instanceof WorkerLink.RemoveProgram)) {
      // Anything before the removal.
    }
    assertThat(m).isEqualTo(new WorkerLink.RemoveProgram(program));
  }

  private static final Pid CHILD = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 0x200);
  private static final byte[] TASK = {9};

  /** A deployment whose first process runs on a joined w1; returns its program id. */
  private long running(LinkConnection<WorkerLink> worker) throws IOException {
    deploy();
    long program = launchOn(worker);
    assertThat(((Link.EventOf) next(client)).event()).isInstanceOf(Event.Spawned.class);
    return program;
  }

  /** Reads the worker's link up to the first {@code type}, which it returns. */
  private static <T extends WorkerLink> T skipTo(LinkConnection<WorkerLink> worker, Class<T> type)
      throws IOException {
    WorkerLink m;
    while (!type.isInstance(m = next(worker))) {
      // Anything before it.
    }
    return type.cast(m);
  }

  private static void exit(LinkConnection<WorkerLink> worker, long program, Pid pid, ExitStatus s)
      throws IOException {
    worker.send(new Link.EventOf(program, new Event.Eof(pid, 1)));
    worker.send(new Link.EventOf(program, new Event.Eof(pid, 2)));
    worker.send(new Link.EventOf(program, new Event.Exit(pid, s)));
  }

  @Test
  void givenARunningProcess_whenItSpawnsAndThereIsRoom_thenPlacedAndAnsweredStarted()
      throws Exception {
    LinkConnection<WorkerLink> worker = joinedWorker();
    long program = running(worker);

    worker.send(new WorkerLink.Spawn(1, program, PID, R, TASK, false));

    WorkerLink.Launch launch = skipTo(worker, WorkerLink.Launch.class);
    assertThat(launch.parent()).isEqualTo(PID);
    assertThat(launch.task()).containsExactly(TASK);
    worker.send(new Link.EventOf(program, new Event.Spawned(CHILD, PID, R, null)));
    worker.send(new WorkerLink.LaunchResult(launch.order(), CHILD, null));
    assertThat(skipTo(worker, WorkerLink.SpawnResult.class))
        .isEqualTo(new WorkerLink.SpawnResult(1, SpawnOutcome.STARTED, CHILD, null));
  }

  @Test
  void givenNoRoomLeft_whenAProcessSpawnsWithoutQueueing_thenAnsweredNoRoom() throws Exception {
    LinkConnection<WorkerLink> worker = joinedWorker();
    long program = running(worker);

    worker.send(new WorkerLink.Spawn(2, program, PID, new Resources(2L << 30, 2), TASK, false));

    assertThat(skipTo(worker, WorkerLink.SpawnResult.class))
        .isEqualTo(new WorkerLink.SpawnResult(2, SpawnOutcome.NO_ROOM, null, null));
  }

  @Test
  void givenNoRoomLeft_whenAProcessSpawnsQueueing_thenItWaitsAndIsPlacedOnceRoomFrees()
      throws Exception {
    LinkConnection<WorkerLink> worker = joinedWorker();
    long program = running(worker);
    Resources all = new Resources(2L << 30, 2);

    worker.send(new WorkerLink.Spawn(3, program, PID, all, TASK, true));
    await().until(() -> cluster.master.master().waitingResources().equals(List.of(all)));

    exit(worker, program, PID, ExitStatus.exited(0));

    WorkerLink.Launch launch = skipTo(worker, WorkerLink.Launch.class);
    assertThat(launch.resources()).isEqualTo(all);
    assertThat(cluster.master.master().waitingResources()).isEmpty();
  }

  @Test
  void givenARunningDeployment_whenStopped_thenSigtermOnItsFabricAndTheReportSaysItEnded()
      throws Exception {
    LinkConnection<WorkerLink> worker = joinedWorker();
    long program = running(worker);
    LinkConnection<ClientLink> stopper = cluster.deploy();

    stopper.send(new ClientLink.Stop(program, 5_000));

    assertThat(skipTo(worker, WorkerLink.TerminateProgram.class))
        .isEqualTo(new WorkerLink.TerminateProgram(program));
    exit(worker, program, PID, ExitStatus.killed(15));
    String report = ((ClientLink.Stopped) next(stopper)).report();
    assertThat(report)
        .startsWith("sent SIGTERM to the 1 process of deployment " + program)
        .contains("; every one ended within 5 s; exit code ");
  }

  @Test
  void givenADetachedDeployment_whenAttached_thenItsKeptEventsThenTheLiveOnesThenDone()
      throws Exception {
    LinkConnection<WorkerLink> worker = joinedWorker();
    client.send(new ClientLink.Detach());
    deploy();
    long program = launchOn(worker);
    assertThat(next(client)).isEqualTo(new ClientLink.Started(program));
    LinkConnection<ClientLink> attacher = cluster.deploy();

    attacher.send(new ClientLink.Attach(program));

    Event first = ((Link.EventOf) next(attacher)).event();
    assertThat(first).isInstanceOf(Event.Spawned.class);
    exit(worker, program, PID, ExitStatus.exited(4));
    ClientLink m;
    int events = 0;
    while ((m = next(attacher)) instanceof Link.EventOf) {
      events++;
    }
    assertThat(events).as("two Eofs and the exit").isEqualTo(3);
    assertThat(m).isEqualTo(new ClientLink.Done(4));
  }
}
