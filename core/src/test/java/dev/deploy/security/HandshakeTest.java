package dev.deploy.security;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs {@link Handshake} against an honest peer and against peers that misbehave, over loopback
 * sockets and over pipes. Each side runs on its own thread; every read has a socket timeout or a
 * closed peer, and every test a {@link Timeout}, so a test that would hang fails instead.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HandshakeTest {
  private static final int HELLO = 4 + 1 + Handshake.NONCE;
  private static final byte DIALER = 'D';
  private static final byte ACCEPTOR = 'A';
  private static final int READ_TIMEOUT_MILLIS = 5_000;

  private final ClusterKey key = ClusterKey.generate();
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  /** How the two ends of a connection are joined. */
  enum Transport {
    SOCKET,
    PIPE
  }

  /** One end of a connection. */
  private interface End extends AutoCloseable {
    InputStream in();

    OutputStream out();

    /** Tells the other end that nothing more comes, as a half-close. */
    void shutdownOutput() throws IOException;

    @Override
    void close() throws IOException;
  }

  private record SocketEnd(Socket socket, InputStream in, OutputStream out) implements End {
    @Override
    public void shutdownOutput() throws IOException {
      socket.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private record PipeEnd(PipedInputStream in, PipedOutputStream out) implements End {
    @Override
    public void shutdownOutput() throws IOException {
      out.close();
    }

    @Override
    public void close() throws IOException {
      out.close();
      in.close();
    }
  }

  /** The two ends of one connection: the one that dialled and the one that accepted. */
  private record Link(End dialer, End acceptor) {}

  @AfterEach
  void tearDown() throws Exception {
    threads.shutdownNow();
    for (AutoCloseable c : toClose) {
      c.close();
    }
    assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void givenSameKey_whenBothSidesRun_thenBothSucceed(Transport transport) throws Exception {
    Link link = open(transport);

    Future<?> dialer = handshakeAsync(key, link.dialer(), true);
    Future<?> acceptor = handshakeAsync(ClusterKey.fromHex(key.toHex()), link.acceptor(), false);

    assertThat(outcome(dialer)).isNull();
    assertThat(outcome(acceptor)).isNull();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void givenDifferentKeys_whenBothSidesRun_thenBothFailAuthentication(Transport transport)
      throws Exception {
    Link link = open(transport);

    Future<?> dialer = handshakeAsync(key, link.dialer(), true);
    Future<?> acceptor = handshakeAsync(ClusterKey.generate(), link.acceptor(), false);

    assertThat(outcome(dialer))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("cluster key");
    assertThat(outcome(acceptor))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("cluster key");
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void givenBothSidesClaimToHaveDialled_whenRun_thenBothFailAuthentication(Transport transport)
      throws Exception {
    Link link = open(transport);

    Future<?> one = handshakeAsync(key, link.dialer(), true);
    Future<?> other = handshakeAsync(key, link.acceptor(), true);

    assertThat(outcome(one)).isInstanceOf(AuthenticationException.class);
    assertThat(outcome(other)).isInstanceOf(AuthenticationException.class);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void givenPeerSendsFrameRightAfterItsProof_whenHandshakeSucceeds_thenFrameIsLeftUnread(
      Transport transport) throws Exception {
    Link link = open(transport);
    byte[] frame = "first frame".getBytes(US_ASCII);
    Future<?> peer =
        threads.submit(
            () -> {
              byte[] nonce = randomNonce();
              link.dialer().out().write(hello(Handshake.MAGIC, Handshake.VERSION, nonce));
              byte[] ours = readFully(link.dialer().in(), HELLO);
              byte[] ourNonce = Arrays.copyOfRange(ours, 5, HELLO);
              link.dialer()
                  .out()
                  .write(concat(Handshake.proof(key, DIALER, nonce, ourNonce), frame));
              link.dialer().out().flush();
              return null;
            });

    Handshake.run(key, link.acceptor().in(), link.acceptor().out(), false);

    assertThat(outcome(peer)).isNull();
    assertThat(readFully(link.acceptor().in(), frame.length)).isEqualTo(frame);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void givenPeerSendsRandomBytes_whenHandshake_thenAuthenticationFails(Transport transport)
      throws Exception {
    Link link = open(transport);
    byte[] noise = new byte[200];
    new Random(7).nextBytes(noise);
    noise[0] = 0x13;

    Future<?> ours = handshakeAsync(key, link.acceptor(), false);
    sendAndHalfClose(link.dialer(), noise);

    assertThat(outcome(ours))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("does not speak deploy");
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void givenPeerSendsTruncatedHelloThenCloses_whenHandshake_thenAuthenticationFails(
      Transport transport) throws Exception {
    Link link = open(transport);
    byte[] truncated = Arrays.copyOf(hello(Handshake.MAGIC, Handshake.VERSION, randomNonce()), 20);

    Future<?> ours = handshakeAsync(key, link.dialer(), true);
    sendAndHalfClose(link.acceptor(), truncated);

    assertThat(outcome(ours))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("closed");
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void givenPeerClosesWithoutSendingAnything_whenHandshake_thenAuthenticationFails(
      Transport transport) throws Exception {
    Link link = open(transport);

    Future<?> ours = handshakeAsync(key, link.acceptor(), false);
    sendAndHalfClose(link.dialer(), new byte[0]);

    assertThat(outcome(ours)).isInstanceOf(AuthenticationException.class);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void givenPeerSpeaksHttp_whenHandshake_thenAuthenticationFailsNamingTheBytes(Transport transport)
      throws Exception {
    Link link = open(transport);
    byte[] http = "GET / HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n".getBytes(US_ASCII);

    Future<?> ours = handshakeAsync(key, link.acceptor(), false);
    sendAndHalfClose(link.dialer(), http);

    assertThat(outcome(ours))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("0x47455420");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 2, 0x7F, -1})
  void givenPeerSpeaksAnotherVersion_whenHandshake_thenAuthenticationFailsNamingIt(int version)
      throws Exception {
    Link link = open(Transport.SOCKET);

    Future<?> ours = handshakeAsync(key, link.acceptor(), false);
    sendAndHalfClose(link.dialer(), hello(Handshake.MAGIC, version, randomNonce()));

    assertThat(outcome(ours))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("version " + (byte) version);
  }

  @Test
  void givenPeerSpeaksAnotherVersionOverPipe_whenHandshake_thenAuthenticationFails()
      throws Exception {
    Link link = open(Transport.PIPE);

    Future<?> ours = handshakeAsync(key, link.dialer(), true);
    sendAndHalfClose(link.acceptor(), hello(Handshake.MAGIC, 2, randomNonce()));

    assertThat(outcome(ours)).isInstanceOf(AuthenticationException.class);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void givenReflectingPeerAgainstDialer_whenHandshake_thenAuthenticationFails(Transport transport)
      throws Exception {
    Link link = open(transport);

    Future<?> ours = handshakeAsync(key, link.dialer(), true);
    Future<?> mirror = reflect(link.acceptor());

    assertThat(outcome(ours))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("echoed");
    assertThat(outcome(mirror)).isNull();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void givenReflectingPeerAgainstAcceptor_whenHandshake_thenAuthenticationFails(Transport transport)
      throws Exception {
    Link link = open(transport);

    Future<?> ours = handshakeAsync(key, link.acceptor(), false);
    Future<?> mirror = reflect(link.dialer());

    assertThat(outcome(ours))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("echoed");
    assertThat(outcome(mirror)).isNull();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void givenPeerThatProvesWithOurRole_whenHandshake_thenAuthenticationFails(Transport transport)
      throws Exception {
    Link link = open(transport);
    Future<?> ours = handshakeAsync(key, link.acceptor(), false);

    byte[] nonce = randomNonce();
    link.dialer().out().write(hello(Handshake.MAGIC, Handshake.VERSION, nonce));
    link.dialer().out().flush();
    byte[] ourNonce = Arrays.copyOfRange(readFully(link.dialer().in(), HELLO), 5, HELLO);
    sendAndHalfClose(link.dialer(), Handshake.proof(key, ACCEPTOR, nonce, ourNonce));

    assertThat(outcome(ours))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("cluster key");
  }

  @Test
  void givenAttackerSwapsNoncesAndProofsBetweenTwoSessions_whenHandshake_thenBothFail()
      throws Exception {
    Link first = open(Transport.PIPE);
    Link second = open(Transport.PIPE);
    Future<?> firstSession = handshakeAsync(key, first.acceptor(), false);
    Future<?> secondSession = handshakeAsync(key, second.acceptor(), false);

    byte[] firstHello = readFully(first.dialer().in(), HELLO);
    byte[] secondHello = readFully(second.dialer().in(), HELLO);
    send(first.dialer(), secondHello);
    send(second.dialer(), firstHello);
    byte[] firstProof = readFully(first.dialer().in(), Handshake.PROOF);
    byte[] secondProof = readFully(second.dialer().in(), Handshake.PROOF);
    sendAndHalfClose(first.dialer(), secondProof);
    sendAndHalfClose(second.dialer(), firstProof);

    assertThat(outcome(firstSession)).isInstanceOf(AuthenticationException.class);
    assertThat(outcome(secondSession)).isInstanceOf(AuthenticationException.class);
  }

  @Test
  void givenRecordedHonestDialer_whenReplayedIntoNewAcceptorSession_thenAuthenticationFails()
      throws Exception {
    Link link = open(Transport.PIPE);
    ByteArrayOutputStream recorded = new ByteArrayOutputStream();
    OutputStream tee = new TeeOutputStream(link.dialer().out(), recorded);
    Future<?> dialer =
        threads.submit(
            () -> {
              Handshake.run(key, link.dialer().in(), tee, true);
              return null;
            });
    Future<?> acceptor = handshakeAsync(key, link.acceptor(), false);
    assertThat(outcome(dialer)).isNull();
    assertThat(outcome(acceptor)).isNull();
    assertThat(recorded.size()).isEqualTo(HELLO + Handshake.PROOF);

    InputStream replay = new ByteArrayInputStream(recorded.toByteArray());

    assertThatThrownBy(() -> Handshake.run(key, replay, new ByteArrayOutputStream(), false))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("cluster key");
  }

  @Test
  void givenSilentPeerAndSocketTimeout_whenHandshake_thenFailsInsteadOfHanging() throws Exception {
    Link link = open(Transport.SOCKET);
    ((SocketEnd) link.acceptor()).socket().setSoTimeout(200);

    Future<?> ours = handshakeAsync(key, link.acceptor(), false);

    assertThat(outcome(ours)).isInstanceOf(SocketTimeoutException.class);
  }

  @Test
  void givenPeerWithCorrectProofButOneBitFlipped_whenHandshake_thenAuthenticationFails()
      throws Exception {
    Link link = open(Transport.SOCKET);
    Future<?> ours = handshakeAsync(key, link.dialer(), true);

    byte[] nonce = randomNonce();
    send(link.acceptor(), hello(Handshake.MAGIC, Handshake.VERSION, nonce));
    byte[] ourNonce = Arrays.copyOfRange(readFully(link.acceptor().in(), HELLO), 5, HELLO);
    byte[] proof = Handshake.proof(key, ACCEPTOR, nonce, ourNonce);
    proof[31] ^= 1;
    sendAndHalfClose(link.acceptor(), proof);

    assertThat(outcome(ours)).isInstanceOf(AuthenticationException.class);
  }

  @Test
  void givenScriptedPeerWithTheKey_whenHandshake_thenSucceeds() throws Exception {
    Link link = open(Transport.SOCKET);
    Future<?> ours = handshakeAsync(key, link.dialer(), true);

    byte[] nonce = randomNonce();
    send(link.acceptor(), hello(Handshake.MAGIC, Handshake.VERSION, nonce));
    byte[] ourNonce = Arrays.copyOfRange(readFully(link.acceptor().in(), HELLO), 5, HELLO);
    send(link.acceptor(), Handshake.proof(key, ACCEPTOR, nonce, ourNonce));

    assertThat(outcome(ours)).isNull();
    assertThat(readFully(link.acceptor().in(), Handshake.PROOF))
        .isEqualTo(Handshake.proof(key, DIALER, ourNonce, nonce));
  }

  // ---------------------------------------------------------------- helpers

  private Link open(Transport transport) throws IOException {
    return switch (transport) {
      case SOCKET -> openSockets();
      case PIPE -> openPipes();
    };
  }

  private Link openSockets() throws IOException {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    try (ServerSocket server = new ServerSocket(0, 1, loopback)) {
      server.setSoTimeout(READ_TIMEOUT_MILLIS);
      Socket dialer = new Socket();
      toClose.add(dialer);
      dialer.connect(new InetSocketAddress(loopback, server.getLocalPort()), READ_TIMEOUT_MILLIS);
      Socket acceptor = server.accept();
      toClose.add(acceptor);
      dialer.setSoTimeout(READ_TIMEOUT_MILLIS);
      acceptor.setSoTimeout(READ_TIMEOUT_MILLIS);
      return new Link(socketEnd(dialer), socketEnd(acceptor));
    }
  }

  private static SocketEnd socketEnd(Socket socket) throws IOException {
    return new SocketEnd(socket, socket.getInputStream(), socket.getOutputStream());
  }

  private Link openPipes() throws IOException {
    PipedInputStream dialerIn = new PipedInputStream();
    PipedOutputStream acceptorOut = new PipedOutputStream(dialerIn);
    PipedInputStream acceptorIn = new PipedInputStream();
    PipedOutputStream dialerOut = new PipedOutputStream(acceptorIn);
    Link link = new Link(new PipeEnd(dialerIn, dialerOut), new PipeEnd(acceptorIn, acceptorOut));
    toClose.add(link.dialer());
    toClose.add(link.acceptor());
    return link;
  }

  /** Runs the handshake on its own thread; on failure half-closes, as a connection would. */
  private Future<?> handshakeAsync(ClusterKey k, End end, boolean dialer) {
    return threads.submit(
        () -> {
          try {
            Handshake.run(k, end.in(), end.out(), dialer);
          } catch (IOException e) {
            end.shutdownOutput();
            throw e;
          }
          return null;
        });
  }

  /** A peer that sends back whatever it receives: our hello, then our proof if it comes. */
  private Future<?> reflect(End end) {
    return threads.submit(
        () -> {
          DataInputStream in = new DataInputStream(end.in());
          byte[] hello = new byte[HELLO];
          in.readFully(hello);
          send(end, hello);
          byte[] rest = in.readAllBytes();
          sendAndHalfClose(end, rest);
          return null;
        });
  }

  /** Returns null when the future's task succeeded, else what it threw. */
  private static Throwable outcome(Future<?> future) throws Exception {
    try {
      future.get(10, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  private static void send(End end, byte[] bytes) throws IOException {
    end.out().write(bytes);
    end.out().flush();
  }

  private static void sendAndHalfClose(End end, byte[] bytes) throws IOException {
    send(end, bytes);
    end.shutdownOutput();
  }

  private static byte[] readFully(InputStream in, int n) throws IOException {
    byte[] bytes = new byte[n];
    new DataInputStream(in).readFully(bytes);
    return bytes;
  }

  private static byte[] hello(int magic, int version, byte[] nonce) {
    byte[] hello = new byte[HELLO];
    hello[0] = (byte) (magic >>> 24);
    hello[1] = (byte) (magic >>> 16);
    hello[2] = (byte) (magic >>> 8);
    hello[3] = (byte) magic;
    hello[4] = (byte) version;
    System.arraycopy(nonce, 0, hello, 5, Handshake.NONCE);
    return hello;
  }

  private static byte[] randomNonce() {
    byte[] nonce = new byte[Handshake.NONCE];
    new Random().nextBytes(nonce);
    return nonce;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  /** Writes to {@code out} and keeps a copy of everything written. */
  private static final class TeeOutputStream extends OutputStream {
    private final OutputStream out;
    private final ByteArrayOutputStream copy;

    TeeOutputStream(OutputStream out, ByteArrayOutputStream copy) {
      this.out = out;
      this.copy = copy;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      copy.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      copy.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }
}
