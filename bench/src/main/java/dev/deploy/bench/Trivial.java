package dev.deploy.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The baselines: a main that prints the monotonic clock as it starts, and nothing else; or, given a
 * port, one that first dials it on loopback and makes one round trip of 8 bytes (the least any JVM
 * joining a parent over TCP must do) and prints the clock after it.
 */
public final class Trivial {
  public static void main(String[] args) throws IOException {
    if (args.length > 0) {
      InetSocketAddress parent =
          new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
      try (SocketChannel s = SocketChannel.open(parent)) {
        ByteBuffer b = ByteBuffer.allocate(8).putLong(System.nanoTime()).flip();
        while (b.hasRemaining()) {
          s.write(b);
        }
        b.clear();
        while (b.hasRemaining()) {
          if (s.read(b) < 0) {
            throw new IOException("the parent closed the connection");
          }
        }
      }
    }
    System.out.println(System.nanoTime());
  }
}
