package dev.deploy.master;

import dev.deploy.Resources;
import java.util.List;

/**
 * What may still join a {@link Master}, and who hears that spawns wait for room: the master's view
 * of its node providers (Slurm, Kubernetes). Called by the master from any thread; {@link
 * #largestNodes} briefly, before it takes its lock; {@link #queueChanged} after it left it.
 */
public interface Growth {
  /** Nothing more ever joins; nobody listens. */
  Growth NONE = new Growth() {};

  /**
   * Returns the largest node each source could still add (empty: none). A {@code spawnAsync} larger
   * than every node now but within one of these waits instead of failing.
   */
  default List<Resources> largestNodes() {
    return List.of();
  }

  /**
   * The queue of waiting {@code spawnAsync}s changed ({@link Master#waitingResources} says what it
   * holds now). Must not block: hand the work to a thread of your own.
   */
  default void queueChanged() {}
}
