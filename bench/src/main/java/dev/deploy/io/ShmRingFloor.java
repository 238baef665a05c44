package dev.deploy.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The floor under one-way small values over shared memory: a bare {@link ShmRing} between two JVMs,
 * no channel, no codec, no lock. The parent creates a {@link ShmFile} and starts a child (this
 * class, {@code child NAME COUNT}) that maps it and spins on the ring, counting 8-byte records (a
 * frame header and a {@code long}, 13 bytes, as a {@code Long}'s DATA frame is about). The parent
 * writes {@code COUNT} records: one commit (and fence) per record, as a {@code send} does, then
 * again with one commit per claimed run of records. Time: first record to the child's answer (its
 * count, on stdout). In package {@code dev.deploy.io} for the ring's package-private API; a bench,
 * not part of the runtime.
 *
 * <pre>
 * java -cp cli/target/deploy.jar:bench/target/classes dev.deploy.io.ShmRingFloor [count]
 * </pre>
 */
public final class ShmRingFloor {
  private static final int TYPE = 7;

  private ShmRingFloor() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(args[1], Long.parseLong(args[2]), Mode.valueOf(args[3]));
      return;
    }
    long count = args.length > 0 ? Long.parseLong(args[0]) : 20_000_000L;
    for (int round = 0; round < 2; round++) {
      for (Mode mode : Mode.values()) {
        run(count, mode);
      }
    }
  }

  /** How the parent writes (and the child reads) the records. */
  private enum Mode {
    /** One commit (and fence) per record, as a send does. */
    RECORD("one commit per record"),
    /** One commit per claimed run of records. */
    RUN("one commit per claimed run"),
    /**
     * One commit per record, taken under two uncontended locks as a send takes the peer's and the
     * ring's, and read with a lock and a copy into a new array per record, as a value's arrival and
     * take: the atomics and allocations of the channel's path, without the rest of it.
     */
    LOCKED("one commit per record, 2 locks + 1 array per record each side");

    final String text;

    Mode(String text) {
      this.text = text;
    }
  }

  private static void run(long count, Mode mode) throws Exception {
    boolean batched = mode == Mode.RUN;
    ReentrantLock peerLock = new ReentrantLock();
    ReentrantLock outLock = new ReentrantLock();
    ShmFile file = ShmFile.create();
    Process child =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "-cp",
                System.getProperty("java.class.path"),
                ShmRingFloor.class.getName(),
                "child",
                file.name(),
                Long.toString(count),
                mode.name())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      ShmRing out = file.out(true);
      byte[] ready = child.getInputStream().readNBytes(6); // "ready\n": the child mapped it
      if (ready.length < 6) {
        throw new IOException("the child ended before it mapped the ring");
      }
      long t0 = System.nanoTime();
      long sent = 0;
      while (sent < count) {
        if (mode == Mode.LOCKED) {
          peerLock.lock();
          outLock.tryLock();
        }
        ByteBuffer room = out.claim();
        int wrote = 0;
        while (sent < count && room.remaining() >= Framing.HEADER + 8) {
          room.putInt(Framing.TYPE + 8).put((byte) TYPE).putLong(sent);
          sent++;
          wrote += Framing.HEADER + 8;
          if (!batched) {
            break;
          }
        }
        if (wrote > 0) {
          out.commit(wrote);
        } else if (out.endsAtEnd() && out.wrap()) {
          out.commit(0);
        } else {
          Thread.onSpinWait();
        }
        if (mode == Mode.LOCKED) {
          outLock.unlock();
          peerLock.unlock();
        }
      }
      String answer = new String(child.getInputStream().readAllBytes()).strip();
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "bare ring, 8-byte records, %s: %,.0f records/s (child counted %s)%n",
          mode.text,
          count / seconds,
          answer);
    } finally {
      child.destroyForcibly().waitFor();
      file.unlink();
      file.release();
    }
  }

  private static void child(String name, long count, Mode mode) throws Exception {
    boolean locked = mode == Mode.LOCKED;
    ReentrantLock lock = new ReentrantLock();
    ShmFile file = ShmFile.open(name);
    ShmRing in = file.in(false);
    in.awake();
    System.out.print("ready\n");
    System.out.flush();
    long[] got = {0, 0};
    while (got[0] < count) {
      if (in.read(
              (type, payload) -> {
                if (locked) {
                  byte[] copy = new byte[payload.remaining()];
                  payload.get(copy);
                  lock.lock(); // the arrival's hand-over
                  lock.unlock();
                  lock.lock(); // the take
                  got[0]++;
                  got[1] += copy[0];
                  lock.unlock();
                } else {
                  got[0]++;
                  got[1] += payload.getLong();
                }
              })
          == 0) {
        Thread.onSpinWait();
      }
    }
    System.out.print(got[0] + "\n");
    System.out.flush();
  }
}
