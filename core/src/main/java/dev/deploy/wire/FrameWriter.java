package dev.deploy.wire;

import dev.deploy.security.FrameProtection;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes length-prefixed frames (see {@link FrameReader}) to a blocking stream. Thread safe: a lock
 * keeps frames whole when several threads write. {@link #writeLast} ends the stream: after it no
 * frame is written ({@link #write} throws {@link EndedException}, {@link #tryWrite} skips). Under a
 * {@link FrameProtection} that tags, each frame's type and payload are sealed as one record and its
 * tag follows the payload.
 */
public final class FrameWriter {
  private final OutputStream out;
  private final FrameProtection protection;
  private final ReentrantLock lock = new ReentrantLock();

  /** Set by {@link #writeLast} once its frame is written; written under lock. */
  private volatile boolean ended;

  /**
   * When the frame being written last moved (on {@link #clock}, never 0): when it began, or when
   * {@link #out} last took a {@link #SLICE} of it; 0 when none is being written.
   */
  private volatile long writingSince;

  /** The clock of {@link #writingSince}, in nanoseconds. */
  private final java.util.function.LongSupplier clock;

  /**
   * Frames go to {@link #out} in pieces of at most this, so a large one on a slow link shows its
   * progress: a write that moves is not a stuck one.
   */
  static final int SLICE = 16 << 10;

  /** A write after the end of the stream: a caller's mistake to ignore, not a broken connection. */
  public static final class EndedException extends IOException {
    private static final long serialVersionUID = 1L;

    EndedException() {
      super("the stream was ended");
    }
  }

  /** What ends the output after the last frame, such as a half-close of the socket. */
  @FunctionalInterface
  public interface End {
    void run() throws IOException;
  }

  /** Writes to {@code out}, which must already be authenticated, with no protection. */
  public FrameWriter(OutputStream out) {
    this(out, FrameProtection.none());
  }

  /**
   * Writes to {@code out}, which must already be authenticated, sealing with {@code protection}.
   */
  public FrameWriter(OutputStream out, FrameProtection protection) {
    this(out, protection, System::nanoTime);
  }

  /**
   * As {@link #FrameWriter(OutputStream, FrameProtection)}, telling {@link #writingSince} on {@code
   * clock} (nanoseconds, like {@link System#nanoTime}).
   */
  public FrameWriter(
      OutputStream out, FrameProtection protection, java.util.function.LongSupplier clock) {
    this.out = out;
    this.protection = protection;
    this.clock = clock;
  }

  /**
   * Writes one frame and flushes it.
   *
   * @throws IllegalArgumentException when the payload is over the frame limit
   */
  public void write(int type, byte[] payload) throws IOException {
    lock.lock();
    try {
      writeLocked(type, payload);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Writes one frame only if no other thread is writing now; returns whether it did. For messages
   * that may be skipped (a ping), so a writer stuck on a full socket holds up nobody else.
   */
  public boolean tryWrite(int type, byte[] payload) throws IOException {
    return lock.tryLock() && writeHeld(type, payload);
  }

  /**
   * Writes one frame if the frame another thread is writing ends within {@code timeoutNanos};
   * returns whether it did. For a message that must not wait behind a stuck writer but should not
   * be lost to a short one either (the user's Ctrl-C arriving while a ping is written). An
   * interrupt while waiting gives up: false, the interrupt kept.
   */
  public boolean tryWrite(int type, byte[] payload, long timeoutNanos) throws IOException {
    try {
      if (!lock.tryLock(timeoutNanos, java.util.concurrent.TimeUnit.NANOSECONDS)) {
        return false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return writeHeld(type, payload);
  }

  /** Writes one frame unless the stream ended, with the lock taken; releases it. */
  private boolean writeHeld(int type, byte[] payload) throws IOException {
    try {
      if (ended) {
        return false;
      }
      writeLocked(type, payload);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Writes one last frame and ends the stream with {@code end}, after any frame being written is
   * whole and before any other; returns false when the stream had already ended.
   */
  public boolean writeLast(int type, byte[] payload, End end) throws IOException {
    lock.lock();
    try {
      if (ended) {
        return false;
      }
      writeLocked(type, payload);
      ended = true;
      end.run();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Returns whether {@link #writeLast} wrote its frame: the stream is ended. */
  public boolean isEnded() {
    return ended;
  }

  /**
   * Returns when the frame being written last moved (its start, or the last {@link #SLICE} the
   * stream took, on the writer's clock), or 0 when none is being written: a write that does not
   * move means a peer that does not read, while a slow one that moves is a live link.
   */
  public long writingSince() {
    return writingSince;
  }

  /** Returns whether a thread waits to write; for tests. */
  boolean hasWaitingWriters() {
    return lock.hasQueuedThreads();
  }

  /** Call only when holding lock. */
  private void writeLocked(int type, byte[] payload) throws IOException {
    if (ended) {
      throw new EndedException();
    }
    int length = payload.length + 1;
    if (length > FrameReader.MAX_FRAME) {
      throw new IllegalArgumentException(
          "a frame of "
              + payload.length
              + " bytes is over the limit of "
              + (FrameReader.MAX_FRAME - 1));
    }
    byte[] header = {
      (byte) (length >>> 24),
      (byte) (length >>> 16),
      (byte) (length >>> 8),
      (byte) length,
      (byte) type
    };
    moved();
    try {
      if (protection.tagged()) {
        ByteBuffer record =
            ByteBuffer.allocate(header.length + payload.length + FrameProtection.TAG);
        record.put(header).put(payload);
        protection.seal(record, 4, header.length + payload.length);
        writeSliced(record.array());
      } else {
        out.write(header);
        writeSliced(payload);
      }
      out.flush();
    } finally {
      writingSince = 0;
    }
  }

  /** Writes {@code bytes} a {@link #SLICE} at a time, noting each as progress. */
  private void writeSliced(byte[] bytes) throws IOException {
    for (int off = 0; off < bytes.length; off += SLICE) {
      out.write(bytes, off, Math.min(SLICE, bytes.length - off));
      moved();
    }
  }

  /** Notes that the frame being written moved now. */
  private void moved() {
    long now = clock.getAsLong();
    writingSince = now == 0 ? 1 : now;
  }
}
