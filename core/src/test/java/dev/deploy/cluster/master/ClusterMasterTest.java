package dev.deploy.cluster.master;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Resources;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.master.Master;
import dev.deploy.program.JarCache;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ClusterMaster} taking in fabrics that join, each played by the test over a real handshake
 * on loopback: a joined fabric is in the books for as long as its link lasts; a name in use (the
 * master's own, a static worker's, a joined one's) is refused, saying so; a link that does not
 * start with a Join is dropped.
 */
@Timeout(30)
class ClusterMasterTest {
  private static final Resources CAPACITY = new Resources(2L << 30, 2);
  private static final String STATIC_NAME =
      MasterFixture.STATIC_WORKER.getHostString() + ":" + MasterFixture.STATIC_WORKER.getPort();

  @TempDir Path dir;
  private MasterFixture cluster;

  @BeforeEach
  void start() throws IOException {
    cluster = new MasterFixture(new JarCache(dir.resolve("jars")));
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private static WorkerLink.Join named(String name) {
    return WorkerLink.Join.of(name, CAPACITY, "127.0.0.1");
  }

  private static String inUse(String name) {
    return "the name "
        + name
        + " is in use by another node of this cluster; give this fabric another --name";
  }

  /** Reads the rest of a refused link: it must end. */
  private static void assertEnds(LinkConnection<WorkerLink> c) {
    try {
      assertThat(c.read()).as("nothing after the answer").isNull();
    } catch (IOException e) {
      // Ended too.
    }
  }

  @Test
  void givenFabricJoins_whenAccepted_thenInTheBooksWithItsCapacityUntilItsLinkEnds()
      throws Exception {
    LinkConnection<WorkerLink> w1 = cluster.join(named("w1"));

    assertThat(w1.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));
    await().until(() -> cluster.nodes().contains("w1"));
    Master.NodeView view =
        cluster.master.master().nodeViews().stream()
            .filter(v -> v.name().equals("w1"))
            .findFirst()
            .orElseThrow();
    assertThat(view.capacity()).isEqualTo(CAPACITY);

    w1.close();

    await().until(() -> !cluster.nodes().contains("w1"));
  }

  @Test
  void givenTheMastersOwnName_whenAFabricJoinsWithIt_thenRefusedSayingSo() throws Exception {
    LinkConnection<WorkerLink> c = cluster.join(named(ClusterMaster.OWN_NODE));

    assertThat(c.read()).isEqualTo(new WorkerLink.JoinAnswer(false, inUse("master")));
    assertEnds(c);
  }

  @Test
  void givenAStaticWorkersName_whenAFabricJoinsWithIt_thenRefusedAndTheStaticWorkerStays()
      throws Exception {
    LinkConnection<WorkerLink> c = cluster.join(named(STATIC_NAME));

    assertThat(c.read()).isEqualTo(new WorkerLink.JoinAnswer(false, inUse(STATIC_NAME)));
    assertEnds(c);
  }

  @Test
  void givenJoinedFabric_whenAnotherJoinsWithItsName_thenRefusedUntilTheFirstsLinkEnds()
      throws Exception {
    LinkConnection<WorkerLink> first = cluster.join(named("w1"));
    assertThat(first.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));

    LinkConnection<WorkerLink> second = cluster.join(named("w1"));
    assertThat(second.read()).isEqualTo(new WorkerLink.JoinAnswer(false, inUse("w1")));
    assertEnds(second);
    assertThat(cluster.nodes()).containsOnlyOnce("w1");

    first.close();
    await().until(() -> !cluster.nodes().contains("w1"));
    LinkConnection<WorkerLink> third = cluster.join(named("w1"));
    assertThat(third.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));
    await().until(() -> cluster.nodes().contains("w1"));
  }

  @Test
  void givenTwoFabricsJoined_whenOneLinkEnds_thenOnlyItLeavesTheBooks() throws Exception {
    LinkConnection<WorkerLink> w1 = cluster.join(named("w1"));
    LinkConnection<WorkerLink> w2 = cluster.join(named("w2"));
    assertThat(w1.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));
    assertThat(w2.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));
    await().until(() -> cluster.nodes().containsAll(java.util.List.of("w1", "w2")));

    w2.close();

    await().until(() -> !cluster.nodes().contains("w2"));
    assertThat(cluster.nodes()).contains("w1");
  }

  @Test
  void givenALinkThatStartsWithSomethingElse_whenJoining_thenDroppedAndNotInTheBooks()
      throws Exception {
    LinkConnection<WorkerLink> c = cluster.join(new WorkerLink.Retire());

    assertEnds(c);
    assertThat(cluster.nodes()).as("the static worker is unreachable: out of the books").isEmpty();
  }

  @Test
  void givenAJoinedFabric_whenTheMasterCloses_thenItsLinkEnds() throws Exception {
    LinkConnection<WorkerLink> w1 = cluster.join(named("w1"));
    assertThat(w1.read()).isEqualTo(new WorkerLink.JoinAnswer(true, null));

    cluster.master.close();

    assertEnds(w1);
  }
}
