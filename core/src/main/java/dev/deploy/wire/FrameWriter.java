package dev.deploy.wire;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes length-prefixed frames (see {@link FrameReader}) to a blocking stream. Thread safe: a lock
 * keeps frames whole when several threads write.
 */
public final class FrameWriter {
  private final OutputStream out;
  private final ReentrantLock lock = new ReentrantLock();

  /** Writes to {@code out}, which must already be authenticated. */
  public FrameWriter(OutputStream out) {
    this.out = out;
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
    if (!lock.tryLock()) {
      return false;
    }
    try {
      if (finished) {
        return false;
      }
      writeLocked(type, payload);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Set by {@link #finish}; guarded by lock. */
  private boolean finished;

  /** The end of the output, such as a half-close of the socket. */
  @FunctionalInterface
  public interface End {
    void run() throws IOException;
  }

  /**
   * Ends the stream: waits for a frame being written to be whole, runs {@code end}, and refuses
   * every later frame ({@link #write} throws, {@link #tryWrite} skips).
   */
  public void finish(End end) throws IOException {
    lock.lock();
    try {
      if (!finished) {
        finished = true;
        end.run();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Call only when holding lock. */
  private void writeLocked(int type, byte[] payload) throws IOException {
    if (finished) {
      throw new IOException("the stream was ended");
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
    out.write(header);
    out.write(payload);
    out.flush();
  }
}
