package dev.deploy.master;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.EventSink;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.util.BoundedHistory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Places spawns on nodes by their free memory and CPU.
 *
 * <p>Policy: a spawn goes to the node that has the most memory free after it fits (spreading
 * processes, so one machine's noise hurts few of them). {@code spawn} answers empty at once when no
 * node has room; {@code spawnAsync} waits in a first-come-first-served queue: the head of the queue
 * starts as soon as some node has room for it, and nothing behind it overtakes it. A plain {@code
 * spawn} that fits is not held back by the queue, since it would not wait anyway. A {@code spawn}
 * larger than any node's whole capacity answers empty like any other that does not fit; a {@code
 * spawnAsync} of that size could never start and fails at once, unless a {@link Growth} says a node
 * that large may still join: then it waits for one.
 *
 * <p>Nodes may join ({@link #addNode}) and leave ({@link #removeNode}) while it runs: a joined node
 * takes the queue's head at once; a removed node's reservations are forgotten (its launcher reports
 * its processes lost), and waiting spawns that no node left could ever hold fail.
 *
 * <p>Thread safe: every method may be called from any thread; the books are under one lock and
 * launches are started after leaving it.
 */
public final class Master implements Scheduler {
  private static final long MICRO = 1_000_000;

  private final ReentrantLock lock = new ReentrantLock();

  /**
   * The nodes, with what each has free; changed under lock, and read without it where a snapshot
   * will do (a copy-on-write list).
   */
  private final List<Books> nodes = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Where nodes may still come from, and who hears that the queue changed. */
  private volatile Growth growth = Growth.NONE;

  /** Nanoseconds, for how long a node has been idle. */
  private final java.util.function.LongSupplier clock;

  /** Set by close(); later spawns fail. Guarded by lock. */
  private boolean closed;

  /** spawnAsync requests waiting for room, oldest first; guarded by lock. */
  private final ArrayDeque<Waiting> queue = new ArrayDeque<>();

  /** Which node each started pid was placed on, the oldest forgotten past a limit; for fates. */
  private final java.util.Map<Pid, Books> placedOn =
      java.util.Collections.synchronizedMap(new BoundedHistory<>(PLACED_LIMIT));

  private static final int PLACED_LIMIT = 100_000;

  /** Free memory and CPU of one node. CPU is in millionths of a core so sums are exact. */
  private static final class Books {
    final Node node;
    long freeMemory;
    long freeCpu;

    /** Warm JVMs' room held on this node, by resources. */
    final java.util.Map<Resources, Integer> warm = new java.util.HashMap<>();

    /** False while the node's machine is unreachable: nothing is placed there. */
    boolean up = true;

    /** Spawns placed here and not yet ended (or failed); warm JVMs are not counted. */
    int placed;

    /** When {@link #placed} last fell to zero (or the node came), on the master's clock. */
    long idleSince;

    /**
     * Counts the node's comebacks: a reservation made before the node was lost is not given back
     * again when its process's loss is reported, since the books were reset when it was lost.
     */
    int epoch;

    Books(Node node) {
      this.node = node;
      this.freeMemory = node.capacity().memory();
      this.freeCpu = micro(node.capacity().cpu());
    }

    boolean fits(Resources r) {
      return up && freeMemory >= r.memory() && freeCpu >= micro(r.cpu());
    }

    boolean couldEverFit(Resources r) {
      return node.capacity().memory() >= r.memory()
          && micro(node.capacity().cpu()) >= micro(r.cpu());
    }
  }

  /** Where each tracked program's spawns in flight are counted: its bridge. */
  private final java.util.Map<Long, EventSink> sinks =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * One spawn in flight, counted as a pending launch of its program's bridge from the moment it is
   * placed or queued until its child registered (its Spawned event came first) or the spawn failed
   * or was withdrawn: the run is not over meanwhile, even when the parent exits at once. Settles
   * once; the sink is the one counted in, whatever happens to the tracking later.
   */
  private static final class InFlight {
    private final EventSink sink;
    private final java.util.concurrent.atomic.AtomicBoolean settled =
        new java.util.concurrent.atomic.AtomicBoolean();

    /** Counts the spawn in {@code sink}; null: the program is not tracked, nothing is counted. */
    InFlight(EventSink sink) {
      this.sink = sink;
      if (sink != null) {
        sink.onLaunchPending();
      }
    }

    /** Uncounts the spawn; later calls do nothing. */
    void settle() {
      if (sink != null && settled.compareAndSet(false, true)) {
        sink.onLaunchSettled();
      }
    }
  }

  /** A queued spawnAsync; {@code notice} is what its bridge hears of its wait. */
  private record Waiting(
      LaunchOrder order,
      CompletableFuture<Optional<Pid>> result,
      InFlight inFlight,
      WaitNotice notice) {
    Waiting(LaunchOrder order, CompletableFuture<Optional<Pid>> result, InFlight inFlight) {
      this(order, result, inFlight, new WaitNotice());
    }
  }

  /** {@code from}: the request it came from if it waited in the queue, else null. */
  private record Placed(
      Books books,
      int epoch,
      LaunchOrder order,
      CompletableFuture<Optional<Pid>> result,
      InFlight inFlight,
      Waiting from) {
    Placed(
        Books books,
        int epoch,
        LaunchOrder order,
        CompletableFuture<Optional<Pid>> result,
        InFlight inFlight) {
      this(books, epoch, order, result, inFlight, null);
    }
  }

  /** Creates a master placing onto {@code nodes}. */
  public Master(List<Node> nodes) {
    this(nodes, System::nanoTime);
  }

  /** Creates a master placing onto {@code nodes}, judging idle time on {@code clock} (nanos). */
  public Master(List<Node> nodes, java.util.function.LongSupplier clock) {
    this.clock = clock;
    long now = clock.getAsLong();
    for (Node node : nodes) {
      Books b = new Books(node);
      b.idleSince = now;
      this.nodes.add(b);
    }
  }

  /**
   * Sets where nodes may still come from and who hears the queue change; before the first spawn.
   */
  public void setGrowth(Growth growth) {
    this.growth = java.util.Objects.requireNonNull(growth, "growth");
  }

  /**
   * Adds a node that joined, with nothing running on it; the queue's head starts there if it fits.
   *
   * @throws IllegalArgumentException when its launcher or its name is a node already
   */
  public void addNode(Node node) {
    List<Placed> started;
    lock.lock();
    try {
      for (Books b : nodes) {
        if (b.node.launcher() == node.launcher() || b.node.name().equals(node.name())) {
          throw new IllegalArgumentException("the node " + node.name() + " is already joined");
        }
      }
      Books books = new Books(node);
      books.idleSince = clock.getAsLong();
      nodes.add(books);
      started = startable();
    } finally {
      lock.unlock();
    }
    afterStarting(started);
  }

  /**
   * Removes the node of {@code launcher} from the books (its machine left): nothing is placed there
   * any more, and what its processes held is not given back when their loss is reported (the
   * launcher reports them). Waiting spawns that no node left, nor any that may still join, could
   * ever hold fail. Returns false when it is not a node (removed already).
   */
  public boolean removeNode(Launcher launcher) {
    return removeNode(launcher, false);
  }

  /**
   * Removes the node of {@code launcher} only if no spawn is placed there (warm JVMs aside);
   * returns whether it did. For retiring an idle node.
   */
  public boolean removeIdleNode(Launcher launcher) {
    return removeNode(launcher, true);
  }

  private boolean removeNode(Launcher launcher, boolean onlyIdle) {
    List<Resources> largest = growth.largestNodes();
    List<Waiting> failed = new ArrayList<>();
    List<Placed> started;
    lock.lock();
    try {
      Books books = null;
      for (Books b : nodes) {
        if (b.node.launcher() == launcher) {
          books = b;
        }
      }
      if (books == null || (onlyIdle && books.placed > 0)) {
        return false;
      }
      nodes.remove(books);
      books.up = false;
      books.epoch++;
      books.warm.clear();
      for (Iterator<Waiting> it = queue.iterator(); it.hasNext(); ) {
        Waiting w = it.next();
        if (!couldEverStart(w.order().resources(), largest)) {
          it.remove();
          failed.add(w);
        }
      }
      started = startable(); // a failed head may have held back what fits
    } finally {
      lock.unlock();
    }
    for (Waiting w : failed) {
      w.result().completeExceptionally(tooLarge(w.order().resources()));
      w.inFlight().settle();
    }
    started.forEach(this::start);
    if (!failed.isEmpty() || !started.isEmpty()) {
      growth.queueChanged();
    }
    return true;
  }

  /**
   * Call only when holding lock. Whether a node now, or one that may join, could hold {@code r}.
   */
  private boolean couldEverStart(Resources r, List<Resources> largest) {
    if (nodes.stream().anyMatch(b -> b.couldEverFit(r))) {
      return true;
    }
    return largest.stream()
        .anyMatch(n -> n.memory() >= r.memory() && micro(n.cpu()) >= micro(r.cpu()));
  }

  private LaunchException tooLarge(Resources r) {
    return new LaunchException(
        nodes.isEmpty()
            ? "no machine has joined this cluster to run " + r + " (none may join that large)"
            : "no machine of this cluster has " + r + " in total");
  }

  /** One node as the books see it now. */
  public record NodeView(
      String name,
      Launcher launcher,
      Resources capacity,
      long freeMemory,
      double freeCpu,
      long idleNanos) {}

  /** Returns the nodes up now, with what each has free and how long it has been idle. */
  public List<NodeView> nodeViews() {
    List<NodeView> out = new ArrayList<>();
    lock.lock();
    try {
      long now = clock.getAsLong();
      for (Books b : nodes) {
        if (b.up) {
          out.add(
              new NodeView(
                  b.node.name(),
                  b.node.launcher(),
                  b.node.capacity(),
                  b.freeMemory,
                  b.freeCpu / (double) MICRO,
                  b.placed > 0 ? 0 : Math.max(0, now - b.idleSince)));
        }
      }
    } finally {
      lock.unlock();
    }
    return out;
  }

  /** Returns the resources of each waiting {@code spawnAsync}, oldest first. */
  public List<Resources> waitingResources() {
    lock.lock();
    try {
      List<Resources> out = new ArrayList<>(queue.size());
      for (Waiting w : queue) {
        out.add(w.order().resources());
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  /** Starts what left the queue, then tells whoever listens that the queue changed. */
  private void afterStarting(List<Placed> started) {
    started.forEach(this::start);
    if (!started.isEmpty()) {
      growth.queueChanged();
    }
  }

  /**
   * Counts {@code program}'s spawns in {@code sink} from now on: each is pending there from its
   * placement (or, for a {@code spawnAsync} that waits, its queueing) until its child registered or
   * the spawn failed. A fabric counts a launch only once it starts it, which, for a fabric on
   * another machine, is after a round trip: a parent that spawns there and exits at once would
   * otherwise leave its bridge with nothing alive and nothing pending, and end the run.
   */
  public void track(long program, EventSink sink) {
    sinks.put(program, java.util.Objects.requireNonNull(sink, "sink"));
  }

  /** Stops counting {@code program}'s new spawns; those in flight still settle where counted. */
  public void untrack(long program) {
    sinks.remove(program);
  }

  private static long micro(double cpu) {
    return Math.round(cpu * MICRO);
  }

  /**
   * Starts the order on a node with room. The future completes with the new pid once the process
   * registered; with empty when no node has room and {@code wait} is false; exceptionally with a
   * {@link LaunchException} when the launch failed or the request can never fit.
   */
  @Override
  public CompletableFuture<Optional<Pid>> spawn(LaunchOrder order, boolean wait) {
    if (!fitsNow(order.resources())) {
      // Warm JVMs hold room for spawns to come; a spawn that needs the room now comes first.
      // The books give it back here, at once; the launchers' own give-backs are then ignored.
      for (Books b : nodes) {
        releaseAllWarm(b);
        b.node.launcher().dropWarm();
      }
    }
    CompletableFuture<Optional<Pid>> result = new CompletableFuture<>();
    // Counted before it can be placed, so its settling never comes before its counting.
    InFlight inFlight = new InFlight(sinks.get(order.program()));
    Placed placed = null;
    boolean counted = false;
    boolean queued = false;
    List<Resources> largest = wait ? growth.largestNodes() : List.of();
    lock.lock();
    try {
      Books books = choose(order.resources());
      if (closed) {
        result.completeExceptionally(new CancellationException("the run is shutting down"));
      } else if (books != null && (!wait || queue.isEmpty())) {
        place(books, order.resources());
        placed = new Placed(books, books.epoch, order, result, inFlight);
        counted = true;
      } else if (!wait) {
        result.complete(Optional.empty()); // also for more than any machine has: not an error
      } else if (!couldEverStart(order.resources(), largest)) {
        result.completeExceptionally(tooLarge(order.resources()));
      } else {
        Waiting waiting = new Waiting(order, result, inFlight);
        queue.add(waiting);
        WaitNotice.after(() -> announce(waiting));
        counted = true;
        queued = true;
      }
    } finally {
      lock.unlock();
    }
    if (!counted) {
      inFlight.settle(); // answered at once: nothing in flight
    }
    if (placed != null) {
      start(placed);
    }
    if (queued) {
      growth.queueChanged();
    }
    return result;
  }

  /**
   * Withdraws the queued requests of {@code parent}, which has ended; their futures are cancelled.
   */
  @Override
  public void cancelWaitingOf(Pid parent) {
    cancelWaiting(w -> parent.equals(w.order().parent()));
  }

  /** Withdraws the queued requests of {@code program}, which is ending. */
  public void cancelProgram(long program) {
    cancelWaiting(w -> w.order().program() == program);
  }

  private void cancelWaiting(java.util.function.Predicate<Waiting> which) {
    List<Waiting> cancelled = new ArrayList<>();
    List<Placed> started;
    lock.lock();
    try {
      for (Iterator<Waiting> it = queue.iterator(); it.hasNext(); ) {
        Waiting w = it.next();
        if (which.test(w)) {
          it.remove();
          cancelled.add(w);
        }
      }
      started = startable(); // the head may have been what held the others back
    } finally {
      lock.unlock();
    }
    for (Waiting w : cancelled) {
      w.result().cancel(false);
      w.inFlight().settle();
    }
    started.forEach(this::start);
    if (!cancelled.isEmpty() || !started.isEmpty()) {
      growth.queueChanged();
    }
  }

  private boolean fitsNow(Resources r) {
    lock.lock();
    try {
      return choose(r) != null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Reserves {@code r} on {@code launcher}'s machine for a warm JVM, only if the machine has it
   * free and no spawnAsync is waiting for room. Returns whether it did.
   */
  @Override
  public boolean reserveWarm(Launcher launcher, Resources r) {
    lock.lock();
    try {
      if (closed || !queue.isEmpty()) {
        return false;
      }
      for (Books b : nodes) {
        if (b.node.launcher() == launcher && b.fits(r)) {
          reserve(b, r);
          b.warm.merge(r, 1, Integer::sum);
          return true;
        }
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Gives back what {@link #reserveWarm} took; ignored when the node holds no warm room of {@code
   * r} (it was lost and its books reset since).
   */
  @Override
  public void releaseWarm(Launcher launcher, Resources r) {
    Books books = booksOrNull(launcher);
    if (books == null) {
      return; // the node left the books, and its warm room with it
    }
    int epoch;
    lock.lock();
    try {
      epoch = books.epoch;
      Integer held = books.warm.get(r);
      if (held == null) {
        return;
      }
      if (held == 1) {
        books.warm.remove(r);
      } else {
        books.warm.put(r, held - 1);
      }
    } finally {
      lock.unlock();
    }
    release(books, epoch, r, false);
  }

  /** Gives back all the warm room {@code books} holds. */
  private void releaseAllWarm(Books books) {
    List<Placed> started;
    lock.lock();
    try {
      for (java.util.Map.Entry<Resources, Integer> e : books.warm.entrySet()) {
        books.freeMemory += e.getKey().memory() * e.getValue();
        books.freeCpu += micro(e.getKey().cpu()) * e.getValue();
      }
      books.warm.clear();
      started = startable();
    } finally {
      lock.unlock();
    }
    afterStarting(started);
  }

  private Books booksOf(Launcher launcher) {
    for (Books b : nodes) {
      if (b.node.launcher() == launcher) {
        return b;
      }
    }
    throw new IllegalArgumentException("not a node of this master: " + launcher);
  }

  /** As {@link #booksOf}, or null when {@code launcher} is not (or no longer) a node. */
  private Books booksOrNull(Launcher launcher) {
    for (Books b : nodes) {
      if (b.node.launcher() == launcher) {
        return b;
      }
    }
    return null;
  }

  /**
   * The machine of {@code launcher} is unreachable: nothing is placed there until {@link #nodeUp};
   * its books are reset to its whole capacity, and what its processes held is not given back again
   * when their loss is reported.
   */
  public void nodeDown(Launcher launcher) {
    Books books = booksOf(launcher);
    lock.lock();
    try {
      books.up = false;
      books.epoch++;
      books.warm.clear();
      books.freeMemory = books.node.capacity().memory();
      books.freeCpu = micro(books.node.capacity().cpu());
      books.placed = 0;
      books.idleSince = clock.getAsLong();
    } finally {
      lock.unlock();
    }
  }

  /** The machine of {@code launcher} is reachable (again) with nothing running on it. */
  public void nodeUp(Launcher launcher) {
    Books books = booksOf(launcher);
    List<Placed> started;
    lock.lock();
    try {
      books.up = true;
      started = startable();
    } finally {
      lock.unlock();
    }
    afterStarting(started);
  }

  @Override
  public CompletableFuture<ExitStatus> fate(Pid pid) {
    return fate(pid, null);
  }

  @Override
  public CompletableFuture<ExitStatus> fate(Pid pid, Pid asker) {
    Books books = placedOn.get(pid);
    if (books == null) {
      return CompletableFuture.completedFuture(ExitStatus.lost());
    }
    return asker == null ? books.node.launcher().fate(pid) : books.node.launcher().fate(pid, asker);
  }

  /** Spawns' durations from placement to registration; for metrics. */
  private final SpawnLatency latency = new SpawnLatency();

  /** Returns the durations of the spawns so far, from placement to registration. */
  public SpawnLatency latency() {
    return latency;
  }

  /** Returns each node's capacity, free room and reachability now, in the nodes' order. */
  public List<NodeUse> use() {
    lock.lock();
    try {
      List<NodeUse> out = new ArrayList<>();
      for (Books b : nodes) {
        out.add(
            new NodeUse(
                b.node.name(), b.node.capacity(), b.freeMemory, b.freeCpu / (double) MICRO, b.up));
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  /** Returns how many spawnAsync requests are waiting. */
  public int waiting() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Call only when holding lock. Returns the node with room and the most memory left, or null. */
  private Books choose(Resources r) {
    Books best = null;
    for (Books b : nodes) {
      if (b.fits(r) && (best == null || b.freeMemory > best.freeMemory)) {
        best = b;
      }
    }
    return best;
  }

  /** Call only when holding lock. */
  private static void reserve(Books books, Resources r) {
    books.freeMemory -= r.memory();
    books.freeCpu -= micro(r.cpu());
  }

  /** Call only when holding lock. Reserves room for a spawn, which makes the node busy. */
  private static void place(Books books, Resources r) {
    reserve(books, r);
    books.placed++;
  }

  /** Tells the bridge that {@code waiting} still waits, unless it left the queue meanwhile. */
  private void announce(Waiting waiting) {
    waiting.notice().waiting(waiting.inFlight().sink, waiting.order(), () -> isQueued(waiting));
  }

  private boolean isQueued(Waiting waiting) {
    lock.lock();
    try {
      return queue.contains(waiting);
    } finally {
      lock.unlock();
    }
  }

  private void start(Placed placed) {
    Resources r = placed.order().resources();
    Waiting from = placed.from();
    if (from != null) {
      from.notice().placed(placed.inFlight().sink, from.order(), placed.books().node.name());
    }
    long placedAt = System.nanoTime();
    CompletableFuture<Launched> launch;
    try {
      launch = placed.books().node.launcher().launch(placed.order());
    } catch (RuntimeException e) {
      launch = CompletableFuture.failedFuture(e);
    }
    launch.whenComplete(
        (launched, error) -> {
          if (error != null) {
            release(placed.books(), placed.epoch(), r, true);
            placed.result().completeExceptionally(error);
            placed.inFlight().settle();
            return;
          }
          latency.record(System.nanoTime() - placedAt);
          placedOn.put(launched.pid(), placed.books());
          launched
              .exit()
              .whenComplete((status, e) -> release(placed.books(), placed.epoch(), r, true));
          if (!placed.result().complete(Optional.of(launched.pid()))) {
            // The requester went away meanwhile; the process runs on and is reported as usual.
            assert placed.result().isCancelled();
          }
          // The launcher completes only once the child's Spawned event went to the bridge.
          placed.inFlight().settle();
        });
  }

  /** Gives back a process's resources and starts what the queue can now start. */
  private void release(Books books, int epoch, Resources r, boolean spawn) {
    List<Placed> started;
    lock.lock();
    try {
      if (books.epoch != epoch) {
        return; // the node was lost meanwhile and its books reset
      }
      books.freeMemory += r.memory();
      books.freeCpu += micro(r.cpu());
      if (spawn && --books.placed == 0) {
        books.idleSince = clock.getAsLong();
      }
      started = startable();
    } finally {
      lock.unlock();
    }
    afterStarting(started);
  }

  /** Call only when holding lock. Reserves room for the queue's head while it fits. */
  private List<Placed> startable() {
    List<Placed> started = new ArrayList<>();
    while (!queue.isEmpty()) {
      Waiting head = queue.peek();
      Books room = choose(head.order().resources());
      if (room == null) {
        break;
      }
      queue.poll();
      place(room, head.order().resources());
      started.add(new Placed(room, room.epoch, head.order(), head.result(), head.inFlight(), head));
    }
    return started;
  }

  /** Fails every waiting request; for a shutting-down run. */
  public void close() {
    List<Waiting> all;
    lock.lock();
    try {
      closed = true;
      all = new ArrayList<>(queue);
      queue.clear();
    } finally {
      lock.unlock();
    }
    for (Waiting w : all) {
      w.result().completeExceptionally(new CancellationException("shut down"));
      w.inFlight().settle();
    }
    if (!all.isEmpty()) {
      growth.queueChanged();
    }
  }
}
