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
 * that waits for room until the client kills it; a probe or launch that fails; a detached start; a
 * client that goes killing its processes. The probe is the test's ({@code setProber}), so no JVM
 * starts.
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
}
