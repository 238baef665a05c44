package dev.deploy.security;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.security.Handshake.Role;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs {@link Handshake} over loopback sockets between honest sides, and against the attacks it
 * exists to stop: a relay that crosses a key holder's connection with one it opens to another key
 * holder, replays, reflections, the wrong role or key, and peers that speak something else. Each
 * side runs on its own thread with a socket timeout; every test has a {@link Timeout}.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HandshakeTest {
  private static final int READ_TIMEOUT_MILLIS = 5_000;
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private final ClusterKey key = ClusterKey.generate();
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    threads.shutdownNow();
    assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void givenSameKeyAndRightTarget_whenBothSidesRun_thenBothSucceedWithOneProtection()
      throws Exception {
    ServerSocket server = listen();
    Future<FrameProtection> acceptor = acceptAsync(server, bridge(key, server));
    Socket socket = dial(server);

    FrameProtection dialer =
        client(key, socket, FrameProtection.Mode.INTEGRITY).run(in(socket), out(socket));

    FrameProtection accepted = acceptor.get(10, TimeUnit.SECONDS);
    assertThat(dialer.mode()).isEqualTo(FrameProtection.Mode.INTEGRITY);
    assertThat(accepted.mode()).isEqualTo(FrameProtection.Mode.INTEGRITY);
    ByteBuffer record = record("value");
    dialer.seal(record, 0, 5);
    accepted.open(record, 0, 5);
    assertThat(new String(record.array(), 0, 5, US_ASCII)).isEqualTo("value");
  }

  @Test
  void givenDifferentKeys_whenBothSidesRun_thenBothFailAuthentication() throws Exception {
    ServerSocket server = listen();
    Future<FrameProtection> acceptor = acceptAsync(server, bridge(ClusterKey.generate(), server));
    Socket socket = dial(server);

    assertThatThrownBy(() -> client(key, socket).run(in(socket), out(socket)))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("do not share one cluster key");
    assertThat(outcome(acceptor))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("do not share one cluster key");
  }

  /**
   * The attack of the security review: whoever a key holder dials (here a port the dialler meant
   * for a worker) opens a connection to another key holder's listener and relays every byte both
   * ways. The listener sees the dialler meant another address and refuses before it proves
   * anything, so neither side authenticates and the relay learns no proof it could use.
   */
  @Test
  void givenRelayCrossingDialerWithAnotherListenerOfTheSameKey_whenRun_thenListenerRefuses()
      throws Exception {
    ServerSocket victim = listen();
    Future<FrameProtection> accepted = acceptAsync(victim, bridge(key, victim));
    ServerSocket squatted = listen();
    Future<?> relay = relayAsync(squatted, victim);
    Socket socket = dial(squatted);

    Future<FrameProtection> dialer =
        threads.submit(() -> client(key, socket).run(in(socket), out(socket)));

    assertThat(outcome(accepted))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("meant to reach 127.0.0.1:" + squatted.getLocalPort())
        .hasMessageContaining("this listener is 127.0.0.1:" + victim.getLocalPort());
    assertThat(outcome(dialer)).isInstanceOf(IOException.class);
    relay.cancel(true);
  }

  /** The same relay, where the relay rewrites the target in the hello: the proof covers it. */
  @Test
  void givenRelayThatRewritesTheTarget_whenRun_thenProofFails() throws Exception {
    ServerSocket victim = listen();
    Future<FrameProtection> accepted = acceptAsync(victim, bridge(key, victim));
    ServerSocket squatted = listen();
    byte[] honest = Handshake.target(address(squatted));
    byte[] forged = Handshake.target(address(victim));
    Future<?> relay = relayAsync(squatted, victim, honest, forged);
    Socket socket = dial(squatted);

    Future<FrameProtection> dialer =
        threads.submit(() -> client(key, socket).run(in(socket), out(socket)));

    assertThat(outcome(accepted))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("do not share one cluster key");
    assertThat(outcome(dialer)).isInstanceOf(IOException.class);
    relay.cancel(true);
  }

  @Test
  void givenDialerThatExpectsAnotherRole_whenRun_thenDialerRefusesBeforeItsProof()
      throws Exception {
    ServerSocket server = listen();
    Future<FrameProtection> acceptor = acceptAsync(server, bridge(key, server));
    Socket socket = dial(server);
    Handshake master =
        Handshake.dialer(
            Role.MASTER,
            key,
            0,
            Role.WORKER,
            Handshake.target(address(server)),
            FrameProtection.Mode.NONE);

    assertThatThrownBy(() -> master.run(in(socket), out(socket)))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("it is a bridge (fabric master), not a worker (fabric)");
    socket.close();
    assertThat(outcome(acceptor)).isInstanceOf(IOException.class);
  }

  @Test
  void givenDialerInARoleTheListenerDoesNotTake_whenRun_thenRefused() throws Exception {
    ServerSocket server = listen();
    Future<FrameProtection> acceptor = acceptAsync(server, bridge(key, server));
    Socket socket = dial(server);
    Handshake worker =
        Handshake.dialer(
            Role.WORKER,
            key,
            0,
            Role.BRIDGE,
            Handshake.target(address(server)),
            FrameProtection.Mode.NONE);

    threads.submit(() -> worker.run(in(socket), out(socket)));

    assertThat(outcome(acceptor))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("a worker dialled this listener, which takes a client only");
  }

  @Test
  void givenDeploymentKey_whenDialingADaemon_thenRefusedWhateverTheKey() throws Exception {
    ServerSocket server = listen();
    Future<FrameProtection> acceptor = acceptAsync(server, bridge(key, server));
    Socket socket = dial(server);
    Handshake process =
        Handshake.dialer(
            Role.CLIENT,
            key.forDeployment(42),
            42,
            Role.BRIDGE,
            Handshake.target(address(server)),
            FrameProtection.Mode.NONE);

    threads.submit(() -> process.run(in(socket), out(socket)));

    assertThat(outcome(acceptor))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("takes the cluster key only");
  }

  @Test
  void givenDeploymentKeys_whenDerived_thenDifferFromEachOtherAndFromTheClusterKey() {
    assertThat(key.forDeployment(1)).isNotEqualTo(key).isNotEqualTo(key.forDeployment(2));
    assertThat(key.forDeployment(1)).isEqualTo(ClusterKey.fromHex(key.toHex()).forDeployment(1));
  }

  @Test
  void givenRecordedHonestDialer_whenReplayedIntoNewAcceptorSession_thenAuthenticationFails()
      throws Exception {
    byte[] target = Handshake.target(new InetSocketAddress(LOOPBACK, 7000));
    Handshake acceptor = acceptor(key, target);
    Handshake dialer = client(key, target);
    byte[] dialerHello = dialer.hello();
    byte[] acceptorProof = feed(acceptor, dialerHello);
    byte[] dialerProof = feed(dialer, acceptor.hello());
    feed(dialer, acceptorProof);
    feed(acceptor, dialerProof);
    assertThat(dialer.done()).isTrue();

    Handshake fresh = acceptor(key, target);
    feed(fresh, dialerHello);

    assertThatThrownBy(() -> fresh.receive(dialerProof))
        .isInstanceOf(AuthenticationException.class);
  }

  @Test
  void givenAcceptorsProofReflected_whenAcceptorChecksIt_thenAuthenticationFails()
      throws Exception {
    byte[] target = Handshake.target(new InetSocketAddress(LOOPBACK, 7000));
    Handshake acceptor = acceptor(key, target);
    Handshake dialer = client(key, target);
    byte[] acceptorProof = feed(acceptor, dialer.hello());

    assertThatThrownBy(() -> acceptor.receive(acceptorProof))
        .isInstanceOf(AuthenticationException.class);
  }

  @Test
  void givenPeerEchoesOurHello_whenReceived_thenRefusedAsEcho() {
    Handshake dialer = client(key, new byte[6]);
    byte[] own = dialer.hello();

    assertThatThrownBy(() -> HandshakeStepsTest.feed(dialer, own))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("echoed our nonce");
  }

  @Test
  void givenPeerSpeaksHttp_whenHandshake_thenFailsNamingTheBytes() {
    byte[] http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n0123456789012345678901234".getBytes(US_ASCII);

    assertThatThrownBy(() -> runAgainst(http))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("does not speak deploy (first bytes 0x47455420)");
  }

  @Test
  void givenPeerSpeaksVersionOne_whenHandshake_thenFailsNamingBothVersions() {
    byte[] hello = client(key, new byte[0]).hello();
    hello[4] = 1;

    assertThatThrownBy(() -> runAgainst(hello))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("version 1, this is 3");
  }

  @Test
  void givenPeerClosesMidHello_whenHandshake_thenFailsSayingSo() {
    byte[] hello = client(key, new byte[0]).hello();

    assertThatThrownBy(() -> runAgainst(java.util.Arrays.copyOf(hello, 20)))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("closed the connection during the handshake");
  }

  @Test
  void givenTargetLongerThanAllowed_whenDialerMade_thenRefusedNamingTheLength() {
    assertThatThrownBy(() -> client(key, new byte[Handshake.MAX_TARGET + 1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("" + (Handshake.MAX_TARGET + 1));
  }

  @Test
  void givenOneSideAsksForEncryption_whenDone_thenBothEncrypt() throws Exception {
    byte[] target = Handshake.target(new InetSocketAddress(LOOPBACK, 7000));
    Handshake acceptor =
        Handshake.acceptor(
            Role.BRIDGE,
            Handshake.Acceptance.daemon(
                Role.CLIENT, key, new InetSocketAddress(LOOPBACK, 7000), List.of()),
            FrameProtection.Mode.NONE);
    Handshake dialer =
        Handshake.dialer(Role.CLIENT, key, 0, Role.BRIDGE, target, FrameProtection.Mode.ENCRYPTION);
    byte[] acceptorProof = feed(acceptor, dialer.hello());
    byte[] dialerProof = feed(dialer, acceptor.hello());
    feed(dialer, acceptorProof);
    feed(acceptor, dialerProof);

    FrameProtection a = acceptor.protection();
    FrameProtection d = dialer.protection();
    ByteBuffer record = record("secret");
    d.seal(record, 0, 6);

    assertThat(a.mode()).isEqualTo(FrameProtection.Mode.ENCRYPTION);
    assertThat(new String(record.array(), 0, 6, US_ASCII)).isNotEqualTo("secret");
    a.open(record, 0, 6);
    assertThat(new String(record.array(), 0, 6, US_ASCII)).isEqualTo("secret");
  }

  @Test
  void givenAdvertisedName_whenDialerMeantIt_thenAccepted() throws Exception {
    byte[] advertised = Handshake.target(new InetSocketAddress(LOOPBACK, 9999));
    Handshake acceptor =
        Handshake.acceptor(
            Role.BRIDGE,
            Handshake.Acceptance.daemon(
                Role.CLIENT,
                key,
                new InetSocketAddress(LOOPBACK, 7000),
                List.of(InetSocketAddress.createUnresolved("localhost", 9999))),
            FrameProtection.Mode.NONE);

    byte[] proof = feed(acceptor, client(key, advertised).hello());

    assertThat(proof).hasSize(Handshake.PROOF);
  }

  // ---------------------------------------------------------------- helpers

  /** A deploy client meaning {@code target}. */
  private static Handshake client(ClusterKey key, byte[] target) {
    return Handshake.dialer(Role.CLIENT, key, 0, Role.BRIDGE, target, FrameProtection.Mode.NONE);
  }

  private static Handshake client(ClusterKey key, Socket socket) {
    return client(key, socket, FrameProtection.Mode.NONE);
  }

  private static Handshake client(ClusterKey key, Socket socket, FrameProtection.Mode wish) {
    return Handshake.dialer(
        Role.CLIENT,
        key,
        0,
        Role.BRIDGE,
        Handshake.target((InetSocketAddress) socket.getRemoteSocketAddress()),
        wish);
  }

  /** A bridge's listener whose only name is {@code target}. */
  private static Handshake acceptor(ClusterKey key, byte[] target) {
    return Handshake.acceptor(
        Role.BRIDGE,
        new Handshake.Acceptance() {
          @Override
          public ClusterKey keyFor(Role role, long deployment) {
            return key;
          }

          @Override
          public void checkTarget(byte[] t) throws AuthenticationException {
            if (!java.util.Arrays.equals(t, target)) {
              throw new AuthenticationException("meant another");
            }
          }
        },
        FrameProtection.Mode.NONE);
  }

  /** Returns the acceptance of a bridge listening on {@code server}. */
  private static Handshake.Acceptance bridge(ClusterKey key, ServerSocket server) {
    return Handshake.Acceptance.daemon(Role.CLIENT, key, address(server), List.of());
  }

  /** Feeds a whole message to {@code h} in the pieces it asks for; returns what it answers. */
  private static byte[] feed(Handshake h, byte[] bytes) throws AuthenticationException {
    return HandshakeStepsTest.feed(h, bytes);
  }

  /** Runs an acceptor against a peer that sent {@code bytes} and closed. */
  private void runAgainst(byte[] bytes) throws IOException {
    Handshake.acceptor(
            Role.BRIDGE,
            Handshake.Acceptance.daemon(
                Role.CLIENT, key, new InetSocketAddress(LOOPBACK, 7000), List.of()),
            FrameProtection.Mode.NONE)
        .run(new ByteArrayInputStream(bytes), new ByteArrayOutputStream());
  }

  private static ByteBuffer record(String text) {
    ByteBuffer b = ByteBuffer.allocate(text.length() + FrameProtection.TAG);
    b.put(text.getBytes(US_ASCII));
    return b;
  }

  private ServerSocket listen() throws IOException {
    ServerSocket s = new ServerSocket(0, 8, LOOPBACK);
    toClose.add(s);
    return s;
  }

  private Socket dial(ServerSocket server) throws IOException {
    Socket s = new Socket(LOOPBACK, server.getLocalPort());
    s.setSoTimeout(READ_TIMEOUT_MILLIS);
    toClose.add(s);
    return s;
  }

  private static InetSocketAddress address(ServerSocket server) {
    return new InetSocketAddress(LOOPBACK, server.getLocalPort());
  }

  private static InputStream in(Socket s) throws IOException {
    return s.getInputStream();
  }

  private static OutputStream out(Socket s) throws IOException {
    return s.getOutputStream();
  }

  private Future<FrameProtection> acceptAsync(ServerSocket server, Handshake.Acceptance a) {
    return threads.submit(
        () -> {
          try (Socket s = server.accept()) {
            s.setSoTimeout(READ_TIMEOUT_MILLIS);
            return Handshake.acceptor(Role.BRIDGE, a, FrameProtection.Mode.NONE)
                .run(s.getInputStream(), s.getOutputStream());
          }
        });
  }

  private Future<?> relayAsync(ServerSocket squatted, ServerSocket victim) {
    return relayAsync(squatted, victim, null, null);
  }

  /**
   * Accepts one connection on {@code squatted}, dials {@code victim} and copies bytes both ways;
   * where {@code from} is given, replaces it with {@code to} in what the dialler sends.
   */
  private Future<?> relayAsync(ServerSocket squatted, ServerSocket victim, byte[] from, byte[] to) {
    return threads.submit(
        () -> {
          Socket a = squatted.accept();
          Socket b = new Socket(LOOPBACK, victim.getLocalPort());
          toClose.add(a);
          toClose.add(b);
          threads.submit(
              () -> {
                copy(b.getInputStream(), a.getOutputStream(), null, null);
                a.shutdownOutput(); // the listener hung up: so does the relay
                return null;
              });
          copy(a.getInputStream(), b.getOutputStream(), from, to);
          b.shutdownOutput();
          return null;
        });
  }

  private static Void copy(InputStream in, OutputStream out, byte[] from, byte[] to)
      throws IOException {
    byte[] buffer = new byte[4096];
    int n;
    while ((n = in.read(buffer)) > 0) {
      if (from != null) {
        replace(buffer, n, from, to);
      }
      out.write(buffer, 0, n);
      out.flush();
    }
    return null;
  }

  private static void replace(byte[] buffer, int n, byte[] from, byte[] to) {
    outer:
    for (int i = 0; i + from.length <= n; i++) {
      for (int j = 0; j < from.length; j++) {
        if (buffer[i + j] != from[j]) {
          continue outer;
        }
      }
      System.arraycopy(to, 0, buffer, i, to.length);
    }
  }

  private static Throwable outcome(Future<?> f) throws InterruptedException {
    try {
      f.get(10, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the side did not finish in 10 s", e);
    }
  }
}
