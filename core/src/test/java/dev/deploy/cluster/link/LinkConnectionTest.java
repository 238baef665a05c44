package dev.deploy.cluster.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.security.ClusterKey;
import dev.deploy.wire.FrameReader;
import dev.deploy.wire.FrameWriter;
import dev.deploy.wire.Link;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
    LinkConnection[] pair = pair();
    LinkConnection bridge = pair[0];
    LinkConnection client = pair[1];
    for (int i = 0; i < 20; i++) {
      client.send(new Link.Ping()); // the bridge never reads these
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> bridge.unreadBytes() >= 20 * 5);
    int events = 200;
    for (int i = 0; i < events; i++) {
      bridge.send(new Link.Done(i));
    }

    assertThat(bridge.sendLast(new Link.Done(events))).isTrue();
    assertThat(bridge.sentLast()).isTrue();
    assertThat(bridge.trySend(new Link.Done(-1))).as("nothing after the last").isFalse();
    assertThat(bridge.sendIfFree(new Link.Ping())).isFalse();
    client.send(new Link.Ping()); // a closed socket would answer this with a reset

    for (int i = 0; i <= events; i++) {
      assertThat(client.read()).isEqualTo(new Link.Done(i));
    }
    assertThat(client.read()).as("the end of the stream").isNull();
    assertThat(bridge.closedBecause()).as("still open, for the client's end").isNull();
  }

  @Test
  void givenPeerThatReadsThenCloses_whenReadToEndAndClose_thenItReturnsAtThePeersEnd()
      throws Exception {
    LinkConnection[] pair = pair();
    LinkConnection bridge = pair[0];
    LinkConnection client = pair[1];
    assertThat(bridge.sendLast(new Link.Done(3))).isTrue();
    CompletableFuture<Void> finished = CompletableFuture.runAsync(bridge::readToEndAndClose);
    client.send(new Link.Ping());

    assertThat(client.read()).isEqualTo(new Link.Done(3));
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
    LinkConnection stuck =
        LinkConnection.over(
            socket, new FrameReader(new ByteArrayInputStream(new byte[0])), new FrameWriter(full));
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

  /** Returns a bridge's end (accepted) and a client's end (dialled) of one connection. */
  private LinkConnection[] pair() throws Exception {
    ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    open.add(server);
    CompletableFuture<LinkConnection> accepted =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                Socket s = server.accept();
                return LinkConnection.accept(s, key, Link.Hello.BRIDGE, Link.Hello.DEPLOY);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    LinkConnection client =
        LinkConnection.dial(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()),
            key,
            Link.Hello.DEPLOY,
            Link.Hello.BRIDGE);
    open.add(client);
    LinkConnection bridge = accepted.get(10, TimeUnit.SECONDS);
    open.add(bridge);
    return new LinkConnection[] {bridge, client};
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
                byte[] prefix = {'D', 'P', 'L', 'Y', 2}; // a hello's start, then its nonce
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
                    Link.Hello.MASTER,
                    Link.Hello.WORKER,
                    1_000))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("did not finish its handshake within 1.0 s");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
  }
}
