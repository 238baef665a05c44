package dev.deploy.e2e.programs.cluster;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Output a client that stops reading must not lose. The first process writes lines to stdout until
 * its writes stall for a second (its client fell behind and the cluster paused the program's
 * output), then tells its child, which prints its last lines on stdout and stderr, leaves its os
 * pid in {@code child.pid} of the directory given as argument and exits 3 at once, while the output
 * is still paused. The first process then stops writing and, once its last write returned, says on
 * stderr how many bytes it wrote, and exits 0.
 *
 * <p>The child prints {@link #CHILD_STDOUT} and {@link #CHILD_STDERR}; the first process {@code
 * wrote <n>} on stderr and n bytes on stdout. A child that says {@code never paused} means the
 * first process wrote {@link #MAX} bytes without a stall.
 */
public final class TailWhilePaused {
  static final int BLOCK = 64 << 10;

  /** More than any pause needs: the bridge pauses past 32 MiB queued for its client. */
  static final long MAX = 512L << 20;

  /** What the child prints on stdout when its cue says the output was paused. */
  public static final String CHILD_STDOUT = lines("paused");

  /** What the child prints on stderr. */
  public static final String CHILD_STDERR = "the child's last warning\n";

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.5));
    Pid child =
        spawn(TailWhilePaused::child, args[0], new Resources(128L << 20, 0.25))
            .orElseThrow(() -> new IllegalStateException("no room for the child"));
    AtomicLong written = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer = new Thread(() -> write(written, stop), "writer");
    writer.start();
    boolean stalled = awaitStall(written);
    try (Sender<String> cue = new Sender<>(child)) {
      cue.send(stalled ? "paused" : "never paused");
    }
    stop.set(true);
    writer.join();
    System.err.println("wrote " + written.get());
  }

  /** Writes blocks of lines to fd 1 until told to stop or {@link #MAX} is written. */
  private static void write(AtomicLong written, AtomicBoolean stop) {
    byte[] block = new byte[BLOCK];
    for (int i = 0; i < BLOCK; i++) {
      block[i] = (byte) (i % 64 == 63 ? '\n' : 'a' + i % 26);
    }
    OutputStream out = new FileOutputStream(FileDescriptor.out);
    try {
      while (!stop.get() && written.get() < MAX) {
        out.write(block);
        written.addAndGet(BLOCK);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns true once no write returned for a second, false when all of MAX was written. */
  private static boolean awaitStall(AtomicLong written) throws InterruptedException {
    long last = -1;
    long since = System.nanoTime();
    while (written.get() < MAX) {
      long now = System.nanoTime();
      long w = written.get();
      if (w != last) {
        last = w;
        since = now;
      } else if (w > 0 && now - since > 1_000_000_000L) {
        return true;
      }
      Thread.sleep(20);
    }
    return false;
  }

  static void child(Pid parent, String directory) throws Exception {
    String cue;
    try (Receiver<String> in = new Receiver<>(parent)) {
      cue = in.recv();
    }
    String lines = lines(cue);
    int first = lines.indexOf('\n') + 1;
    System.out.print(lines.substring(0, first));
    System.out.flush();
    // A pump blocked in a read when the output was paused takes that first line; what comes
    // after it is left for a pump that waits at the paused gate, as a late line usually is.
    Thread.sleep(500);
    System.out.print(lines.substring(first));
    System.err.print(CHILD_STDERR);
    System.out.flush();
    System.err.flush();
    Path dir = Path.of(directory);
    Path tmp = Files.writeString(dir.resolve("child.pid.tmp"), "" + ProcessHandle.current().pid());
    Files.move(tmp, dir.resolve("child.pid"), StandardCopyOption.ATOMIC_MOVE);
    System.exit(3);
  }

  private static String lines(String cue) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      s.append("last words ").append(i).append(" (").append(cue).append(")\n");
    }
    return s.toString();
  }
}
