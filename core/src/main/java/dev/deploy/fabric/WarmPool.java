package dev.deploy.fabric;

import dev.deploy.Resources;
import dev.deploy.master.LaunchOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The fabric's JVMs that wait inside {@code init} for a task, by the resources they were started
 * with: started after a spawn of those resources, handed to the next spawn that asks for the same,
 * stopped when idle. How many it aims at per resources is {@link PoolSizing}'s: {@code size} at
 * first, more while spawns find none ready or starting. A spawn that finds none ready takes one
 * still starting (the oldest), which is always sooner than a new JVM. At most {@code startingCap}
 * members start at once (the machine's cores: more do not start sooner, they only slow the run's
 * own JVMs). Each member holds its resources in the master's books from its start until it is
 * handed out or stopped.
 *
 * <p>Thread safe: spawn, control and exit threads call it under its lock; it never blocks.
 */
final class WarmPool {
  /** What a spawn must match to take a member: its program and resources. */
  private record Shape(long program, Resources resources) {
    static Shape of(Launch l) {
      return new Shape(l.order().program(), l.order().resources());
    }

    // Written out, not the record's: those link an invokedynamic call site (ObjectMethods) the
    // first time they run, 4-5 ms in the user's JVM (it has no class-sharing archive of the
    // runtime), and the first time was the run's first spawn, on its way to its JVM's fork.
    @Override
    public boolean equals(Object o) {
      return o instanceof Shape s
          && s.program == program
          && s.resources.memory() == resources.memory()
          && Double.compare(s.resources.cpu(), resources.cpu()) == 0;
    }

    @Override
    public int hashCode() {
      return (Long.hashCode(program) * 31 + Long.hashCode(resources.memory())) * 31
          + Double.hashCode(resources.cpu());
    }
  }

  private final ReentrantLock lock = new ReentrantLock();

  /** JVMs per resources at first; 0 turns the pool off. */
  private final int size;

  /** How many members each shape aims at; guarded by lock. */
  private final PoolSizing<Shape> sizing;

  /** How many members may be starting (not yet registered) at once, over all shapes. */
  private final int startingCap;

  /**
   * Every member (starting or waiting), not yet handed out or ended, oldest start first; guarded by
   * lock.
   */
  private final Set<Launch> members = new LinkedHashSet<>();

  /** Members that registered and wait, oldest first, by resources; guarded by lock. */
  private final Map<Shape, ArrayDeque<Launch>> waiting = new HashMap<>();

  /** When each waiting member last became idle, in nanoTime; guarded by lock. */
  private final Map<Launch, Long> idleSince = new HashMap<>();

  /** Warm starts that failed in a row, by resources; the pool gives up on those after 3. */
  private final Map<Shape, Integer> failures = new HashMap<>();

  /** How long a grown shape goes without a miss before its target steps down by one. */
  static final long SHRINK_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

  /** A pool that starts at {@code size} per resources and grows to four times that. */
  WarmPool(int size) {
    this(
        size,
        Math.min(64, 4 * Math.max(0, size)),
        SHRINK_NANOS,
        Runtime.getRuntime().availableProcessors());
  }

  WarmPool(int size, int max, long shrinkNanos, int startingCap) {
    this.size = Math.max(0, size);
    this.sizing = new PoolSizing<>(this.size, Math.max(this.size, max), shrinkNanos);
    this.startingCap = Math.max(1, startingCap);
  }

  /** Returns whether the pool is on. */
  boolean enabled() {
    return size > 0;
  }

  /**
   * Returns how many more members to start now for {@code program} and {@code resources}: what its
   * target lacks, at most what the cap on starting members leaves.
   */
  int missing(long program, Resources resources) {
    Shape r = new Shape(program, resources);
    lock.lock();
    try {
      if (size == 0 || failures.getOrDefault(r, 0) >= 3) {
        return 0;
      }
      int have = 0;
      for (Launch l : members) {
        if (Shape.of(l).equals(r)) {
          have++;
        }
      }
      int starting = members.size() - idleSince.size();
      return Math.max(0, Math.min(sizing.target(r) - have, startingCap - starting));
    } finally {
      lock.unlock();
    }
  }

