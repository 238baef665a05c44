package dev.deploy.cluster.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.deploy.io.SilenceLimit;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.FrameProtection;
import dev.deploy.testing.ManualClock;
import dev.deploy.wire.ClientLink;
import dev.deploy.wire.FrameReader;
import dev.deploy.wire.FrameWriter;
import dev.deploy.wire.Link;
import dev.deploy.wire.ProtocolException;
import dev.deploy.wire.WorkerLink;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link LinkConnection}'s end of a conversation, over real loopback sockets. */
@Timeout(30)
class LinkConnectionTest {
  private final ClusterKey key = ClusterKey.generate();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  /**
   * The bridge's last words to a deploy client, while the client's pings wait unread on the
   * bridge's side: closing at once resets the connection, and the reset discards, on the client's
   * side, what it has not read yet (seen in CI as a deployment that lost its exit code). On
   * loopback a packet reaches the other socket before the send returns, so no wait is needed for
   * the reset (or the end) to be there when the client reads.
   */
  @Test
  void givenUnreadPingsFromThePeer_whenSendLast_thenThePeerReadsEverythingThenTheEnd()
      throws Exception {
    Pair<ClientLink> pair = pair(ClientLink::decode);
    LinkConnection<ClientLink> bridge = pair.bridge();
    LinkConnection<ClientLink> client = pair.client();
    for (int i = 0; i < 20; i++) {
      client.send(new Link.Ping()); // the bridge never reads these
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> bridge.unreadBytes() >= 20 * 5);
    int events = 200;
    for (int i = 0; i < events; i++) {
      bridge.send(new ClientLink.Done(i));
    }

    assertThat(bridge.sendLast(new ClientLink.Done(events))).isTrue();
    assertThat(bridge.sentLast()).isTrue();
    assertThat(bridge.trySend(new ClientLink.Done(-1))).as("nothing after the last").isFalse();
    assertThat(bridge.sendIfFree(new Link.Ping())).isFalse();
    client.send(new Link.Ping()); // a closed socket would answer this with a reset

    for (int i = 0; i <= events; i++) {
      assertThat(client.read()).isEqualTo(new ClientLink.Done(i));
    }
    assertThat(client.read()).as("the end of the stream").isNull();
    assertThat(bridge.closedBecause()).as("still open, for the client's end").isNull();
  }

  @Test
  void givenPeerThatReadsThenCloses_whenReadToEndAndClose_thenItReturnsAtThePeersEnd()
      throws Exception {
    Pair<ClientLink> pair = pair(ClientLink::decode);
    LinkConnection<ClientLink> bridge = pair.bridge();
    LinkConnection<ClientLink> client = pair.client();
    assertThat(bridge.sendLast(new ClientLink.Done(3))).isTrue();
    CompletableFuture<Void> finished =
        CompletableFuture.runAsync(bridge::readToEndAndClose, dev.deploy.testing.TestThreads.POOL);
    client.send(new Link.Ping());

    assertThat(client.read()).isEqualTo(new ClientLink.Done(3));
    assertThat(client.read()).isNull();
    await()
        .during(300, TimeUnit.MILLISECONDS)
        .atMost(2, TimeUnit.SECONDS)
        .until(() -> !finished.isDone()); // it waits for the client
    client.close();
    finished.get(5, TimeUnit.SECONDS);
  }

