package dev.deploy.e2e.tester;

import java.util.List;

/** Closes what a runner or fixture started. */
public final class CloseAll {
  private CloseAll() {}

  /**
   * Closes every one of {@code started}, the last first, and empties the list; all are tried, the
   * first failure is thrown with the later ones suppressed in it.
   */
  public static void closeAll(List<? extends AutoCloseable> started) {
    RuntimeException first = null;
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        RuntimeException r =
            e instanceof RuntimeException re ? re : new IllegalStateException(e.toString(), e);
        if (first == null) {
          first = r;
        } else {
          first.addSuppressed(r);
        }
      }
    }
    started.clear();
    if (first != null) {
      throw first;
    }
  }
}