  /** Returns how many members of {@code program} for {@code resources} are registered and wait. */
  int waitingCount(long program, Resources resources) {
    lock.lock();
    try {
      ArrayDeque<Launch> queue = waiting.get(new Shape(program, resources));
      return queue == null ? 0 : queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Returns how many members {@code program} aims at for {@code resources} now. */
  int target(long program, Resources resources) {
    lock.lock();
    try {
      return sizing.target(new Shape(program, resources));
    } finally {
      lock.unlock();
    }
  }

  /**
   * A spawn found no member ready or starting at {@code now} (it starts a JVM of its own): the
   * target of its shape grows.
   */
  void missed(long program, Resources resources, long now) {
    lock.lock();
    try {
      sizing.onMiss(new Shape(program, resources), now);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Gives {@code real} to the oldest member of its shape that is still starting, or returns null
   * when none is. The member is no longer the pool's: it runs {@code real} as it registers (see
   * {@link Launch#claim}), and the caller gives its pool reservation back.
   */
  Launch claimStarting(LaunchOrder real) {
    Shape r = new Shape(real.program(), real.resources());
    lock.lock();
    try {
      for (Launch l : members) {
        if (!idleSince.containsKey(l) && Shape.of(l).equals(r) && l.claim(real)) {
          members.remove(l);
          return l;
        }
      }
      return null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Steps the grown targets down (see {@link PoolSizing#shrink}) and removes and returns the
   * waiting members over their shape's target, the longest waiting first.
   */
  List<Launch> removeSurplus(long now) {
    lock.lock();
    try {
      sizing.shrink(now);
      List<Launch> out = new ArrayList<>();
      for (Map.Entry<Shape, ArrayDeque<Launch>> e : waiting.entrySet()) {
        int have = 0;
        for (Launch l : members) {
          if (Shape.of(l).equals(e.getKey())) {
            have++;
          }
        }
        int surplus = have - sizing.target(e.getKey());
        ArrayDeque<Launch> queue = e.getValue();
        while (surplus > 0 && !queue.isEmpty()) {
          Launch l = queue.poll();
          idleSince.remove(l);
          if (members.remove(l)) {
            out.add(l);
            surplus--;
          }
        }
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  /** A member was started. */
  void added(Launch launch) {
    lock.lock();
    try {
      members.add(launch);
    } finally {
      lock.unlock();
    }
  }

  /**
   * A member registered and waits. Returns false when it is no longer a member (the pool was
   * emptied while it started): the caller stops it, since nobody would ever take it.
   */
  boolean ready(Launch launch, long now) {
    lock.lock();
    try {
      if (!members.contains(launch)) {
        return false;
      }
      Shape r = Shape.of(launch);
      waiting.computeIfAbsent(r, k -> new ArrayDeque<>()).add(launch);
      idleSince.put(launch, now);
      failures.remove(r);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes a waiting member for {@code r}, or returns null. The member is no longer the pool's: the
   * caller hands it out and gives its pool reservation back.
   */
  Launch take(long program, Resources resources) {
    Shape r = new Shape(program, resources);
    lock.lock();
    try {
      ArrayDeque<Launch> queue = waiting.get(r);
      while (queue != null && !queue.isEmpty()) {
        Launch l = queue.poll();
        if (l.state() != Launch.State.WARM) {
          // It died and its exit thread has not told us yet: it stays a member so that its
          // ended() still gives its reservation back.
          continue;
        }
        idleSince.remove(l);
        if (members.remove(l)) {
          return l;
        }
      }
      return null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * A launch ended; returns true when it was still a member (so its pool reservation is to be given
   * back). {@code failedToStart} counts towards giving up on its resources.
   */
  boolean ended(Launch launch, boolean failedToStart) {
    lock.lock();
    try {
      if (!members.remove(launch)) {
        return false;
      }
      Shape r = Shape.of(launch);
      ArrayDeque<Launch> queue = waiting.get(r);
      if (queue != null) {
        queue.remove(launch);
      }
      idleSince.remove(launch);
      if (failedToStart) {
        failures.merge(r, 1, Integer::sum);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Removes and returns every member of {@code program}. */
  List<Launch> removeProgram(long program) {
    lock.lock();
    try {
      List<Launch> out = new ArrayList<>();
      for (Launch l : new ArrayList<>(members)) {
        if (l.order().program() == program) {
          members.remove(l);
          idleSince.remove(l);
          ArrayDeque<Launch> queue = waiting.get(Shape.of(l));
          if (queue != null) {
            queue.remove(l);
          }
          out.add(l);
        }
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  /** Removes and returns every member, or those idle since before {@code idleBefore}. */
  List<Launch> removeAll(long idleBefore, boolean onlyIdle) {
    lock.lock();
    try {
      List<Launch> out = new ArrayList<>();
      for (Launch l : new ArrayList<>(members)) {
        Long since = idleSince.get(l);
        if (!onlyIdle || (since != null && since - idleBefore < 0)) {
          members.remove(l);
          idleSince.remove(l);
          ArrayDeque<Launch> queue = waiting.get(Shape.of(l));
          if (queue != null) {
            queue.remove(l);
          }
          out.add(l);
        }
      }
      return out;
    } finally {
      lock.unlock();
    }
  }
}
