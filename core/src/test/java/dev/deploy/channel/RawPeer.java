package dev.deploy.channel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.codec.Codec;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.Credential;
import dev.deploy.security.FrameProtection;
import dev.deploy.security.Handshake;
import dev.deploy.testing.LoopbackTables;
import dev.deploy.wire.Frame;
import dev.deploy.wire.MessageOut;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A "process" made of one blocking {@link SocketChannel} that speaks the channel protocol by hand,
 * so a test can play an honest peer, a peer that drops dead, a silent one or a hostile one. Every
 * read has a timeout ({@link #READ_TIMEOUT_MILLIS}), so a peer that never answers fails the test
 * instead of hanging it. It records every byte it writes, for replay.
 *
 * <p>Lives beside the tests of this package because it uses the package's {@link Frames}. Not
 * thread safe: one test thread drives it.
 */
final class RawPeer implements AutoCloseable {
  static final int READ_TIMEOUT_MILLIS = 5_000;

  /** Keys for fake pids: small, so a fake orders below any table's random key. */
  private static final AtomicLong FAKE_KEYS = new AtomicLong(1);

  private final SocketChannel socket;
  private final DataInputStream in;
  private final OutputStream out;

  /** Every byte written, in order. */
  private final ByteArrayOutputStream written = new ByteArrayOutputStream();

  private RawPeer(SocketChannel socket) throws IOException {
    this.socket = socket;
    socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
    socket.socket().setSoTimeout(READ_TIMEOUT_MILLIS);
    InputStream raw = socket.socket().getInputStream();
    this.in = new DataInputStream(raw);
    OutputStream sink = socket.socket().getOutputStream();
    this.out =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            written.write(b, off, len);
            sink.write(b, off, len);
          }
        };
  }

  /** Returns a fake pid that orders below every table's (its port is not listened on). */
  static Pid fakePid() {
    Pid unused = LoopbackTables.unusedPid();
    return Pid.of(unused.host(), unused.port(), FAKE_KEYS.getAndIncrement());
  }

  /** Opens a TCP connection to {@code address}; nothing is sent. */
  static RawPeer connect(Pid table) throws IOException {
    RawPeer p = connect(table.address());
    p.target = table;
    return p;
  }

  /** Connects to {@code address}, with no pid to mean in a handshake. */
  static RawPeer connect(InetSocketAddress address) throws IOException {
    SocketChannel s = SocketChannel.open();
    try {
      s.socket().connect(address, READ_TIMEOUT_MILLIS);
      return new RawPeer(s);
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  /** Waits for a table to dial {@code server} and takes the connection. */
  static RawPeer accept(ServerSocketChannel server) throws IOException {
    server.socket().setSoTimeout(READ_TIMEOUT_MILLIS);
    return new RawPeer(server.socket().accept().getChannel());
  }

  /**
   * Connects to {@code table}, authenticates with {@code key} as the dialler, says it is {@code
   * self} and expects ACCEPT, the way another table would.
   */
  static RawPeer dialAccepted(Pid table, Credential key, Pid self) throws IOException {
    RawPeer p = connect(table);
    try {
      p.handshake(key, true);
      p.ident(self);
      assertThat(p.readFrame().type()).as("answer to IDENT").isEqualTo(Frames.ACCEPT);
      return p;
    } catch (IOException | RuntimeException | AssertionError e) {
      p.close();
      throw e;
    }
  }

  /** Runs the cluster-key handshake ({@code dialer}: as the side that connected). */
  RawPeer handshake(Credential key, boolean dialer) throws IOException {
    Handshake handshake =
        dialer
            ? Handshake.dialer(
                Handshake.Role.PROCESS,
                key.key(),
                key.deployment(),
                Handshake.Role.PROCESS,
                target == null ? new byte[0] : ChannelTable.target(target),
                FrameProtection.Mode.NONE)
            : Handshake.acceptor(Handshake.Role.PROCESS, anyTarget(key), FrameProtection.Mode.NONE);
    handshake.run(in, out);
    return this;
  }

  /** Takes processes of {@code key}'s deployment whatever pid they meant: a stand-in's listener. */
  private static Handshake.Acceptance anyTarget(Credential key) {
    return new Handshake.Acceptance() {
      @Override
      public ClusterKey keyFor(Handshake.Role role, long deployment) {
        return key.key();
      }

      @Override
      public void checkTarget(byte[] target) {}
    };
  }

  /** The table this peer dialled, which its handshake means; null when accepted. */
  private Pid target;

  /** Sends IDENT for {@code pid}. */
  RawPeer ident(Pid pid) throws IOException {
    return frame(Frames.IDENT, new MessageOut().pid(pid).toByteArray());
  }

  /** Sends ACCEPT (as the side a table dialled). */
  RawPeer acceptFrame() throws IOException {
    return frame(Frames.ACCEPT, new byte[0]);
  }

  /** Sends one frame: {@code u32 length, u8 type, payload}. */
  RawPeer frame(int type, byte[] payload) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(5 + payload.length);
    b.putInt(1 + payload.length).put((byte) type).put(payload);
    return raw(b.array());
  }

  /** Sends {@code value}, encoded by the standard codec, as one DATA frame. */
  RawPeer value(Object value) throws IOException {
    return data(Codec.standard().encode(value));
  }

  /** Sends encoded bytes (under one chunk) as one DATA frame with FIRST and LAST. */
  RawPeer data(byte[] encoded) throws IOException {
    byte[] payload = new byte[1 + encoded.length];
    payload[0] = (byte) (Frames.FIRST | Frames.LAST);
    System.arraycopy(encoded, 0, payload, 1, encoded.length);
    return frame(Frames.DATA, payload);
  }

  /** Sends {@code bytes} as they are. */
  RawPeer raw(byte[] bytes) throws IOException {
    out.write(bytes, 0, bytes.length);
    out.flush();
    return this;
  }

  /** Returns this end's address: what the table sees as the connection's remote. */
  java.net.SocketAddress localAddress() throws IOException {
    return socket.getLocalAddress();
  }

  /** Returns every byte written so far. */
  byte[] written() {
    return written.toByteArray();
  }

  /** Reads exactly {@code n} bytes. */
  byte[] read(int n) throws IOException {
    byte[] bytes = new byte[n];
    in.readFully(bytes);
    return bytes;
  }

  /** Reads a dialling table's next frame, past the shared-memory offer it may make first. */
  Frame readFrameAfterOffer() throws IOException {
    Frame f = readFrame();
    return f.type() == Frames.SHM_OFFER ? readFrame() : f;
  }

  Frame readFrame() throws IOException {
    while (true) {
      int length = in.readInt();
      assertThat(length).as("frame length").isBetween(1, 1 << 20);
      int type = in.readUnsignedByte();
      byte[] payload = new byte[length - 1];
      in.readFully(payload);
      if (type != 0) {
        return new Frame(type, payload);
      }
    }
  }

  /** Reads the next frame, heartbeats included. */
  Frame readAnyFrame() throws IOException {
    int length = in.readInt();
    int type = in.readUnsignedByte();
    byte[] payload = new byte[length - 1];
    in.readFully(payload);
    return new Frame(type, payload);
  }

  /** Reads frames until an ACK counting at least {@code count}; returns its count. */
  long awaitAck(long count) throws IOException {
    while (true) {
      Frame f = readFrame();
      if (f.type() == Frames.ACK) {
        long acked = ByteBuffer.wrap(f.payload()).getLong();
        if (acked >= count) {
          return acked;
        }
      }
    }
  }

  /**
   * Returns once the other side has closed or reset the connection, reading and dropping whatever
   * it sent before.
   *
   * @throws AssertionError when it is still open after {@link #READ_TIMEOUT_MILLIS}
   */
  void awaitDropped() {
    byte[] sink = new byte[4096];
    try {
      while (in.read(sink) >= 0) {
        // Discard what came before the close.
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "the connection was still open after " + READ_TIMEOUT_MILLIS + " ms", e);
    } catch (EOFException e) {
      // Closed.
    } catch (IOException e) {
      // Reset: also dropped.
    }
  }

  /** Half-closes: the other side reads EOF after what was sent. */
  void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  /** Closes with a TCP reset instead of a FIN, like a process killed mid-write. */
  void abort() {
    try {
      socket.setOption(StandardSocketOptions.SO_LINGER, 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    close();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closing.
    }
  }
}
