package dev.deploy.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.security.AuthenticationException;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.FrameProtection;
import dev.deploy.security.Handshake;
import dev.deploy.testing.LoopbackTables;
import dev.deploy.testing.ManualClock;
import dev.deploy.wire.Frame;
import dev.deploy.wire.ProtocolException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One {@link Connection} on a loop whose clock is a {@link ManualClock}, against a raw blocking
 * socket on the test thread: handshake, framing limits, heartbeats and the two timeouts, with no
 * real waiting for seconds to pass.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ConnectionTest {
  private static final int TYPE = 9;

  private final ClusterKey key = ClusterKey.generate();
  private final ManualClock clock = new ManualClock();
  private IoLoop loop = new IoLoop(clock);
  private final Recorder recorder = new Recorder();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private Thread loopThread;

  ConnectionTest() throws Exception {
    startLoop();
  }

  private void startLoop() throws Exception {
    loop.start("connection-test-io");
    CompletableFuture<Thread> t = new CompletableFuture<>();
    loop.execute(() -> t.complete(Thread.currentThread()));
    loopThread = t.get(5, TimeUnit.SECONDS);
  }

  /** Before anything used the loop: replaces it with one whose connections take {@code limit}. */
  private void useSilenceLimit(String limit) throws Exception {
    loop.close();
    loopThread.join(5_000);
    loop = new IoLoop(clock, SilenceLimit.parse("test", limit));
    startLoop();
  }

  @AfterEach
  void tearDown() throws Exception {
    onLoop(
        () -> {
          if (recorder.connection != null) {
            recorder.connection.close();
          }
          return null;
        });
    for (AutoCloseable c : toClose) {
      c.close();
    }
    loop.close();
    loopThread.join(5_000);
    assertThat(loopThread.isAlive()).as("loop thread ended").isFalse();
  }

  @Test
  void givenSameKey_whenLoopDials_thenAuthenticatedAndFramesFlowBothWays() throws Exception {
    ServerSocketChannel server = server();
    onLoop(() -> Connection.dial(loop, address(server), dialing(key), recorder));
    Raw raw = Raw.accepted(server, toClose);

    raw.handshake(key, false);
    Connection c = recorder.authenticated.get(5, TimeUnit.SECONDS);
    raw.frame(TYPE, "hello".getBytes(StandardCharsets.US_ASCII));

    assertThat(recorder.nextFrame()).satisfies(f -> assertFrame(f, TYPE, "hello"));
    assertThat(c.dialer()).isTrue();
    recorder.outbox.add(frame(TYPE + 1, "back".getBytes(StandardCharsets.US_ASCII)));
    onLoop(
        () -> {
          c.flush();
          return null;
        });
    assertFrame(raw.readFrame(), TYPE + 1, "back");
  }

  @ParameterizedTest
  @EnumSource(
      value = FrameProtection.Mode.class,
      names = {"INTEGRITY", "ENCRYPTION"})
  void givenProtectedConnection_whenFramesFlowBothWays_thenDeliveredThroughSealedRecords(
      FrameProtection.Mode mode) throws Exception {
    Raw raw = acceptedAndAuthenticated(mode);
    Connection c = recorder.authenticated.get(5, TimeUnit.SECONDS);

    raw.frame(TYPE, "hello".getBytes(StandardCharsets.US_ASCII));
    recorder.outbox.add(frame(TYPE + 1, "back".getBytes(StandardCharsets.US_ASCII)));
    onLoop(
        () -> {
          c.flush();
          return null;
        });

    assertThat(c.protection().mode()).isEqualTo(mode);
    assertFrame(recorder.nextFrame(), TYPE, "hello");
    assertFrame(raw.readFrame(), TYPE + 1, "back");
  }

  @Test
  void givenProtectedConnection_whenARecordIsAltered_thenClosedAndNothingDelivered()
      throws Exception {
    Raw raw = acceptedAndAuthenticated(FrameProtection.Mode.INTEGRITY);
    byte[] record = raw.record(frame(TYPE, "pay 10".getBytes(StandardCharsets.US_ASCII)));
    record[4 + 5 + 4] = '9'; // "pay 90": what an attacker on the path would do

    raw.write(record);

    assertThat(recorder.cause())
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("integrity check");
    raw.awaitEof();
    assertThat(recorder.frames).isEmpty();
  }

  @Test
  void givenProtectedConnection_whenRecordClaimsMoreThanTheLimit_thenClosedNamingIt()
      throws Exception {
    Raw raw = acceptedAndAuthenticated(FrameProtection.Mode.INTEGRITY);

    raw.write(ByteBuffer.allocate(4).putInt(Connection.MAX_RECORD + 1).array());

    assertThat(recorder.cause())
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("record length " + (Connection.MAX_RECORD + 1));
  }

  @Test
  void givenProtectedConnection_whenBulkBothWays_thenEveryFrameInOrder() throws Exception {
    Raw raw = acceptedAndAuthenticated(FrameProtection.Mode.INTEGRITY);
    Connection c = recorder.authenticated.get(5, TimeUnit.SECONDS);
    byte[] payload = new byte[Connection.MAX_FRAME - 1];
    int frames = 32; // 2 MiB each way, in many records
    for (int i = 0; i < frames; i++) {
      payload[0] = (byte) i;
      recorder.outbox.add(frame(TYPE, payload.clone()));
    }
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < frames; i++) {
                  payload[1] = (byte) i;
                  raw.frame(TYPE, payload);
                }
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    writer.start();

    onLoop(
        () -> {
          c.flush();
          return null;
        });
    for (int i = 0; i < frames; i++) {
      assertThat(raw.readFrame().payload()[0]).as("frame %d in order", i).isEqualTo((byte) i);
      assertThat(recorder.nextFrame().payload()[1]).as("frame %d in order", i).isEqualTo((byte) i);
    }
    writer.join(5_000);
  }

  @Test
  void givenFrameOfExactlyMaxFrame_whenReceived_thenDeliveredWhole() throws Exception {
    Raw raw = acceptedAndAuthenticated();
    byte[] payload = new byte[Connection.MAX_FRAME - 1];
    payload[payload.length - 1] = 42;

    raw.frame(TYPE, payload);

    Frame f = recorder.nextFrame();
    assertThat(f.payload()).hasSize(Connection.MAX_FRAME - 1).endsWith((byte) 42);
  }

  @Test
  void givenListenerOutOfMemory_whenFrameArrives_thenOnlyThisConnectionClosesAndLoopGoesOn()
      throws Exception {
    Raw raw = acceptedAndAuthenticated();
    recorder.throwOnFrame = new OutOfMemoryError("Java heap space");

    raw.frame(TYPE, new byte[] {1});

    assertThat(recorder.cause())
        .hasMessageContaining("out of memory for this connection")
        .hasCauseInstanceOf(OutOfMemoryError.class);
    raw.awaitEof();
    assertThat(onLoop(() -> "still running")).isEqualTo("still running");
  }

  @Test
  void givenLengthOverMaxFrame_whenReceived_thenClosedWithProtocolExceptionNamingIt()
      throws Exception {
    Raw raw = acceptedAndAuthenticated();

    raw.write(ByteBuffer.allocate(5).putInt(Connection.MAX_FRAME + 1).put((byte) TYPE).array());

    assertThat(recorder.cause())
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("frame length " + (Connection.MAX_FRAME + 1));
    raw.awaitEof();
    assertThat(recorder.frames).isEmpty();
  }

  @Test
  void givenBulkBothWays_whenTwoQuietTicksPass_thenBuffersGrewAndAreBackToSmall() throws Exception {
    Raw raw = acceptedAndAuthenticated();
    Connection c = recorder.authenticated.get(5, TimeUnit.SECONDS);
    int small = Connection.SMALL_IN + Connection.SMALL_OUT;
    assertThat(onLoop(c::bufferBytes)).as("a new connection's buffers").isEqualTo(small);
    byte[] payload = new byte[Connection.MAX_FRAME - 1];
    int frames = 32; // 2 MiB each way
    for (int i = 0; i < frames; i++) {
      payload[0] = (byte) i;
      recorder.outbox.add(frame(TYPE, payload.clone()));
    }
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < frames; i++) {
                  raw.frame(TYPE, payload);
                }
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    writer.start();

    onLoop(
        () -> {
          c.flush();
          return null;
        });
    assertThat(onLoop(c::bufferBytes)).as("buffers while streaming").isGreaterThan(small);
    for (int i = 0; i < frames; i++) {
      assertThat(raw.readFrame().payload()[0]).as("frame %d in order", i).isEqualTo((byte) i);
      assertThat(recorder.nextFrame().payload()).hasSize(Connection.MAX_FRAME - 1);
    }
    writer.join(5_000);
    for (int tick = 0; tick < 2; tick++) { // the first forgets the bulk, the second shrinks
      clock.advance(Duration.ofMillis(1_001));
      loop.execute(() -> {});
      assertThat(recorder.ticks.poll(5, TimeUnit.SECONDS)).as("tick %d", tick).isNotNull();
    }

    assertThat(onLoop(c::bufferBytes)).as("buffers after two quiet ticks").isEqualTo(small);
  }

  @Test
  void givenBufferFullBecausePeerDoesNotRead_whenFrameSent_thenHeldAndSentLaterNotLost()
      throws Exception {
    Raw raw = acceptedAndAuthenticated();
    Connection c = recorder.authenticated.get(5, TimeUnit.SECONDS);
    int frames = 256; // 16 MiB: more than the socket buffers and ours hold while nobody reads
    for (int i = 0; i < frames; i++) {
      recorder.outbox.add(frame(TYPE, new byte[Connection.MAX_FRAME - 1]));
    }
    onLoop(
        () -> {
          c.flush();
          return null;
        });
    assertThat(onLoop(c::drained)).as("the buffer still holds data").isFalse();

    // As large as a frame gets, so it cannot fit beside what the buffer holds.
    byte[] answer = new byte[Connection.MAX_FRAME - 1];
    answer[answer.length - 1] = 42;
    onLoop(
        () -> {
          c.sendFrame(TYPE + 1, answer);
          return null;
        });

    // Read everything: the frame comes after what was in the buffer, and is not lost.
    int data = 0;
    while (true) {
      Frame f = raw.readFrame();
      if (f.type() == TYPE + 1) {
        assertThat(f.payload()).hasSize(answer.length).endsWith((byte) 42);
        break;
      }
      data++;
    }
    assertThat(data).as("data frames before the answer").isPositive().isLessThan(frames);
  }

  @Test
  void givenFrameArrivingByteByByte_whenRead_thenDeliveredWhole() throws Exception {
    Raw raw = acceptedAndAuthenticated();
    byte[] bytes = frame(TYPE, "pieces".getBytes(StandardCharsets.US_ASCII));

    for (byte b : bytes) {
      raw.write(new byte[] {b});
    }

    assertFrame(recorder.nextFrame(), TYPE, "pieces");
  }

  @Test
  void givenIdleSecond_whenClockPasses_thenHeartbeatSentAndPeersHeartbeatsNotDelivered()
      throws Exception {
    Raw raw = acceptedAndAuthenticated();

    clock.advance(Duration.ofMillis(1_001));
    loop.execute(() -> {});

    Frame heartbeat = raw.readFrame();
    assertThat(heartbeat.type()).isZero();
    assertThat(heartbeat.payload()).isEmpty();
    raw.write(new byte[] {0, 0, 0, 1, 0});
    raw.frame(TYPE, "after".getBytes(StandardCharsets.US_ASCII));
    assertFrame(recorder.nextFrame(), TYPE, "after");
    assertThat(recorder.frames).isEmpty();
  }

  @Test
  void givenSilentPeer_whenTenSecondsPass_thenClosedAsSilent() throws Exception {
    Raw raw = acceptedAndAuthenticated();
    Connection c = recorder.authenticated.get(5, TimeUnit.SECONDS);

    clock.advance(Duration.ofSeconds(9));
    assertThat(stateAfterTimers(c)).isEqualTo(Connection.State.OPEN);
    clock.advance(Duration.ofSeconds(1));
    loop.execute(() -> {});

    assertThat(recorder.cause()).isInstanceOf(IOException.class).hasMessageContaining("silent");
    assertThat(stateAfterTimers(c)).isEqualTo(Connection.State.CLOSED);
    raw.awaitEof();
  }

  @Test
  void givenSilenceLimitOfTwoSeconds_whenPeerSilentForTwoSeconds_thenClosedSayingTwoSeconds()
      throws Exception {
    useSilenceLimit("2s");
    Raw raw = acceptedAndAuthenticated();
    Connection c = recorder.authenticated.get(5, TimeUnit.SECONDS);

    clock.advance(Duration.ofMillis(1_900));
    assertThat(stateAfterTimers(c)).isEqualTo(Connection.State.OPEN);
    clock.advance(Duration.ofMillis(200)); // the next check, a heartbeat interval later
    loop.execute(() -> {});

    assertThat(recorder.cause()).hasMessage("the peer was silent for 2 s");
    raw.awaitEof();
  }

  @Test
  void givenSilenceLimitOfTwoSeconds_whenIdleForATenth_thenHeartbeatSent() throws Exception {
    useSilenceLimit("2s");
    Raw raw = acceptedAndAuthenticated();

    clock.advance(Duration.ofMillis(201));
    loop.execute(() -> {});

    assertThat(raw.readFrame().type()).as("a heartbeat 200 ms in").isZero();
  }

  @Test
  void givenSilenceLimitOfTwentySeconds_whenPeerSilentForFifteen_thenStillOpen() throws Exception {
    useSilenceLimit("20s");
    acceptedAndAuthenticated();
    Connection c = recorder.authenticated.get(5, TimeUnit.SECONDS);

    clock.advance(Duration.ofSeconds(15));

    assertThat(stateAfterTimers(c)).isEqualTo(Connection.State.OPEN);
  }

  /**
   * A large frame on a slow link: its bytes come for longer than the limit, and no heartbeat can
   * pass them on the same stream. Every byte counts as life, so the connection stays open and the
   * frame arrives whole.
   */
  @Test
  void givenFrameTrickledOverLongerThanTheLimit_whenBytesKeepComing_thenOpenAndFrameDelivered()
      throws Exception {
    useSilenceLimit("2s");
    Raw raw = acceptedAndAuthenticated();
    Connection c = recorder.authenticated.get(5, TimeUnit.SECONDS);
    byte[] payload = new byte[60_000];
    Arrays.fill(payload, (byte) 7);
    byte[] frame = frame(TYPE, payload);
    int piece = frame.length / 10 + 1;

    for (int off = 0; off < frame.length; off += piece) {
      clock.advance(Duration.ofMillis(1_500)); // 15 s in all, 1.5 s between pieces
      assertThat(stateAfterTimers(c)).isEqualTo(Connection.State.OPEN);
      raw.write(Arrays.copyOfRange(frame, off, Math.min(frame.length, off + piece)));
      long now = clock.getAsLong();
      await().atMost(5, TimeUnit.SECONDS).until(() -> onLoop(c::lastRead) == now);
    }

    assertThat(recorder.nextFrame().payload()).isEqualTo(payload);
    assertThat(stateAfterTimers(c)).isEqualTo(Connection.State.OPEN);
  }

  @Test
  void givenPeerThatSpeaks_whenSilenceCounted_thenCountedFromItsLastFrame() throws Exception {
    Raw raw = acceptedAndAuthenticated();
    Connection c = recorder.authenticated.get(5, TimeUnit.SECONDS);
    clock.advance(Duration.ofSeconds(6));
    assertThat(stateAfterTimers(c)).isEqualTo(Connection.State.OPEN);

    raw.frame(TYPE, new byte[0]);
    recorder.nextFrame();
    clock.advance(Duration.ofSeconds(6));

    assertThat(stateAfterTimers(c))
        .as("12 s after auth, 6 s after its frame")
        .isEqualTo(Connection.State.OPEN);
    clock.advance(Duration.ofSeconds(5));
    loop.execute(() -> {});
    assertThat(recorder.cause()).hasMessageContaining("silent");
  }

  /**
   * The next tick is due one second after this tick's {@code now}, not after whatever the clock
   * says once the tick is done: a clock that moved meanwhile (another thread advancing a manual
   * one, or a stall on a real one) must not push the next silence check past the time it reads.
   */
  @Test
  void givenClockMovesWhileATickRuns_whenTheTickEnds_thenNextTickDueFromTheTicksNow()
      throws Exception {
    Raw raw = acceptedAndAuthenticated();
    recorder.onTick = () -> clock.advance(Duration.ofSeconds(10));

    clock.advance(Duration.ofSeconds(5));
    loop.execute(() -> {});

    assertThat(raw.readFrame().type()).as("the heartbeat of the tick at 5 s").isZero();
    assertThat(recorder.cause())
        .as("closed by the tick due at 6 s, run at 15 s")
        .hasMessageContaining("silent");
  }

  /** A listener that throws from onTick must not end the connection's silence checks. */
  @Test
  void givenListenerThrowsOnTick_whenTenSecondsPass_thenStillClosedAsSilent() throws Exception {
    acceptedAndAuthenticated();
    recorder.onTick =
        () -> {
          throw new IllegalStateException("a broken listener");
        };
    clock.advance(Duration.ofSeconds(5));
    loop.execute(() -> {});
    assertThat(recorder.ticks.poll(5, TimeUnit.SECONDS)).as("a tick at 5 s").isNotNull();

    clock.advance(Duration.ofSeconds(5));
    loop.execute(() -> {});

    assertThat(recorder.cause()).hasMessageContaining("silent");
  }

  @Test
  void givenConnectionThatNeverAuthenticates_whenTenSecondsPass_thenClosedWithAuthentication()
      throws Exception {
    ServerSocketChannel server = server();
    Raw raw = Raw.connect(address(server), toClose);
    SocketChannel accepted = accept(server);
    onLoop(() -> acceptOnLoop(accepted));
    raw.read(Handshake.HEADER);

    clock.advance(Duration.ofSeconds(10));
    loop.execute(() -> {});

    assertThat(recorder.cause())
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("did not authenticate within 10 s");
    raw.awaitEof();
    assertThat(recorder.authenticated).isNotDone();
  }

  @Test
  void givenSilenceLimitOfTwoSeconds_whenNoHandshakeForTwoSeconds_thenClosedSayingTwoSeconds()
      throws Exception {
    useSilenceLimit("2s");
    ServerSocketChannel server = server();
    Raw raw = Raw.connect(address(server), toClose);
    SocketChannel accepted = accept(server);
    Connection c = onLoop(() -> acceptOnLoop(accepted));
    raw.read(Handshake.HEADER);
    clock.advance(Duration.ofMillis(1900));
    assertThat(stateAfterTimers(c)).isEqualTo(Connection.State.HANDSHAKE);

    clock.advance(Duration.ofMillis(200));

    assertThat(stateAfterTimers(c)).isEqualTo(Connection.State.CLOSED);
    assertThat(recorder.cause())
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("did not authenticate within 2 s");
  }

  @Test
  void givenSilenceLimitOfTwentySeconds_whenNoHandshakeForTenSeconds_thenClosedSayingTenSeconds()
      throws Exception {
    useSilenceLimit("20s");
    ServerSocketChannel server = server();
    Raw raw = Raw.connect(address(server), toClose);
    SocketChannel accepted = accept(server);
    Connection c = onLoop(() -> acceptOnLoop(accepted));
    raw.read(Handshake.HEADER);

    clock.advance(Duration.ofSeconds(10));

    assertThat(stateAfterTimers(c)).isEqualTo(Connection.State.CLOSED);
    assertThat(recorder.cause()).hasMessageContaining("did not authenticate within 10 s");
  }

  /**
   * "A connection must authenticate within" 10 s: a peer that trickles its handshake, a byte now
   * and then, must not stretch that by resetting the silence count with each byte.
   */
  @Test
  void givenPeerTricklingItsHandshake_whenTenSecondsPassSinceConnect_thenClosed() throws Exception {
    ServerSocketChannel server = server();
    Raw raw = Raw.connect(address(server), toClose);
    SocketChannel accepted = accept(server);
    Connection c = onLoop(() -> acceptOnLoop(accepted));
    raw.read(Handshake.HEADER);
    byte[] hello = dialing(key).hello();
    raw.write(Arrays.copyOf(hello, hello.length - 1));
    clock.advance(Duration.ofSeconds(6));
    assertThat(stateAfterTimers(c)).isEqualTo(Connection.State.HANDSHAKE);

    raw.write(new byte[] {hello[hello.length - 1]});
    raw.read(Handshake.PROOF); // the loop read the whole hello: it answers with its proof
    clock.advance(Duration.ofSeconds(6));

    assertThat(stateAfterTimers(c))
        .as("12 s after connecting, still not authenticated")
        .isEqualTo(Connection.State.CLOSED);
    assertThat(recorder.cause()).isInstanceOf(AuthenticationException.class);
  }

  @Test
  void givenWrongKey_whenHandshake_thenClosedWithAuthenticationAndNoFrameParsed() throws Exception {
    ServerSocketChannel server = server();
    Raw raw = Raw.connect(address(server), toClose);
    SocketChannel accepted = accept(server);
    onLoop(() -> acceptOnLoop(accepted));

    try {
      raw.handshake(ClusterKey.generate(), true);
    } catch (AuthenticationException expected) {
      // The loop's proof does not verify under our key either.
    }
    try {
      raw.frame(TYPE, new byte[] {1});
    } catch (IOException alreadyClosed) {
      // The loop may have closed first.
    }

    assertThat(recorder.cause())
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("do not share one cluster key");
    raw.awaitEof();
    assertThat(recorder.frames).isEmpty();
  }

  @Test
  void givenNothingListening_whenDial_thenClosedWithConnectFailure() throws Exception {
    InetSocketAddress nowhere = LoopbackTables.unusedPid().address();

    onLoop(() -> Connection.dial(loop, nowhere, dialing(key), recorder));

    assertThat(recorder.cause())
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(AuthenticationException.class)
        .isNotInstanceOf(ProtocolException.class);
    assertThat(recorder.authenticated).isNotDone();
  }

  @Test
  void givenOpenConnection_whenClosedByOwner_thenListenerHearsNullCauseAndPeerSeesEof()
      throws Exception {
    Raw raw = acceptedAndAuthenticated();
    Connection c = recorder.authenticated.get(5, TimeUnit.SECONDS);

    onLoop(
        () -> {
          c.close();
          return null;
        });

    assertThat(recorder.closed.get(5, TimeUnit.SECONDS)).isEmpty();
    raw.awaitEof();
  }

  // ---------------------------------------------------------------- helpers

  private Raw acceptedAndAuthenticated() throws Exception {
    return acceptedAndAuthenticated(FrameProtection.Mode.NONE);
  }

  /** A connection the loop accepted from a raw peer that asks for {@code mode}. */
  private Raw acceptedAndAuthenticated(FrameProtection.Mode mode) throws Exception {
    ServerSocketChannel server = server();
    Raw raw = Raw.connect(address(server), toClose);
    SocketChannel accepted = accept(server);
    onLoop(() -> acceptOnLoop(accepted));
    raw.protection = dialing(key, mode).run(raw.in, raw.out);
    Connection c = recorder.authenticated.get(5, TimeUnit.SECONDS);
    assertThat(c.dialer()).isFalse();
    return raw;
  }

  private SocketChannel accept(ServerSocketChannel server) throws IOException {
    SocketChannel accepted = server.accept();
    toClose.add(accepted);
    return accepted;
  }

  private Connection acceptOnLoop(SocketChannel accepted) {
    try {
      return Connection.accept(loop, accepted, accepting(key), recorder);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns a dialler's handshake proving {@code key}, as a process meaning no particular pid. */
  static Handshake dialing(ClusterKey key) {
    return dialing(key, FrameProtection.Mode.NONE);
  }

  static Handshake dialing(ClusterKey key, FrameProtection.Mode mode) {
    return Handshake.dialer(
        Handshake.Role.PROCESS, key, 1, Handshake.Role.PROCESS, new byte[0], mode);
  }

  /** Returns an acceptor's handshake taking processes that prove {@code key}. */
  static Handshake accepting(ClusterKey key) {
    return accepting(key, FrameProtection.Mode.NONE);
  }

  static Handshake accepting(ClusterKey key, FrameProtection.Mode mode) {
    return Handshake.acceptor(
        Handshake.Role.PROCESS,
        new Handshake.Acceptance() {
          @Override
          public ClusterKey keyFor(Handshake.Role role, long deployment) {
            return key;
          }

          @Override
          public void checkTarget(byte[] target) {}
        },
        mode);
  }

  private ServerSocketChannel server() throws IOException {
    ServerSocketChannel server =
        ServerSocketChannel.open().bind(new InetSocketAddress(LoopbackTables.LOOPBACK, 0));
    toClose.add(server);
    return server;
  }

  private static InetSocketAddress address(ServerSocketChannel server) throws IOException {
    return (InetSocketAddress) server.getLocalAddress();
  }

  /** Returns the state once every timer due at the clock's current time has run. */
  private Connection.State stateAfterTimers(Connection c) throws Exception {
    CompletableFuture<Connection.State> state = new CompletableFuture<>();
    loop.execute(() -> loop.schedule(0, () -> state.complete(c.state())));
    return state.get(5, TimeUnit.SECONDS);
  }

  private <T> T onLoop(Callable<T> action) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    loop.execute(
        () -> {
          try {
            result.complete(action.call());
          } catch (Exception e) {
            result.completeExceptionally(e);
          }
        });
    return result.get(5, TimeUnit.SECONDS);
  }

  private static byte[] frame(int type, byte[] payload) {
    return ByteBuffer.allocate(5 + payload.length)
        .putInt(1 + payload.length)
        .put((byte) type)
        .put(payload)
        .array();
  }

  private static void assertFrame(Frame f, int type, String payload) {
    assertThat(f.type()).isEqualTo(type);
    assertThat(new String(f.payload(), StandardCharsets.US_ASCII)).isEqualTo(payload);
  }

  /** A listener that records what the connection tells it; frames to write go in outbox. */
  private static final class Recorder implements Connection.Listener {
    final CompletableFuture<Connection> authenticated = new CompletableFuture<>();
    final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    final CompletableFuture<Optional<IOException>> closed = new CompletableFuture<>();
    final Queue<byte[]> outbox = new ConcurrentLinkedQueue<>();

    /** The connection, once authenticated; loop thread. */
    Connection connection;

    /** Runs on every tick, on the loop thread, after the tick's time is recorded in ticks. */
    volatile Runnable onTick = () -> {};

    /** The {@code now} of every tick. */
    final BlockingQueue<Long> ticks = new LinkedBlockingQueue<>();

    @Override
    public void onAuthenticated(Connection c) {
      connection = c;
      authenticated.complete(c);
    }

    /** Thrown from the next onFrame, if set (a listener that ran out of memory). */
    volatile Error throwOnFrame;

    @Override
    public void onFrame(Connection c, int type, ByteBuffer payload) {
      Error e = throwOnFrame;
      if (e != null) {
        throw e;
      }
      byte[] bytes = new byte[payload.remaining()];
      payload.get(bytes);
      frames.add(new Frame(type, bytes));
    }

    @Override
    public void onTick(Connection c, long now) {
      ticks.add(now);
      onTick.run();
    }

    @Override
    public void onReadRound(Connection c) {}

    @Override
    public void fill(Connection c, ByteBuffer out) {
      byte[] next;
      while ((next = outbox.peek()) != null && out.remaining() >= next.length) {
        out.put(outbox.poll());
      }
    }

    @Override
    public void onClosed(Connection c, IOException cause) {
      closed.complete(Optional.ofNullable(cause));
    }

    Frame nextFrame() throws InterruptedException {
      Frame f = frames.poll(5, TimeUnit.SECONDS);
      assertThat(f).as("a frame within 5 s").isNotNull();
      return f;
    }

    IOException cause() throws Exception {
      Optional<IOException> cause = closed.get(5, TimeUnit.SECONDS);
      assertThat(cause).as("closed with a cause").isPresent();
      return cause.get();
    }
  }

  /** The other end: a blocking socket whose every read times out after 5 s. */
  private static final class Raw {
    private final SocketChannel socket;
    private final DataInputStream in;
    private final OutputStream out;

    private Raw(SocketChannel socket, List<AutoCloseable> toClose) throws IOException {
      this.socket = socket;
      toClose.add(socket);
      socket.socket().setSoTimeout(5_000);
      this.in = new DataInputStream(socket.socket().getInputStream());
      this.out = socket.socket().getOutputStream();
    }

    static Raw connect(InetSocketAddress address, List<AutoCloseable> toClose) throws IOException {
      return new Raw(SocketChannel.open(address), toClose);
    }

    static Raw accepted(ServerSocketChannel server, List<AutoCloseable> toClose)
        throws IOException {
      server.socket().setSoTimeout(5_000);
      return new Raw(server.socket().accept().getChannel(), toClose);
    }

    void handshake(ClusterKey key, boolean dialer) throws IOException {
      (dialer ? dialing(key) : accepting(key)).run(in, out);
    }

    /** What the handshake agreed on; frames travel in sealed records when it tags. */
    FrameProtection protection = FrameProtection.none();

    /** Frames of records read but not yet returned. */
    private final java.util.ArrayDeque<Frame> unread = new java.util.ArrayDeque<>();

    void frame(int type, byte[] payload) throws IOException {
      byte[] frame = ConnectionTest.frame(type, payload);
      write(protection.tagged() ? record(frame) : frame);
    }

    /** Returns {@code frames} as one sealed record. */
    byte[] record(byte[] frames) {
      ByteBuffer b = ByteBuffer.allocate(4 + frames.length + FrameProtection.TAG);
      b.putInt(frames.length).put(frames);
      protection.seal(b, 4, 4 + frames.length);
      return b.array();
    }

    void write(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
    }

    byte[] read(int n) throws IOException {
      byte[] bytes = new byte[n];
      in.readFully(bytes);
      return bytes;
    }

    Frame readFrame() throws IOException {
      if (protection.tagged()) {
        while (unread.isEmpty()) {
          int length = in.readInt();
          ByteBuffer body = ByteBuffer.wrap(read(length + FrameProtection.TAG));
          protection.open(body, 0, length);
          body.limit(length);
          while (body.hasRemaining()) {
            int frameLength = body.getInt();
            int type = body.get() & 0xFF;
            byte[] payload = new byte[frameLength - 1];
            body.get(payload);
            unread.add(new Frame(type, payload));
          }
        }
        return unread.poll();
      }
      int length = in.readInt();
      int type = in.readUnsignedByte();
      return new Frame(type, read(length - 1));
    }

    void awaitEof() throws IOException {
      try {
        while (in.read() >= 0) {
          // Drop what came before the close (heartbeats).
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError("still open after 5 s", e);
      } catch (EOFException e) {
        // Closed.
      } catch (IOException e) {
        // Reset: also closed.
      }
    }
  }
}
