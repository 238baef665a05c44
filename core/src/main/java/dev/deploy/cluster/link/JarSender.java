package dev.deploy.cluster.link;

import dev.deploy.wire.Link;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * Sends a jar over a link as {@link Link.JarChunk}s of at most {@link Link#JAR_CHUNK} bytes: what
 * the master does for a worker and the {@code deploy} command for the master. Stateless; the
 * calling thread reads the file and blocks on the link's sends.
 */
public final class JarSender {
  private JarSender() {}

  /**
   * Sends the first {@code size} bytes of {@code file} as the jar {@code sha256}, calling {@code
   * sent} with each chunk's length after it is sent.
   *
   * @throws IOException when the file cannot be read, has fewer than {@code size} bytes (naming
   *     it), or the link fails
   */
  public static void send(
      LinkConnection<? super Link.JarChunk> link,
      String sha256,
      Path file,
      long size,
      LongConsumer sent)
      throws IOException {
    byte[] buffer = new byte[Link.JAR_CHUNK];
    try (InputStream in = Files.newInputStream(file)) {
      long left = size;
      int n;
      while (left > 0 && (n = in.readNBytes(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
        link.send(new Link.JarChunk(sha256, Arrays.copyOf(buffer, n)));
        left -= n;
        sent.accept(n);
      }
      if (left > 0) {
        throw new IOException(file + " shrank while it was being sent");
      }
    }
  }
}
