package dev.deploy.runtime;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.channel.ChannelCounters;
import dev.deploy.wire.Control;
import dev.deploy.wire.Frame;
import dev.deploy.wire.FrameReader;
import dev.deploy.wire.FrameWriter;
import dev.deploy.wire.ProtocolException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link FabricClient} against a fake fabric on a loopback socket that speaks control frames
 * without a handshake: registration, replies matched to their requests, and what a lost fabric does
 * (a latch stands in for the halt).
 */
@Timeout(20)
class FabricClientTest {
  private static final Pid SELF = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 0x100);
  private static final Pid OTHER = Pid.of(new byte[] {127, 0, 0, 1}, 40_001, 0x200);
  private static final Resources R = new Resources(64L << 20, 1);

  private ServerSocket server;
  private Socket fabricSocket;
  private Socket processSocket;
  private FrameReader fromProcess;
  private FrameWriter toProcess;
  private FabricClient client;
  private final CountDownLatch lost = new CountDownLatch(1);

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
            lost::countDown);
  }

  @AfterEach
  void close() throws IOException {
    client.exiting(0); // the connection's end below is expected: no halt, no message
    processSocket.close();
    fabricSocket.close();
    server.close();
  }

  private Control readFromProcess() throws IOException {
    Frame frame = fromProcess.read();
    assertThat(frame).as("a message from the process").isNotNull();
    return Control.decode(frame);
  }

  private void send(Control message) throws IOException {
    toProcess.write(message.type(), message.encode());
  }

  /** Registers as the fabric would answer: Hello, then Start. */
  private void registered() throws Exception {
    CompletableFuture<Control.Start> start =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return client.register(0xABC, SELF);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            dev.deploy.testing.TestThreads.POOL);
    assertThat(readFromProcess()).isEqualTo(new Control.Hello(0xABC, SELF));
    send(new Control.Start(null, R, null));
    start.get(10, TimeUnit.SECONDS);
  }

  @Test
  void givenFabricAnswersHelloWithStart_whenRegister_thenItReturnsWhatToRun() throws Exception {
    CompletableFuture<Control.Start> start =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return client.register(7, SELF);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            dev.deploy.testing.TestThreads.POOL);

    assertThat(readFromProcess()).isEqualTo(new Control.Hello(7, SELF));
    send(new Control.Start(OTHER, R, new byte[] {9}));

    Control.Start s = start.get(10, TimeUnit.SECONDS);
    assertThat(s.parent()).isEqualTo(OTHER);
    assertThat(s.resources()).isEqualTo(R);
    assertThat(s.task()).containsExactly(9);
  }

  @Test
  void givenFabricClosesInsteadOfAnswering_whenRegister_thenIoExceptionSaysSo() {
    CompletableFuture<Void> closed =
        CompletableFuture.runAsync(
            () -> {
              try {
                readFromProcess();
                fabricSocket.close();
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            dev.deploy.testing.TestThreads.POOL);

    assertThatThrownBy(() -> client.register(7, SELF))
        .isInstanceOf(IOException.class)
        .hasMessage("the fabric closed the connection instead of answering Hello");
    assertThat(closed).succeedsWithin(Duration.ofSeconds(5));
  }

  @Test
  void givenFabricAnswersHelloWithAnotherMessage_whenRegister_thenProtocolExceptionNamesItsType()
      throws Exception {
    Control.FateReply wrong = new Control.FateReply(1, true);
    send(wrong);

    assertThatThrownBy(() -> client.register(7, SELF))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("the fabric answered Hello with type " + wrong.type());
  }

  @Test
  void givenTwoSpawnsAnsweredOutOfOrder_whenRepliesArrive_thenEachRequestGetsItsOwn()
      throws Exception {
    registered();
    CompletableFuture<Control.SpawnReply> first = client.spawn(R, new byte[] {1}, false);
    CompletableFuture<Control.SpawnReply> second = client.spawn(R, new byte[] {2}, true);
    Control.SpawnRequest a = (Control.SpawnRequest) readFromProcess();
    Control.SpawnRequest b = (Control.SpawnRequest) readFromProcess();
    assertThat(a.requestId()).isNotEqualTo(b.requestId());
    assertThat(a.task()).containsExactly(1);
    assertThat(b.queue()).isTrue();

    send(Control.SpawnReply.noRoom(b.requestId()));
    send(Control.SpawnReply.started(a.requestId(), OTHER));

    assertThat(first.get(10, TimeUnit.SECONDS))
        .isEqualTo(Control.SpawnReply.started(a.requestId(), OTHER));
    assertThat(second.get(10, TimeUnit.SECONDS))
        .isEqualTo(Control.SpawnReply.noRoom(b.requestId()));
  }

  @Test
  void givenReplyToNoRequest_whenItArrives_thenIgnoredAndLaterRepliesStillMatch() throws Exception {
    registered();
    CompletableFuture<Control.SpawnReply> spawn = client.spawn(R, new byte[] {1}, false);
    Control.SpawnRequest request = (Control.SpawnRequest) readFromProcess();

    send(Control.SpawnReply.failed(request.requestId() + 100, "not yours"));
    send(Control.SpawnReply.failed(request.requestId(), "no room on any machine"));

    assertThat(spawn.get(10, TimeUnit.SECONDS).error()).isEqualTo("no room on any machine");
    assertThat(lost.getCount()).as("still connected").isEqualTo(1);
  }

  @Test
  void givenFateQuery_whenFabricAnswers_thenCompletesWithWhetherItExitedItself() throws Exception {
    registered();
    CompletableFuture<Boolean> fate = client.fate(OTHER);
    CompletableFuture<Boolean> spawnLike = client.fate(SELF);
    Control.FateQuery q1 = (Control.FateQuery) readFromProcess();
    Control.FateQuery q2 = (Control.FateQuery) readFromProcess();
    assertThat(q1.pid()).isEqualTo(OTHER);

    send(new Control.FateReply(q2.requestId(), false));
    send(new Control.FateReply(q1.requestId(), true));

    assertThat(fate.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(spawnLike.get(10, TimeUnit.SECONDS)).isFalse();
  }

  @Test
  void givenRegistered_whenFabricDisconnects_thenTheProcessHalts() throws Exception {
    registered();
    CompletableFuture<Control.SpawnReply> spawn = client.spawn(R, new byte[] {1}, false);
    readFromProcess();

    fabricSocket.close();

    assertThat(lost.await(10, TimeUnit.SECONDS)).as("halted").isTrue();
    assertThat(spawn).as("no reply will come: the halt ends the wait").isNotDone();
  }

  @Test
  void givenRegistered_whenFabricSendsAMessageOnlyAProcessSends_thenTheProcessHalts()
      throws Exception {
    registered();

    send(new Control.Exiting(0));

    assertThat(lost.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void givenExiting_whenFabricThenCloses_thenNoticeWasSentAndTheProcessDoesNotHalt()
      throws Exception {
    registered();
    client.reportChannels(new ChannelCounters());

    client.exiting(15);

    assertThat(readFromProcess())
        .as("nothing counted: no totals, only the notice")
        .isEqualTo(new Control.Exiting(15));
    fabricSocket.close();
    await().during(Duration.ofMillis(200)).until(() -> lost.getCount() == 1);
  }

  @Test
  void givenConnectionBrokenOnThisSide_whenSpawnOrFate_thenTheyFailAtOnce() throws Exception {
    registered();
    processSocket.close();

    assertThat(client.spawn(R, new byte[] {1}, false))
        .failsWithin(Duration.ofSeconds(1))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(IOException.class);
    assertThat(client.fate(OTHER)).isCompletedExceptionally();
  }
}
