package dev.deploy.cluster.client;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventFormat;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.cluster.link.LinkPairs;
import dev.deploy.wire.ClientLink;
import dev.deploy.wire.Link;
import dev.deploy.wire.WorkerLink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DeployClient}'s session with a bridge, which the test plays over a loopback link without
 * handshake: the deploy request and the jars the bridge wants, the events and the exit code, a
 * detached start, list and stop, and a bridge that refuses, disconnects or sends garbage, each one
 * sentence naming the bridge.
 */
@Timeout(20)
class DeployClientTest {
  private static final InetSocketAddress BRIDGE = InetSocketAddress.createUnresolved("b1", 7000);
  private static final Resources R = new Resources(128L << 20, 1);
  private static final Pid PID = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 0x100);

  @TempDir Path dir;

  private final ExecutorService runner = Executors.newSingleThreadExecutor();
  private final RecordingFormat format = new RecordingFormat();
  private LinkPairs.Pair<ClientLink, ClientLink> pair;
  private LinkConnection<ClientLink> bridge;
  private DeployClient client;

  /** Records what the client's bridge prints. */
  private static final class RecordingFormat implements EventFormat {
    final List<Event> written = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void write(Event event) {
      written.add(event);
    }

    @Override
    public void flush() {}
  }

  @BeforeEach
  void connect() throws IOException {
    pair = LinkPairs.of(ClientLink::decode, ClientLink::decode);
    bridge = pair.right();
    client = new DeployClient(format, null, false, at -> pair.left());
  }

  @AfterEach
  void close() {
    pair.close();
    runner.shutdownNow();
  }

  private DeployClient.Request request(Path classPath, String main) {
    return new DeployClient.Request(
        BRIDGE, classPath.toString(), main, List.of("a1"), List.of("-Xss1m"), List.of("K=V"));
  }

  /** A jar of {@code size} bytes or more with a manifest naming {@code main}. */
  private Path jar(String name, String main, int size) throws IOException {
    Path jar = dir.resolve(name);
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, main);
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
      JarEntry e = new JarEntry("data.bin");
      e.setMethod(JarEntry.STORED);
      byte[] data = new byte[size];
      new java.util.Random(1).nextBytes(data);
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      crc.update(data);
      e.setSize(size);
      e.setCompressedSize(size);
      e.setCrc(crc.getValue());
      out.putNextEntry(e);
      out.write(data);
      out.closeEntry();
    }
    return jar;
  }

  private ClientLink next() throws IOException {
    ClientLink m = bridge.read();
    assertThat(m).as("a message from the client").isNotNull();
    return m;
  }

  /** Returns the failure's sentence of {@code f}, which must fail with a DeployFailure. */
  private static String failureOf(CompletableFuture<?> f) throws Exception {
    try {
      f.get(10, TimeUnit.SECONDS);
      throw new AssertionError("did not fail");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(DeployClient.DeployFailure.class);
      return e.getCause().getMessage();
    }
  }

  private <T> CompletableFuture<T> async(Call<T> call) {
    CompletableFuture<T> f = new CompletableFuture<>();
    runner.execute(
        () -> {
          try {
            f.complete(call.run());
          } catch (Throwable t) {
            f.completeExceptionally(t);
          }
        });
    return f;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private interface Call<T> {
    T run() throws Exception;
  }

  @Test
  void givenBridgeWantsTheJar_whenRun_thenItGetsItsBytesAndTheClientPrintsEventsAndReturnsTheCode()
      throws Exception {
    Path jar = jar("app.jar", "app.Main", (2 << 20) + 5);
    CompletableFuture<Integer> code = async(() -> client.run(request(jar, null)));

    ClientLink.DeployRequest req = (ClientLink.DeployRequest) next();
    assertThat(req.mainClass()).isNull();
    assertThat(req.arguments()).containsExactly("a1");
    assertThat(req.options()).containsExactly("-Xss1m");
    assertThat(req.environment()).containsExactly("K=V");
    assertThat(req.jars()).hasSize(1);
    String sha = req.jars().get(0).sha256();
    long size = req.jars().get(0).size();
    bridge.send(new ClientLink.JarsWanted(List.of(sha)));
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    int chunks = 0;
    while (got.size() < size) {
      Link.JarChunk c = (Link.JarChunk) next();
      assertThat(c.sha256()).isEqualTo(sha);
      assertThat(c.data().length).isLessThanOrEqualTo(Link.JAR_CHUNK);
      got.write(c.data());
      chunks++;
    }
    assertThat(got.toByteArray()).isEqualTo(Files.readAllBytes(jar));
    assertThat(chunks).isEqualTo(3);
    Event spawned = new Event.Spawned(PID, null, R, "master");
    Event output = new Event.Output(PID, 1, utf8("hi\n"));
    bridge.send(new Link.EventOf(0, spawned));
    bridge.send(new Link.EventOf(0, output));
    bridge.sendLast(new ClientLink.Done(7));

    assertThat(code.get(10, TimeUnit.SECONDS)).isEqualTo(7);
    assertThat(client.sentBytes()).isEqualTo(size);
    assertThat(format.written).hasSize(2).first().isEqualTo(spawned);
    assertThat(((Event.Output) format.written.get(1)).data()).isEqualTo(utf8("hi\n"));
  }

  @Test
  void givenBridgeHasEveryJar_whenRun_thenNoByteIsSent() throws Exception {
    Path jar = jar("app.jar", "app.Main", 100);
    CompletableFuture<Integer> code = async(() -> client.run(request(jar, "app.Other")));

    assertThat(((ClientLink.DeployRequest) next()).mainClass()).isEqualTo("app.Other");
    bridge.send(new ClientLink.JarsWanted(List.of()));
    bridge.sendLast(new ClientLink.Done(0));

    assertThat(code.get(10, TimeUnit.SECONDS)).isZero();
    assertThat(client.sentBytes()).isZero();
  }

  @Test
  void givenBridgeAsksForAJarTheProgramLacks_whenRun_thenGarbageNamingTheBridge() throws Exception {
    Path jar = jar("app.jar", "app.Main", 100);
    CompletableFuture<Integer> code = async(() -> client.run(request(jar, null)));

    next();
    bridge.send(new ClientLink.JarsWanted(List.of("ab".repeat(32))));

    assertThat(failureOf(code))
        .isEqualTo(
            "the bridge at b1:7000 sent garbage: it asked for a jar this program does not have");
  }

  @Test
  void givenBridgeRefusesTheProgram_whenRun_thenItsSentenceIsTheFailure() throws Exception {
    Path jar = jar("app.jar", "app.Main", 100);
    CompletableFuture<Integer> code = async(() -> client.run(request(jar, null)));

    next();
    bridge.sendLast(new ClientLink.Failed("\"1x\" is not a Java class name"));

    assertThat(failureOf(code)).isEqualTo("\"1x\" is not a Java class name");
  }

  @Test
  void givenProgramStartFails_whenRunning_thenTheFailedSentenceIsTheFailure() throws Exception {
    Path jar = jar("app.jar", "app.Main", 100);
    CompletableFuture<Integer> code = async(() -> client.run(request(jar, null)));

    next();
    bridge.send(new ClientLink.JarsWanted(List.of()));
    bridge.sendLast(new ClientLink.Failed("the program could not start: no room"));

    assertThat(failureOf(code)).isEqualTo("the program could not start: no room");
  }

  @Test
  void givenBridgeClosesBeforeTheEnd_whenRunning_thenLostTheConnectionNamingTheBridge()
      throws Exception {
    Path jar = jar("app.jar", "app.Main", 100);
    CompletableFuture<Integer> code = async(() -> client.run(request(jar, null)));

    next();
    bridge.send(new ClientLink.JarsWanted(List.of()));
    bridge.send(new Link.EventOf(0, new Event.Spawned(PID, null, R, "master")));
    bridge.close();

    assertThat(failureOf(code)).isEqualTo("lost the connection to the bridge at b1:7000");
  }

  @Test
  void givenDetach_whenTheFirstProcessStarted_thenReturnsTheDeploymentsId() throws Exception {
    Path jar = jar("app.jar", "app.Main", 100);
    CompletableFuture<Long> id = async(() -> client.detach(request(jar, null)));

    assertThat(next()).isInstanceOf(ClientLink.Detach.class);
    assertThat(next()).isInstanceOf(ClientLink.DeployRequest.class);
    bridge.send(new ClientLink.JarsWanted(List.of()));
    bridge.sendLast(new ClientLink.Started(42));

    assertThat(id.get(10, TimeUnit.SECONDS)).isEqualTo(42);
  }

  @Test
  void givenAttached_whenTheBridgeSendsAMessageOfAnotherExchange_thenGarbageNamingIt()
      throws Exception {
    CompletableFuture<Integer> code = async(() -> client.attach(BRIDGE, 5));

    assertThat(next()).isEqualTo(new ClientLink.Attach(5));
    bridge.send(new ClientLink.JarsWanted(List.of()));

    assertThat(failureOf(code))
        .isEqualTo("the bridge at b1:7000 sent garbage: it sent a JarsWanted");
  }

  @Test
  void givenAttached_whenTheBridgeSendsAFrameOfAnotherProtocol_thenGarbageNotAHang()
      throws Exception {
    LinkPairs.Pair<ClientLink, WorkerLink> mixed =
        LinkPairs.of(ClientLink::decode, WorkerLink::decode);
    try {
      DeployClient other = new DeployClient(format, null, false, at -> mixed.left());
      CompletableFuture<Integer> code = async(() -> other.attach(BRIDGE, 5));

      mixed.right().send(new WorkerLink.Retire());

      assertThat(failureOf(code)).startsWith("the bridge at b1:7000 sent garbage: ");
    } finally {
      mixed.close();
    }
  }

  @Test
  void givenAttached_whenTheUserDetaches_thenTheFailureSaysTheDeploymentRunsOn() throws Exception {
    CompletableFuture<Integer> code = async(() -> client.attach(BRIDGE, 5));
    next();

    client.detachNow();

    assertThat(failureOf(code)).isEqualTo("detached: the deployment runs on (deploy stop ends it)");
  }

  @Test
  void givenRunning_whenInterrupted_thenTheBridgeIsAskedToKillAndItsEndIsAwaited()
      throws Exception {
    CompletableFuture<Integer> code = async(() -> client.attach(BRIDGE, 5));
    next();
    // Once it printed an event its Attach is written: the Kill finds the writer free.
    bridge.send(new Link.EventOf(0, new Event.Spawned(PID, null, R, "master")));
    await().until(() -> !format.written.isEmpty());
    CompletableFuture<Void> interrupted =
        CompletableFuture.runAsync(
            () -> client.interrupt(10_000), dev.deploy.testing.TestThreads.POOL);

    assertThat(next()).isInstanceOf(ClientLink.Kill.class);
    assertThat(interrupted).as("waits for the end").isNotDone();
    bridge.sendLast(new ClientLink.Done(137));

    assertThat(code.get(10, TimeUnit.SECONDS)).isEqualTo(137);
    interrupted.get(10, TimeUnit.SECONDS);
  }

  @Test
  void givenBridgeListsDeployments_whenList_thenTheyAreReturned() throws Exception {
    CompletableFuture<List<ClientLink.Listed>> listed = async(() -> client.list(BRIDGE));
    ClientLink.Listed one =
        new ClientLink.Listed(9, "app.Main", 1, 2, 3, ClientLink.Listed.State.EXITED, 0, false);

    assertThat(next()).isInstanceOf(ClientLink.ListDeployments.class);
    bridge.sendLast(new ClientLink.Deployments(List.of(one)));

    assertThat(listed.get(10, TimeUnit.SECONDS)).containsExactly(one);
  }

  @Test
  void givenStop_whenTheBridgeAnswers_thenItsReportOrItsRefusal() throws Exception {
    CompletableFuture<String> report = async(() -> client.stop(BRIDGE, 9, 2_000));

    assertThat(next()).isEqualTo(new ClientLink.Stop(9, 2_000));
    bridge.sendLast(new ClientLink.Stopped("sent SIGTERM to the 1 process of deployment 9"));
    assertThat(report.get(10, TimeUnit.SECONDS))
        .isEqualTo("sent SIGTERM to the 1 process of deployment 9");

    LinkPairs.Pair<ClientLink, ClientLink> second =
        LinkPairs.of(ClientLink::decode, ClientLink::decode);
    try {
      DeployClient other = new DeployClient(format, null, false, at -> second.left());
      CompletableFuture<String> refused = async(() -> other.stop(BRIDGE, 9, 2_000));
      second.right().read();
      second.right().sendLast(new ClientLink.Failed("this bridge holds no deployment 9"));
      assertThat(failureOf(refused)).isEqualTo("this bridge holds no deployment 9");
    } finally {
      second.close();
    }
  }

  @Test
  void givenList_whenTheBridgeAnswersWithAnotherMessage_thenGarbage() throws Exception {
    CompletableFuture<List<ClientLink.Listed>> listed = async(() -> client.list(BRIDGE));

    next();
    bridge.sendLast(new ClientLink.Stopped("?"));

    assertThat(failureOf(listed))
        .isEqualTo("the bridge at b1:7000 sent garbage: it answered with a Stopped");
  }

  @Test
  void givenBridgeUnreachable_whenList_thenCannotReachNamingIt() throws Exception {
    DeployClient unreachable =
        new DeployClient(
            format,
            null,
            false,
            at -> {
              throw new java.net.ConnectException("Connection refused");
            });

    CompletableFuture<List<ClientLink.Listed>> listed = async(() -> unreachable.list(BRIDGE));

    assertThat(failureOf(listed))
        .isEqualTo("cannot reach the bridge at b1:7000: Connection refused");
  }

  @Test
  void givenClassPathThatDoesNotExist_whenRun_thenFailsBeforeDialling() throws Exception {
    List<InetSocketAddress> dialled = new ArrayList<>();
    DeployClient c =
        new DeployClient(
            format,
            null,
            false,
            at -> {
              dialled.add(at);
              return pair.left();
            });

    CompletableFuture<Integer> code = async(() -> c.run(request(dir.resolve("missing.jar"), null)));

    assertThat(failureOf(code)).contains("missing.jar");
    assertThat(dialled).isEmpty();
  }
}
