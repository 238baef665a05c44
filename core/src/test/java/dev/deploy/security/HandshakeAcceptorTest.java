package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.security.Handshake.Role;
import dev.deploy.testing.ManualClock;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link HandshakeAcceptor} over loopback sockets, driven by the test thread's {@code runOnce} on a
 * manual clock: hand-off, leftover bytes, deadline, caps, failures and what is logged.
 */
@Timeout(20)
class HandshakeAcceptorTest {
  private final ClusterKey key = ClusterKey.generate();
  private final ManualClock clock = new ManualClock();
  private final List<String> warnings = new ArrayList<>();
  private final BlockingQueue<Socket> served = new LinkedBlockingQueue<>();
  private final BlockingQueue<Handshake> handshakes = new LinkedBlockingQueue<>();
  private final List<AutoCloseable> open = new ArrayList<>();
  private ServerSocketChannel server;
  private HandshakeAcceptor acceptor;

  /** Thread factory the acceptor uses for handlers; a test may make it fail. */
  private ThreadFactory threads =
      r -> {
        Thread t = new Thread(r, "test-handler");
        t.setDaemon(true);
        return t;
      };

  /** The handshake factory; a test may make it fail. */
  private HandshakeAcceptor.Handshakes factory =
      socket ->
          Handshake.acceptor(
              Role.WORKER,
              Handshake.Acceptance.daemon(
                  Role.MASTER, key, (InetSocketAddress) socket.getLocalSocketAddress(), List.of()),
              FrameProtection.Mode.NONE);

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    for (Socket s : served) {
      s.close();
    }
    if (acceptor != null) {
      acceptor.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private void listen(HandshakeAcceptor.Limits limits) throws IOException {
    server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    acceptor =
        new HandshakeAcceptor(
            server,
            "the test port",
            socket -> factory.forSocket(socket),
            (socket, handshake) -> {
              handshakes.add(handshake);
              served.add(socket);
            },
            r -> threads.newThread(r),
            limits,
            clock,
            warnings::add);
  }

  private InetSocketAddress address() throws IOException {
    return (InetSocketAddress) server.getLocalAddress();
  }

  /** Runs rounds until {@code done}; fails after 15 s of real time rather than spin on. */
  private void driveUntil(BooleanSupplier done) throws IOException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("the condition did not hold within 15 s");
      }
      acceptor.runOnce(10);
    }
  }

  /** Returns 127.0.0.2, another machine's address to the port; aborts where it cannot be bound. */
  private static InetAddress otherMachine() throws IOException {
    InetAddress other = InetAddress.getByName("127.0.0.2");
    try (Socket probe = new Socket()) {
      probe.bind(new InetSocketAddress(other, 0));
    } catch (IOException e) {
      Assumptions.abort("this machine cannot bind 127.0.0.2: " + e.getMessage());
    }
    return other;
  }

  private Socket connect() throws IOException {
    return connectFrom(null);
  }

  private Socket connectFrom(InetAddress source) throws IOException {
    Socket s = new Socket();
    open.add(s);
    if (source != null) {
      s.bind(new InetSocketAddress(source, 0));
    }
    s.connect(address(), 5_000);
    s.setSoTimeout(5_000);
    return s;
  }

  /** Dials honestly on another thread; completes with the socket once the handshake passed. */
  private CompletableFuture<Socket> dialHonestly() throws IOException {
    Socket s = connect();
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            dialer().run(s.getInputStream(), s.getOutputStream());
            return s;
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        },
        dev.deploy.testing.TestThreads.POOL);
  }

  private Handshake dialer() throws IOException {
    return Handshake.dialer(
        Role.MASTER, key, 0, Role.WORKER, Handshake.target(address()), FrameProtection.Mode.NONE);
  }

  /**
   * Returns whether the acceptor closed {@code s}: a read sees the end (or a reset); reads what
   * waits, without blocking for more.
   */
  private static boolean closedByPeer(Socket s) {
    try {
      s.setSoTimeout(1);
      byte[] buffer = new byte[512];
      while (true) {
        if (s.getInputStream().read(buffer) < 0) {
          return true;
        }
      }
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Test
  void givenHonestDialer_whenItsHandshakePasses_thenTheSocketIsHandedOffBlocking()
      throws Exception {
    listen(HandshakeAcceptor.Limits.DEFAULT);
    acceptor.runOnce(0);
    CompletableFuture<Socket> dialled = dialHonestly();

    driveUntil(() -> !served.isEmpty());

    Socket socket = served.poll(5, TimeUnit.SECONDS);
    Handshake handshake = handshakes.poll();
    assertThat(handshake.done()).isTrue();
    assertThat(handshake.peerRole()).isEqualTo(Role.MASTER);
    assertThat(handshake.deployment()).isZero();
    assertThat(socket.getChannel().isBlocking()).isTrue();
    assertThat(acceptor.inFlight()).isZero();
    Socket client = dialled.get(5, TimeUnit.SECONDS);
    client.getOutputStream().write(42);
    assertThat(socket.getInputStream().read()).isEqualTo(42);
    assertThat(warnings).isEmpty();
  }

  @Test
  void givenBytesRightAfterTheProof_whenHandedOff_thenTheHandlerReadsThemAll() throws Exception {
    listen(HandshakeAcceptor.Limits.DEFAULT);
    Socket client = connect();
    Handshake dialer = dialer();
    OutputStream out = client.getOutputStream();
    out.write(dialer.hello());
    DataInputStream in = new DataInputStream(client.getInputStream());
    byte[] proof = new byte[0];
    while (proof.length == 0) { // the acceptor's hello, then its proof gets ours back
      driveUntil(() -> available(in) > 0);
      byte[] piece = new byte[dialer.needed()];
      in.readFully(piece);
      proof = dialer.receive(piece);
    }
    byte[] after =
        "frames right after the proof".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] both =
        java.nio.ByteBuffer.allocate(proof.length + after.length).put(proof).put(after).array();
    out.write(both); // one write: the acceptor may read them in one go

    driveUntil(() -> !served.isEmpty());

    InputStream handed = served.poll().getInputStream();
    assertThat(new DataInputStream(handed).readNBytes(after.length)).isEqualTo(after);
  }

  private static int available(InputStream in) {
    try {
      return in.available();
    } catch (IOException e) {
      return 1; // the read will say
    }
  }

  @Test
  void givenTrickler_whenTheDeadlinePasses_thenItIsDroppedThoughItKeptSending() throws Exception {
    listen(HandshakeAcceptor.Limits.DEFAULT);
    Socket trickler = connect();
    byte[] hello = dialer().hello();
    driveUntil(() -> acceptor.inFlight() == 1);
    for (int i = 0; i < 9; i++) { // a byte every 9 s: each read is in time, the whole is not
      trickler.getOutputStream().write(hello[i]);
      clock.advance(Duration.ofSeconds(1));
      acceptor.runOnce(10);
      assertThat(acceptor.inFlight()).isEqualTo(1);
    }
    clock.advance(Duration.ofMillis(1000));

    acceptor.runOnce(10);

    assertThat(acceptor.inFlight()).isZero();
    driveUntil(() -> closedByPeer(trickler));
    assertThat(warnings).singleElement().asString().contains("did not authenticate within 10 s");
  }

  @Test
  void givenTheCapOfSlowOnesFromOneAddress_whenTheNextArrives_thenTheOldestOfItIsDropped()
      throws Exception {
    InetAddress other = otherMachine();
    listen(new HandshakeAcceptor.Limits(Duration.ofSeconds(10), 64, 8));
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      sockets.add(connectFrom(other));
    }
    driveUntil(() -> acceptor.inFlight() == 8);
    clock.advance(Duration.ofSeconds(2)); // slow now: past the grace
    Socket ninth = connectFrom(other);
    acceptor.runOnce(100);
    driveUntil(() -> acceptor.inFlight() == 8 && closedByPeer(sockets.get(0)));

    assertThat(acceptor.inFlight()).isEqualTo(8);
    assertThat(warnings)
        .singleElement()
        .asString()
        .contains("more than 8 slow handshakes from one address");
    CompletableFuture<Socket> honest = dialHonestly();
    driveUntil(honest::isDone);
    assertThat(honest.get()).as("the newest passes").isNotNull();
    assertThat(closedByPeer(ninth)).isFalse();
  }

  /**
   * Fifty JVMs of this machine, on a loaded host, each take longer than the grace to prove the key:
   * connections from the port's own address are never dropped for being slow.
   */
  @Test
  void givenManySlowOnesFromThePortsOwnAddress_whenMoreArrive_thenNoneIsDropped() throws Exception {
    listen(new HandshakeAcceptor.Limits(Duration.ofSeconds(60), 64, 8));
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      sockets.add(connect());
      driveUntil(() -> acceptor.inFlight() == sockets.size());
      clock.advance(Duration.ofSeconds(2)); // each one slow before the next arrives
    }

    acceptor.runOnce(100);

    assertThat(acceptor.inFlight()).isEqualTo(12);
    assertThat(sockets).noneMatch(HandshakeAcceptorTest::closedByPeer);
    assertThat(warnings).isEmpty();
  }

  /** Twenty processes of one machine dial their fabric at once: none is dropped for it. */
  @Test
  void givenABurstOfYoungOnesFromOneAddress_whenMoreThanTheCapArrive_thenNoneIsDropped()
      throws Exception {
    listen(new HandshakeAcceptor.Limits(Duration.ofSeconds(10), 64, 8));
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      sockets.add(connect());
    }

    driveUntil(() -> acceptor.inFlight() == 20);

    for (Socket s : sockets) {
      assertThat(closedByPeer(s)).isFalse();
    }
    assertThat(warnings).isEmpty();
  }

  @Test
  void givenTheListenerFull_whenAnotherAddressArrives_thenTheBusiestAddressLosesItsOldest()
      throws Exception {
    InetAddress other = InetAddress.getByName("127.0.0.2");
    try (Socket probe = new Socket()) {
      probe.bind(new InetSocketAddress(other, 0));
    } catch (IOException e) {
      Assumptions.abort("this machine cannot bind 127.0.0.2: " + e.getMessage());
    }
    listen(new HandshakeAcceptor.Limits(Duration.ofSeconds(10), 3, 2));
    Socket busyOldest = connectFrom(other);
    connectFrom(other);
    Socket quiet = connect();
    driveUntil(() -> acceptor.inFlight() == 3);

    connect();
    driveUntil(() -> closedByPeer(busyOldest));

    assertThat(acceptor.inFlight()).isEqualTo(3);
    assertThat(closedByPeer(quiet)).isFalse();
    assertThat(warnings).singleElement().asString().contains("more than 3 handshakes at once");
  }

  @Test
  void givenABareConnectThatCloses_whenSeen_thenNothingIsWarned() throws Exception {
    listen(HandshakeAcceptor.Limits.DEFAULT);
    Socket check = connect();
    driveUntil(() -> acceptor.inFlight() == 1);

    check.close();
    driveUntil(() -> acceptor.inFlight() == 0);

    assertThat(warnings).isEmpty();
  }

  @Test
  void givenABareConnectResetBeforeItIsAdmitted_whenSeen_thenNothingIsWarned() throws Exception {
    listen(HandshakeAcceptor.Limits.DEFAULT);
    Socket check = connect();
    check.setSoLinger(true, 0); // closing resets: what a health check that aborts does
    check.close();
    Socket after = connect(); // admitted after the first, so the first was seen by then

    driveUntil(() -> acceptor.inFlight() == 1);
    after.close();
    driveUntil(() -> acceptor.inFlight() == 0);

    assertThat(warnings).isEmpty();
  }

  @Test
  void givenManyRefusalsFromOneAddress_whenLogged_thenOnceUntilTheMinutePasses() throws Exception {
    listen(HandshakeAcceptor.Limits.DEFAULT);
    for (int i = 0; i < 5; i++) {
      Socket s = connect();
      s.getOutputStream()
          .write("GET / HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      driveUntil(() -> closedByPeer(s));
    }
    assertThat(warnings).singleElement().asString().contains("does not speak deploy");

    clock.advance(Duration.ofMinutes(1));
    acceptor.runOnce(10);

    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(1)).startsWith("the same happened 4 more times");
  }

  @Test
  void givenNoThreadForAnAuthenticatedSocket_whenHandedOff_thenThatSocketClosesAndAcceptingGoesOn()
      throws Exception {
    AtomicInteger calls = new AtomicInteger();
    ThreadFactory working = threads;
    threads =
        r -> {
          if (calls.incrementAndGet() == 1) {
            throw new OutOfMemoryError("unable to create native thread: test");
          }
          return working.newThread(r);
        };
    listen(HandshakeAcceptor.Limits.DEFAULT);
    CompletableFuture<Socket> first = dialHonestly();
    driveUntil(() -> calls.get() == 1);
    Socket refused = first.get(5, TimeUnit.SECONDS);
    driveUntil(() -> closedByPeer(refused));

    CompletableFuture<Socket> second = dialHonestly();
    driveUntil(() -> !served.isEmpty());

    assertThat(second.get(5, TimeUnit.SECONDS).isClosed()).isFalse();
    assertThat(warnings).singleElement().asString().contains("could not start a thread");
  }

  @Test
  void givenAnErrorMakingAHandshake_whenAccepting_thenThatSocketClosesAndAcceptingGoesOn()
      throws Exception {
    HandshakeAcceptor.Handshakes working = factory;
    AtomicInteger calls = new AtomicInteger();
    factory =
        socket -> {
          if (calls.incrementAndGet() == 1) {
            throw new StackOverflowError("test");
          }
          return working.forSocket(socket);
        };
    listen(HandshakeAcceptor.Limits.DEFAULT);
    Socket first = connect();
    driveUntil(() -> closedByPeer(first));

    CompletableFuture<Socket> second = dialHonestly();
    driveUntil(() -> !served.isEmpty());

    assertThat(second.get(5, TimeUnit.SECONDS).isClosed()).isFalse();
    assertThat(warnings).singleElement().asString().contains("could not start a handshake");
  }

  @Test
  void givenAHandlerThatThrows_whenServing_thenItsSocketIsClosed() throws Exception {
    server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    acceptor =
        new HandshakeAcceptor(
            server,
            "the test port",
            factory,
            (socket, handshake) -> {
              throw new IllegalStateException("test");
            },
            threads,
            HandshakeAcceptor.Limits.DEFAULT,
            clock,
            warnings::add);
    CompletableFuture<Socket> dialled = dialHonestly();
    driveUntil(dialled::isDone);
    Socket client = dialled.get();

    driveUntil(() -> closedByPeer(client));
  }
}
