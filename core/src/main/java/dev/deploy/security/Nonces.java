package dev.deploy.security;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Unpredictable bytes for nonces, keys and pid keys: read from the kernel's {@code /dev/urandom}
 * where there is one (a few microseconds, no provider set-up on a JVM's start-up path), else from
 * {@link SecureRandom}. Thread safe.
 */
public final class Nonces {
  private static final ReentrantLock lock = new ReentrantLock();

  /** Open once on first use; null where the platform has none. Guarded by lock. */
  private static InputStream urandom;

  private static boolean tried;

  /** Created only where /dev/urandom is missing. Guarded by lock. */
  private static SecureRandom fallback;

  private Nonces() {}

  /** Fills {@code bytes} with unpredictable bytes. */
  public static void fill(byte[] bytes) {
    lock.lock();
    try {
      if (!tried) {
        tried = true;
        try {
          urandom = new FileInputStream("/dev/urandom");
        } catch (IOException e) {
          urandom = null;
        }
      }
      if (urandom != null) {
        try {
          int at = 0;
          while (at < bytes.length) {
            int n = urandom.read(bytes, at, bytes.length - at);
            if (n < 0) {
              throw new IOException("/dev/urandom ended");
            }
            at += n;
          }
          return;
        } catch (IOException e) {
          urandom = null;
        }
      }
      if (fallback == null) {
        fallback = new SecureRandom();
      }
      fallback.nextBytes(bytes);
    } finally {
      lock.unlock();
    }
  }

  /** Returns an unpredictable long. */
  public static long nextLong() {
    byte[] b = new byte[8];
    fill(b);
    long v = 0;
    for (byte x : b) {
      v = (v << 8) | (x & 0xFF);
    }
    return v;
  }
}
