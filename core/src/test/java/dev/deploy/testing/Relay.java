package dev.deploy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;

/**
 * A squatter that relays: accepts one connection on a port a key holder dials, dials a victim
 * listener and copies every byte both ways, recording what the victim said until it hung up. What
 * an attacker without the key can do to turn a key holder's connection into its own. Closes both
 * sockets when either side ends; {@link #close} ends it at once.
 */
public final class Relay implements AutoCloseable {
  private final CompletableFuture<byte[]> fromVictim = new CompletableFuture<>();
  private volatile Socket dialled;
  private volatile Socket onward;

  private Relay() {}

  /** Relays the next connection {@code squatted} accepts to {@code victim}, on its own threads. */
  public static Relay once(ServerSocket squatted, InetSocketAddress victim) {
    Relay r = new Relay();
    Thread t =
        new Thread(
            () -> {
              try {
                squatted.setSoTimeout(15_000);
                r.dialled = squatted.accept();
                r.onward = new Socket(victim.getAddress(), victim.getPort());
                Thread back =
                    new Thread(
                        () -> {
                          ByteArrayOutputStream seen = new ByteArrayOutputStream();
                          try {
                            copy(r.onward.getInputStream(), r.dialled.getOutputStream(), seen);
                          } catch (IOException e) {
                            // A reset: what came before is what the victim said.
                          }
                          r.fromVictim.complete(seen.toByteArray());
                          r.close();
                        },
                        "relay-back");
                back.setDaemon(true);
                back.start();
                copy(
                    r.dialled.getInputStream(),
                    r.onward.getOutputStream(),
                    new ByteArrayOutputStream());
              } catch (IOException e) {
                r.fromVictim.completeExceptionally(e);
              }
            },
            "relay");
    t.setDaemon(true);
    t.start();
    return r;
  }

  /** Completes with every byte the victim sent, once it ended the relayed connection. */
  public CompletableFuture<byte[]> fromVictim() {
    return fromVictim;
  }

  private static void copy(InputStream in, OutputStream out, ByteArrayOutputStream seen)
      throws IOException {
    byte[] buffer = new byte[4096];
    int n;
    while ((n = in.read(buffer)) > 0) {
      seen.write(buffer, 0, n);
      try {
        out.write(buffer, 0, n);
        out.flush();
      } catch (IOException e) {
        // The other side is gone; keep recording this one.
      }
    }
  }

  @Override
  public void close() {
    for (Socket s : new Socket[] {dialled, onward}) {
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // Closing.
        }
      }
    }
  }
}
