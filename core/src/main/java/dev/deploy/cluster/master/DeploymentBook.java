package dev.deploy.cluster.master;

import dev.deploy.bridge.Event;
import dev.deploy.wire.ClientLink;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The deployments a bridge holds, running and finished, and the events each keeps for {@code deploy
 * list} and {@code deploy attach}, within a {@link Retention}. A deployment's spawns, ends of
 * streams and exits are always kept (they are small and make the process tree); its output is kept
 * from the newest back, the oldest dropped first when a bound is reached. A finished deployment is
 * dropped {@link Retention#age()} after its end, or earlier, oldest end first, when all deployments
 * together hold more than {@link Retention#total()} bytes.
 *
 * <p>Thread-safe: one lock guards everything; {@link #read} parks on its condition. Appends come
 * from the deployment's bridge (any thread), reads from each attached client's thread.
 */
final class DeploymentBook {
  /** What an event costs in the book: its output's bytes, plus a fixed overhead. */
  static final long OVERHEAD = 64;

  /** A reader takes at most this many bytes of events per {@link #read}. */
  static final long BATCH = 1L << 20;

  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();

  /** Signalled on every append and end, for readers waiting for more. */
  private final Condition changed = lock.newCondition();

  /** By id, in the order they started. Guarded by lock. */
  private final Map<Long, Kept> kept = new LinkedHashMap<>();

  private Retention retention;

  /** Bytes kept over every deployment. Guarded by lock. */
  private long bytes;

  DeploymentBook(Retention retention, Clock clock) {
    this.retention = retention;
    this.clock = clock;
  }

  /** One deployment's events and state. Fields guarded by the book's lock. */
  static final class Kept {
    final long id;
    final String mainClass;
    final long startedMillis;
    final boolean detached;

    /** Spawns, ends and exits that came before the oldest output kept, by sequence number. */
    private final List<Pinned> pinned = new ArrayList<>();

    /**
     * The events from sequence number {@link #headSeq} on, every one of them, from {@link #first}.
     */
    private final List<Event> window = new ArrayList<>();

    private int first;
    private long headSeq;
    private long nextSeq;
    private long bytes;
    private int alive;
    private int total;
    private boolean stopped;

    /** The exit code once every process ended, else null. */
    private Integer code;

    private long endedMillis;

    Kept(long id, String mainClass, long startedMillis, boolean detached) {
      this.id = id;
      this.mainClass = mainClass;
      this.startedMillis = startedMillis;
      this.detached = detached;
    }
  }

  /** An event kept out of the window, with its sequence number. */
  private record Pinned(long seq, Event event) {}

  /** What a reader got: {@code events} in order, where to read on, and the exit code at the end. */
  record Batch(List<Event> events, long next, Integer code) {
    /** Returns whether the deployment ended and every kept event was read. */
    boolean last() {
      return code != null;
    }
  }

  /** Replaces the bounds; applied from the next event or end on. */
  void setRetention(Retention retention) {
    lock.lock();
    try {
      this.retention = retention;
      trim();
    } finally {
      lock.unlock();
    }
  }

  /** Starts keeping deployment {@code id}; returns its entry. */
  Kept open(long id, String mainClass, boolean detached) {
    lock.lock();
    try {
      expire();
      Kept k = new Kept(id, mainClass, clock.millis(), detached);
      kept.put(id, k);
      return k;
    } finally {
      lock.unlock();
    }
  }

  /** Forgets deployment {@code k} at once (it never started). */
  void remove(Kept k) {
    lock.lock();
    try {
      if (kept.remove(k.id, k)) {
        bytes -= k.bytes;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Keeps {@code event} of deployment {@code k}, then applies the bounds. */
  void append(Kept k, Event event) {
    lock.lock();
    try {
      if (event instanceof Event.Spawned) {
        k.total++;
        k.alive++;
      } else if (event instanceof Event.Exit) {
        k.alive = Math.max(0, k.alive - 1);
      }
      k.window.add(event);
      k.nextSeq++;
      long size = size(event);
      k.bytes += size;
      if (kept.get(k.id) == k) {
        bytes += size;
      }
      while (k.bytes > retention.perDeployment() && dropOldestOutput(k)) {}
      trimTotal();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Marks deployment {@code k} as being stopped: once it ends, it shows as stopped. */
  void stopping(Kept k) {
    lock.lock();
    try {
      k.stopped = true;
    } finally {
      lock.unlock();
    }
  }

  /** Deployment {@code k} ended with {@code code}; its events are kept from now for the age. */
  void finish(Kept k, int code) {
    lock.lock();
    try {
      if (k.code == null) {
        k.code = code;
        k.endedMillis = clock.millis();
      }
      expire();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Returns deployment {@code id}, when it is still kept. */
  Optional<Kept> find(long id) {
    lock.lock();
    try {
      expire();
      return Optional.ofNullable(kept.get(id));
    } finally {
      lock.unlock();
    }
  }

  /** Returns every deployment kept, in the order they started. */
  List<ClientLink.Listed> list() {
    lock.lock();
    try {
      expire();
      List<ClientLink.Listed> out = new ArrayList<>();
      for (Kept k : kept.values()) {
        ClientLink.Listed.State state =
            k.code == null
                ? ClientLink.Listed.State.RUNNING
                : k.stopped ? ClientLink.Listed.State.STOPPED : ClientLink.Listed.State.EXITED;
        out.add(
            new ClientLink.Listed(
                k.id,
                k.mainClass,
                k.startedMillis,
                k.alive,
                k.total,
                state,
                k.code == null ? 0 : k.code,
                k.detached));
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  /** Returns the bytes kept over every deployment. */
  long bytes() {
    lock.lock();
    try {
      return bytes;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns deployment {@code k}'s events from sequence number {@code from} on (0: from the first
   * kept), up to about {@link #BATCH} bytes; waits up to {@code timeoutNanos} when there are none
   * yet and it runs. Output dropped meanwhile is skipped; spawns, ends and exits never are.
   *
   * @throws InterruptedException when interrupted while waiting
   */
  Batch read(Kept k, long from, long timeoutNanos) throws InterruptedException {
    lock.lock();
    try {
      long nanos = timeoutNanos;
      while (from >= k.nextSeq && k.code == null && nanos > 0 && kept.get(k.id) == k) {
        nanos = changed.awaitNanos(nanos);
      }
      List<Event> out = new ArrayList<>();
      long taken = 0;
      long seq = from;
      if (seq < k.headSeq) {
        // What came before the window: the pinned events this reader has not seen yet.
        for (Pinned p : k.pinned) {
          if (p.seq() >= seq) {
            out.add(p.event());
            taken += size(p.event());
          }
        }
        seq = k.headSeq;
      }
      while (seq < k.nextSeq && taken < BATCH) {
        Event e = k.window.get(k.first + (int) (seq - k.headSeq));
        out.add(e);
        taken += size(e);
        seq++;
      }
      Integer code = seq == k.nextSeq ? k.code : null;
      return new Batch(out, seq, code);
    } finally {
      lock.unlock();
    }
  }

  /** Call only when holding lock. Drops finished deployments past their age. */
  private void expire() {
    long now = clock.millis();
    Iterator<Kept> it = kept.values().iterator();
    while (it.hasNext()) {
      Kept k = it.next();
      if (k.code != null && now - k.endedMillis >= retention.age().toMillis()) {
        it.remove();
        bytes -= k.bytes;
      }
    }
  }

  /**
   * Call only when holding lock. Applies the size bounds: each deployment's own, then the total,
   * dropping finished deployments (first ended first), then the oldest output of running ones.
   */
  private void trim() {
    for (Kept k : kept.values()) {
      while (k.bytes > retention.perDeployment() && dropOldestOutput(k)) {}
    }
    trimTotal();
  }

  /** Call only when holding lock. Applies the total bound. */
  private void trimTotal() {
    while (bytes > retention.total()) {
      Kept oldestEnded = null;
      for (Kept k : kept.values()) {
        if (k.code != null && (oldestEnded == null || k.endedMillis < oldestEnded.endedMillis)) {
          oldestEnded = k;
        }
      }
      if (oldestEnded != null) {
        kept.remove(oldestEnded.id);
        bytes -= oldestEnded.bytes;
        continue;
      }
      boolean dropped = false;
      for (Kept k : kept.values()) {
        if (dropOldestOutput(k)) {
          dropped = true;
          break;
        }
      }
      if (!dropped) {
        return; // only spawns, ends and exits are left: those stay
      }
    }
  }

  /**
   * Call only when holding lock. Drops {@code k}'s oldest output, pinning the spawns, ends and
   * exits before it; returns false when it keeps no output.
   */
  private boolean dropOldestOutput(Kept k) {
    while (k.first < k.window.size()) {
      Event e = k.window.get(k.first);
      k.window.set(k.first, null);
      k.first++;
      k.headSeq++;
      if (e instanceof Event.Output) {
        long size = size(e);
        k.bytes -= size;
        if (kept.get(k.id) == k) {
          bytes -= size;
        }
        compact(k);
        return true;
      }
      k.pinned.add(new Pinned(k.headSeq - 1, e));
    }
    compact(k);
    return false;
  }

  /** Call only when holding lock. Gives back the window's dropped slots once they are half. */
  private static void compact(Kept k) {
    if (k.first > 1024 && k.first > k.window.size() / 2) {
      k.window.subList(0, k.first).clear();
      k.first = 0;
    }
  }

  private static long size(Event event) {
    return event instanceof Event.Output o ? o.data().length + OVERHEAD : OVERHEAD;
  }

  /** Waits at most this long per read, so a reader notices its client went. */
  static final long READ_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
}