  /**
   * The bridge pings every deploy client from one timer thread: a ping that blocks on a client that
   * stopped reading must not hold up the pings (and the 10-s silence checks) of everyone else.
   */
  @Test
  void givenAPingThatBlocks_whenPinging_thenTheSharedTimerKeepsRunning() throws Exception {
    CountDownLatch blocked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    OutputStream full =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            blocked.countDown(); // a socket whose buffer is full and whose peer does not read
            try {
              release.await();
            } catch (InterruptedException e) {
              throw new java.io.InterruptedIOException();
            }
          }
        };
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    Socket socket = new Socket();
    open.add(socket);
    LinkConnection<WorkerLink> stuck =
        LinkConnection.over(
            socket,
            new FrameReader(new ByteArrayInputStream(new byte[0])),
            new FrameWriter(full),
            WorkerLink::decode);
    try {
      stuck.startPings(timer, false);
      assertThat(blocked.await(5, TimeUnit.SECONDS)).as("a ping was written").isTrue();

      CompletableFuture<Boolean> ran = new CompletableFuture<>();
      timer.execute(() -> ran.complete(true));

      assertThat(ran.get(3, TimeUnit.SECONDS)).as("the timer ran the next task").isTrue();
    } finally {
      release.countDown();
      stuck.close();
      timer.shutdownNow();
    }
  }

  /**
   * A 1 MiB jar chunk on a slow link takes longer than the silence limit to write while its bytes
   * keep going: a live link, not a stuck write (it used to be cut once the whole frame had not gone
   * within the limit). Only a write that moved nothing for the limit is cut, and the reason says
   * the configured limit.
   */
  @Test
  void givenLargeWriteThatMovesSlowly_whenLongerThanTheLimitPasses_thenCutOnlyOnceItStops()
      throws Exception {
    ManualClock clock = new ManualClock();
    Semaphore room = new Semaphore(0);
    AtomicLong taken = new AtomicLong();
    OutputStream slow =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            try {
              room.acquire(); // a socket that takes one write per permit: a slow link
            } catch (InterruptedException e) {
              throw new java.io.InterruptedIOException();
            }
            taken.addAndGet(len);
          }
        };
    FrameWriter writer = new FrameWriter(slow, FrameProtection.none(), clock);
    Socket socket = new Socket();
    open.add(socket);
    LinkConnection<WorkerLink> link =
        LinkConnection.over(
            socket,
            new FrameReader(new ByteArrayInputStream(new byte[0])),
            writer,
            WorkerLink::decode,
            SilenceLimit.parse("test", "1s"),
            clock);
    ExecutorService sender = Executors.newSingleThreadExecutor();
    try {
      Future<?> sent =
          sender.submit(
              () -> {
                link.send(new Link.JarChunk("ab".repeat(32), new byte[Link.JAR_CHUNK]));
                return null;
              });
      room.release(); // the header
      await().atMost(5, TimeUnit.SECONDS).until(() -> taken.get() == 5);
      for (int i = 0; i < 10; i++) { // 6 s in all, a slice every 0.6 s
        long before = taken.get();
        clock.advance(Duration.ofMillis(600));
        room.release();
        await().atMost(5, TimeUnit.SECONDS).until(() -> taken.get() > before);
        link.ping();
        assertThat(link.closedBecause()).as("a write that moves, after %d slices", i + 1).isNull();
      }
      assertThat(sent).isNotDone();

      clock.advance(Duration.ofSeconds(1)); // the socket takes nothing more

      link.ping();
      assertThat(link.closedBecause()).isEqualTo("a write to it did not move for 1 s");
    } finally {
      room.release(10_000);
      link.close();
      sender.shutdownNow();
    }
  }

  /** A link's reader takes the configured limit: a peer silent for it is gone. */
  @Test
  void givenSilenceLimitOfOneSecond_whenThePeerSaysNothing_thenReadTimesOut() throws Exception {
    SilenceLimit.set(SilenceLimit.parse("test", "1s"));
    Pair<ClientLink> pair;
    try {
      pair = pair(ClientLink::decode);
    } finally {
      SilenceLimit.set(SilenceLimit.DEFAULT);
    }
    LinkConnection<ClientLink> client = pair.client();

    assertThat(client.silence()).hasToString("1 s");
    assertThatThrownBy(client::read).isInstanceOf(java.net.SocketTimeoutException.class);
  }

  /** A bridge's end (accepted) and a client's end (dialled) of one connection. */
  private record Pair<M extends Link>(
      LinkConnection<ClientLink> bridge, LinkConnection<M> client) {}

  /**
   * Returns a pair whose bridge speaks the deploy-bridge protocol and whose client the protocol of
   * {@code clientDecoder}.
   */
  private <M extends Link> Pair<M> pair(Link.Decoder<M> clientDecoder) throws Exception {
    ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    open.add(server);
    CompletableFuture<LinkConnection<ClientLink>> accepted =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                Socket s = server.accept();
                return LinkConnection.accept(
                    s, key, Link.Role.BRIDGE, Link.Role.DEPLOY, ClientLink::decode);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            dev.deploy.testing.TestThreads.POOL);
    LinkConnection<M> client =
        LinkConnection.dial(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()),
            key,
            Link.Role.DEPLOY,
            Link.Role.BRIDGE,
            clientDecoder);
    open.add(client);
    LinkConnection<ClientLink> bridge = accepted.get(10, TimeUnit.SECONDS);
    open.add(bridge);
    return new Pair<>(bridge, client);
  }

  @Test
  void givenClientThatSendsALaunch_whenTheBridgeReads_thenProtocolExceptionNamingTypeAndProtocol()
      throws Exception {
    Pair<WorkerLink> pair = pair(WorkerLink::decode);

    pair.client().send(new WorkerLink.Launch(1, 2, null, dev.deploy.Resources.DEFAULT, null));

    org.assertj.core.api.Assertions.assertThatThrownBy(pair.bridge()::read)
        .isInstanceOf(ProtocolException.class)
        .hasMessage(
            "message type 23 (Launch) belongs to the master-worker protocol, which the"
                + " deploy-bridge protocol refuses");
  }

  /**
   * A squatter on a worker's port that trickles a byte of a valid-looking hello now and then keeps
   * every read in time: the dialler gives up at its total deadline all the same.
   */
  @Test
  void givenListenerThatTrickles_whenDialled_thenTheDialFailsAtItsDeadline() throws Exception {
    ServerSocket squatter = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    open.add(squatter);
    Thread trickler =
        new Thread(
            () -> {
              try (Socket s = squatter.accept()) {
                byte[] prefix = {'D', 'P', 'L', 'Y', 3}; // a hello's start, then its nonce
                for (int i = 0; i < 40; i++) {
                  s.getOutputStream().write(i < prefix.length ? prefix[i] : i);
                  s.getOutputStream().flush();
                  Thread.sleep(200);
                }
              } catch (IOException | InterruptedException e) {
                // Dropped by the dialler, as it should.
              }
            });
    trickler.setDaemon(true);
    trickler.start();
    long start = System.nanoTime();

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                LinkConnection.dial(
                    new InetSocketAddress(
                        InetAddress.getLoopbackAddress(), squatter.getLocalPort()),
                    key,
                    Link.Role.MASTER,
                    Link.Role.WORKER,
                    WorkerLink::decode,
                    1_000))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("did not finish its handshake within 1.0 s");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
  }
}
