package dev.deploy.testing;

import dev.deploy.util.DaemonThreads;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Where tests run their asynchronous steps ({@code CompletableFuture.runAsync(task,
 * TestThreads.POOL)}): a thread of its own for each step that needs one. Not the default executor:
 * on two cores that is the common pool with a single worker on JDK 25, and a test whose served loop
 * blocks in a socket read there never runs its next step (it hung {@code MasterSessionTest}).
 * Daemon threads, so a step left blocked never holds the test JVM up.
 */
public final class TestThreads {
  /** A cached pool of daemon threads; any thread may use it. */
  public static final ExecutorService POOL =
      Executors.newCachedThreadPool(DaemonThreads.numbered("test-async"));

  private TestThreads() {}
}
