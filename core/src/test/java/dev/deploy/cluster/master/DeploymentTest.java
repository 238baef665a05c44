package dev.deploy.cluster.master;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.program.JarCache;
import dev.deploy.program.JarLimits;
import dev.deploy.program.JarRef;
import dev.deploy.wire.ClientLink;
import dev.deploy.wire.Link;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link Deployment}, one deploy client's session with the master's bridge, the client played by
 * the test over a real handshake on loopback: list, stop and attach of what the bridge holds; the
 * program's jars taken in (only those missing, once each, within the limits); and each refusal
 * before a start one sentence, while a client that speaks out of turn is dropped. (A start needs
 * the probe's JVM: the e2e tests cover it.)
 */
@Timeout(30)
class DeploymentTest {
  private static final long MAX_JAR = 1 << 20;

  @TempDir Path dir;
  private JarCache cache;
  private MasterFixture cluster;
  private LinkConnection<ClientLink> client;

  @BeforeEach
  void start() throws IOException {
    cache = new JarCache(dir.resolve("jars"), new JarLimits(MAX_JAR, 2 * MAX_JAR));
    cluster = new MasterFixture(cache);
    client = cluster.deploy();
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private static DeployRequestBuilder deploy() {
    return new DeployRequestBuilder();
  }

  /** A deploy request; by default of a good main class, no jars and no environment. */
  private static final class DeployRequestBuilder {
    String main = "app.Main";
    List<String> env = List.of();
    List<JarRef> jars = List.of();

    ClientLink.DeployRequest build() {
      return new ClientLink.DeployRequest(main, List.of(), List.of(), env, jars);
    }
  }

  private ClientLink next() throws IOException {
    ClientLink m = client.read();
    assertThat(m).as("a message from the bridge").isNotNull();
    return m;
  }

  /** The bridge ends the connection: nothing more comes. */
  private void assertEnds() {
    try {
      assertThat(client.read()).as("nothing more").isNull();
    } catch (IOException e) {
      // Ended too.
    }
  }

  private static JarRef ref(String name, byte[] content) throws Exception {
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    return new JarRef(sha, name, content.length);
  }

  private JarRef cached(String name, byte[] content) throws Exception {
    JarRef r = ref(name, content);
    Path f = dir.resolve(name);
    Files.write(f, content);
    cache.put(f, r);
    return r;
  }

  @Test
  void givenNothingDeployed_whenListed_thenAnEmptyListAndTheEnd() throws Exception {
    client.send(new ClientLink.ListDeployments());

    assertThat(next()).isEqualTo(new ClientLink.Deployments(List.of()));
    assertEnds();
  }

  @Test
  void givenUnknownDeployment_whenStopped_thenFailedNamingIt() throws Exception {
    client.send(new ClientLink.Stop(77, 1_000));

    assertThat(((ClientLink.Failed) next()).message())
        .startsWith("this bridge holds no deployment 77 (deploy list shows those it holds");
    assertEnds();
  }

  @Test
  void givenUnknownDeployment_whenAttached_thenFailedNamingIt() throws Exception {
    client.send(new ClientLink.Attach(78));

    assertThat(((ClientLink.Failed) next()).message())
        .startsWith("this bridge holds no deployment 78 ");
    assertEnds();
  }

  @Test
  void givenAKillBeforeAnyRequest_whenRead_thenTheClientIsDroppedWithoutAnAnswer() {
    client.trySend(new ClientLink.Kill());

    assertEnds();
  }

  @Test
  void givenDetachThenSomethingElseThanADeploy_whenRead_thenTheClientIsDropped() {
    client.trySend(new ClientLink.Detach());
    client.trySend(new ClientLink.Kill());

    assertEnds();
  }

  @Test
  void givenEnvironmentEntryWithoutAName_whenDeployed_thenFailedNamingTheEntry() throws Exception {
    DeployRequestBuilder r = deploy();
    r.env = List.of("A=1", "=2");
    client.send(r.build());

    assertThat(next())
        .isEqualTo(new ClientLink.Failed("the environment variable \"=2\" is not NAME=value"));
    assertEnds();
  }

  @Test
  void givenMainThatIsNoClassName_whenDeployed_thenJarsTakenThenFailedNamingIt() throws Exception {
    DeployRequestBuilder r = deploy();
    r.main = "1app.Main";
    client.send(r.build());

    assertThat(next()).isEqualTo(new ClientLink.JarsWanted(List.of()));
    assertThat(next()).isEqualTo(new ClientLink.Failed("\"1app.Main\" is not a Java class name"));
    assertEnds();
  }

  @Test
  void givenAJarOverTheLimit_whenDeployed_thenFailedBeforeAByteIsAskedFor() throws Exception {
    DeployRequestBuilder r = deploy();
    r.jars = List.of(new JarRef("ab".repeat(32), "big.jar", MAX_JAR + 1));
    client.send(r.build());

    ClientLink.Failed f = (ClientLink.Failed) next();
    assertThat(f.message()).contains("big.jar").contains("the bridge");
    assertEnds();
  }

  @Test
  void givenOneJarCachedAndOneMissingListedTwice_whenDeployed_thenOnlyTheMissingIsAskedForOnce()
      throws Exception {
    JarRef have = cached("have.jar", new byte[] {1, 2, 3});
    JarRef want = ref("want.jar", new byte[] {4, 5, 6, 7});
    DeployRequestBuilder r = deploy();
    r.main = "1bad"; // refused once the jars are in: no probe is started
    r.jars = List.of(have, want, want);
    client.send(r.build());

    assertThat(next()).isEqualTo(new ClientLink.JarsWanted(List.of(want.sha256())));
    client.send(new Link.JarChunk(want.sha256(), new byte[] {4, 5}));
    client.send(new Link.JarChunk(want.sha256(), new byte[] {6, 7}));

    assertThat(next()).isEqualTo(new ClientLink.Failed("\"1bad\" is not a Java class name"));
    assertThat(cache.get(want.sha256())).as("taken into the cache").isPresent();
  }

  @Test
  void givenBytesOfAnotherJar_whenUploading_thenTheClientIsDroppedAndNothingCached()
      throws Exception {
    JarRef want = ref("want.jar", new byte[] {4, 5, 6, 7});
    DeployRequestBuilder r = deploy();
    r.jars = List.of(want);
    client.send(r.build());
    assertThat(next()).isEqualTo(new ClientLink.JarsWanted(List.of(want.sha256())));

    client.trySend(new Link.JarChunk("cd".repeat(32), new byte[] {4, 5, 6, 7}));

    assertEnds();
    assertThat(cache.get(want.sha256())).isEmpty();
  }

  @Test
  void givenACachedJarAnnouncedWithAnotherSize_whenDeployed_thenFailedSayingItsSizeIsWrong()
      throws Exception {
    JarRef have = cached("have.jar", new byte[] {1, 2, 3});
    DeployRequestBuilder r = deploy();
    r.jars = List.of(new JarRef(have.sha256(), "have.jar", 30));
    client.send(r.build());

    assertThat(next()).isEqualTo(new ClientLink.JarsWanted(List.of()));
    assertThat(next())
        .isEqualTo(
            new ClientLink.Failed(
                "have.jar is said to have 30 bytes, but its content has another size"));
    assertEnds();
  }

  @Test
  void givenAClientThatCloses_whenItHadAskedNothing_thenTheBridgeListsNoDeployment()
      throws Exception {
    client.close();
    LinkConnection<ClientLink> other = cluster.deploy();

    other.send(new ClientLink.ListDeployments());

    assertThat(other.read()).isEqualTo(new ClientLink.Deployments(List.of()));
  }
}
