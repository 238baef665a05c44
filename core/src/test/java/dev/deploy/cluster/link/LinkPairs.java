package dev.deploy.cluster.link;

import dev.deploy.wire.FrameReader;
import dev.deploy.wire.FrameWriter;
import dev.deploy.wire.Link;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * Two {@link LinkConnection}s joined by a loopback socket, without handshake or Hellos, for unit
 * tests of the classes that serve a link (a test plays the other side).
 */
public final class LinkPairs {
  private LinkPairs() {}

  /** Two connected ends; closing one ends the other's stream. */
  public record Pair<A extends Link, B extends Link>(
      LinkConnection<A> left, LinkConnection<B> right) implements AutoCloseable {
    @Override
    public void close() {
      left.close();
      right.close();
    }
  }

  /** Returns a pair whose left end decodes with {@code left} and right end with {@code right}. */
  public static <A extends Link, B extends Link> Pair<A, B> of(
      Link.Decoder<A> left, Link.Decoder<B> right) throws IOException {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Socket a = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
      Socket b = server.accept();
      return new Pair<>(over(a, left), over(b, right));
    }
  }

  private static <M extends Link> LinkConnection<M> over(Socket s, Link.Decoder<M> decoder)
      throws IOException {
    s.setTcpNoDelay(true);
    return LinkConnection.over(
        s,
        new FrameReader(new BufferedInputStream(s.getInputStream())),
        new FrameWriter(new BufferedOutputStream(s.getOutputStream())),
        decoder);
  }
}
