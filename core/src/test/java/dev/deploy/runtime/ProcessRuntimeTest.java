package dev.deploy.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.SpawnException;
import dev.deploy.Task;
import dev.deploy.wire.Control;
import dev.deploy.wire.Frame;
import dev.deploy.wire.FrameReader;
import dev.deploy.wire.FrameWriter;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ProcessRuntime} after init, over a {@link FabricClient} whose fabric the test plays on a
 * loopback socket: what spawn and spawnAsync make of each reply, and the checks before a spawn is
 * sent. Also the parsing of the fabric's address from the environment.
 */
@Timeout(20)
class ProcessRuntimeTest {
  private static final Pid SELF = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 0x100);
  private static final Pid CHILD = Pid.of(new byte[] {127, 0, 0, 1}, 40_001, 0x200);
  private static final Resources R = new Resources(64L << 20, 1);

  private ServerSocket server;
  private Socket fabricSocket;
  private Socket processSocket;
  private FrameReader fromProcess;
  private FrameWriter toProcess;
  private FabricClient client;
  private ProcessRuntime runtime;

  private static void task(Pid parent, String arg) {
    // Never run here: only shipped.
  }

  private static final Task<String> TASK = ProcessRuntimeTest::task;

  @BeforeEach
  void connect() throws Exception {
    server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    processSocket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
    fabricSocket = server.accept();
    fromProcess = new FrameReader(new BufferedInputStream(fabricSocket.getInputStream()));
    toProcess = new FrameWriter(new BufferedOutputStream(fabricSocket.getOutputStream()));
    client =
        new FabricClient(
            processSocket,
            new FrameReader(new BufferedInputStream(processSocket.getInputStream())),
            new FrameWriter(new BufferedOutputStream(processSocket.getOutputStream())),
            () -> {});
    CompletableFuture<Control.Start> start =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return client.register(1, SELF);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            dev.deploy.testing.TestThreads.POOL);
    fromProcess.read(); // the Hello
    send(new Control.Start(null, R, null));
    runtime = new ProcessRuntime(SELF, start.get(10, TimeUnit.SECONDS).resources(), client, null);
  }

  @AfterEach
  void close() throws IOException {
    client.exiting(0);
    processSocket.close();
    fabricSocket.close();
    server.close();
  }

  private void send(Control message) throws IOException {
    toProcess.write(message.type(), message.encode());
  }

  /** Answers the next spawn request with {@code reply(requestId)}, on another thread. */
  private CompletableFuture<Control.SpawnRequest> answer(
      java.util.function.LongFunction<Control.SpawnReply> reply) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            Frame f = fromProcess.read();
            Control.SpawnRequest r = (Control.SpawnRequest) Control.decode(f);
            send(reply.apply(r.requestId()));
            return r;
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        },
        dev.deploy.testing.TestThreads.POOL);
  }

  @Test
  void givenRuntime_whenAsked_thenItsPidAndTheResourcesTheFabricGave() {
    assertThat(runtime.pid()).isEqualTo(SELF);
    assertThat(runtime.resources()).isEqualTo(R);
  }

  @Test
  void givenFabricStartsIt_whenSpawn_thenThePidAndTheRequestCarriedTheTask() throws Exception {
    CompletableFuture<Control.SpawnRequest> request =
        answer(id -> Control.SpawnReply.started(id, CHILD));

    assertThat(runtime.spawn(TASK, "x", R)).contains(CHILD);
    Control.SpawnRequest r = request.get(10, TimeUnit.SECONDS);
    assertThat(r.resources()).isEqualTo(R);
    assertThat(r.queue()).as("spawn does not wait for room").isFalse();
    assertThat(r.task()).isNotEmpty();
  }

  @Test
  void givenNoRoom_whenSpawn_thenEmpty() {
    answer(Control.SpawnReply::noRoom);

    assertThat(runtime.spawn(TASK, "x", R)).isEqualTo(Optional.empty());
  }

  @Test
  void givenFailedStart_whenSpawn_thenSpawnExceptionWithTheFabricsReason() {
    answer(id -> Control.SpawnReply.failed(id, "the new JVM exited with code 1"));

    assertThatThrownBy(() -> runtime.spawn(TASK, "x", R))
        .isInstanceOf(SpawnException.class)
        .hasMessage("the new JVM exited with code 1");
  }

  @Test
  void givenNoRoom_whenSpawnAsync_thenItWaitedInTheQueueAndFailsNamingTheResources()
      throws Exception {
    CompletableFuture<Control.SpawnRequest> request = answer(Control.SpawnReply::noRoom);

    CompletableFuture<Pid> f = runtime.spawnAsync(TASK, "x", R);

    assertThat(f)
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(SpawnException.class)
        .withMessageContaining("no machine has " + R + " free");
    assertThat(request.get(10, TimeUnit.SECONDS).queue()).isTrue();
  }

  @Test
  void givenStarted_whenSpawnAsync_thenThePid() throws Exception {
    answer(id -> Control.SpawnReply.started(id, CHILD));

    assertThat(runtime.spawnAsync(TASK, "x", R).get(10, TimeUnit.SECONDS)).isEqualTo(CHILD);
  }

  @Test
  void givenConnectionToTheFabricBroken_whenSpawn_thenSpawnExceptionSaysItWasLost()
      throws Exception {
    processSocket.close();

    assertThatThrownBy(() -> runtime.spawn(TASK, "x", R))
        .isInstanceOf(SpawnException.class)
        .hasMessageStartingWith("lost the fabric during the spawn:");
    assertThat(runtime.spawnAsync(TASK, "x", R))
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(SpawnException.class);
  }

  @Test
  void givenNullTaskOrResources_whenSpawn_thenNamesWhatIsNullAndSendsNothing() throws Exception {
    assertThatThrownBy(() -> runtime.spawn(null, "x", R)).hasMessage("spawn: task is null");
    assertThatThrownBy(() -> runtime.spawn(TASK, "x", null)).hasMessage("spawn: resources is null");
    assertThat(fabricSocket.getInputStream().available()).isZero();
  }

  @Test
  void givenArgumentOverTheFrameLimit_whenSpawnAsync_thenFailsSayingToUseAChannel() {
    byte[] big = new byte[17 << 20];

    assertThat(runtime.spawnAsync((Task<byte[]>) (p, a) -> {}, big, R))
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(SpawnException.class)
        .withMessageContaining("a spawn carries at most 16 MiB: send large data over a channel");
  }

  @Test
  void givenJavaCommands_whenMainClassOf_thenTheFirstWordUnlessAJar() {
    assertThat(ProcessRuntime.mainClassOf("dev.x.Main a b")).isEqualTo("dev.x.Main");
    assertThat(ProcessRuntime.mainClassOf("dev.x.Main")).isEqualTo("dev.x.Main");
    assertThat(ProcessRuntime.mainClassOf("build/app.jar a")).isNull();
    assertThat(ProcessRuntime.mainClassOf("")).isNull();
  }

  /** Set by {@link NotYetInitialised}'s initialisation; read here, it does not initialise it. */
  private static volatile boolean mainInitialised;

  /** A main class whose initialisation a warm-up must not run (it is the program's to run). */
  static final class NotYetInitialised {
    static {
      mainInitialised = true;
    }

    static void task(Pid parent, Integer arg) {}
  }

  @Test
  void givenTheMainClass_whenResolveMethods_thenItsMethodsAreLookedUpWithoutInitialisingIt() {
    assertThat(ProcessRuntime.resolveMethods(NotYetInitialised.class.getName())).isTrue();
    assertThat(ProcessRuntime.resolveMethods("no.such.Main")).isFalse();
    assertThat(ProcessRuntime.resolveMethods(null)).isFalse();
    assertThat(mainInitialised).isFalse();
  }
}
