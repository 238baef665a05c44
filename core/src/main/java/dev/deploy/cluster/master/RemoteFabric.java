package dev.deploy.cluster.master;

import dev.deploy.Pid;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventSink;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.cluster.link.Daemons;
import dev.deploy.cluster.link.JarSender;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.logging.Loggers;
import dev.deploy.master.LaunchException;
import dev.deploy.master.LaunchOrder;
import dev.deploy.master.Launched;
import dev.deploy.master.Launcher;
import dev.deploy.master.Master;
import dev.deploy.security.AuthenticationException;
import dev.deploy.security.ClusterKey;
import dev.deploy.util.BoundedHistory;
import dev.deploy.util.DaemonThreads;
import dev.deploy.util.PendingRequests;
import dev.deploy.wire.Link;
import dev.deploy.wire.ProtocolException;
import dev.deploy.wire.SpawnOutcome;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;

/**
 * The master's end of its link to one worker machine: a {@link Launcher} over the network. Either
 * it dials the worker (a worker of the master's static list) and keeps dialling while it is
 * unreachable, or the worker dialled the master and joined ({@link #serveJoined}); the link is
 * served the same way. While the link is up the machine is in the master's books, and when it goes
 * down (the worker died, was killed, or was silent for the silence limit) its processes are
 * reported {@code lost}, its launches fail, and its room leaves the books: a dialled worker's until
 * it is reached again, a joined worker's for good (it joins again as a new node).
 *
 * <p>One thread reads the link; launches and fates may be asked from any thread.
 */
final class RemoteFabric implements Launcher, AutoCloseable {
  private static final Logger log = Loggers.get(RemoteFabric.class);

  /** How long to wait between attempts to reach an unreachable worker. */
  private static final long REDIAL_MILLIS = 1_000;

  /** What the master knows of the programs it runs. */
  interface Programs {
    /** Returns the program's description for a worker, or null when it has ended. */
    WorkerLink.AddProgram spec(long program);

    /** Returns where the program's events go, or null when it has ended. */
    EventSink sink(long program);

    /** Returns a jar of the cache, when there. */
    Optional<Path> jar(String sha256);

    /** Returns whether the program's output is paused (its client is behind). */
    boolean outputPaused(long program);
  }

  private final String name;

  /**
   * Where the worker listens, its host as given (a name is looked up again at every dial); null for
   * a worker that joined.
   */
  private final InetSocketAddress address;

  private final ClusterKey key;
  private final Programs programs;
  private final ScheduledExecutorService timers;
  private final ExecutorService senders =
      Executors.newCachedThreadPool(DaemonThreads.numbered("deploy-jar-send"));
  private volatile Master master;
  private volatile boolean closed;

  /** Set when the master retires this worker: its link's end is then no loss. */
  private volatile boolean retiring;

  private final ReentrantLock lock = new ReentrantLock();

  /** Held while a launch tells the worker of its program and sends itself. */
  private final ReentrantLock tellLock = new ReentrantLock();

  /** Processes that ended lately, by pid: a launch result may come after a very short life. */
  private final Map<Pid, Proc> endedLately = new BoundedHistory<>(1000);

  /** The link while up; guarded by lock. */
  private LinkConnection<WorkerLink> link;

  /** Programs the worker was told of on this link; guarded by lock. */
  private final Set<Long> told = new HashSet<>();

  /** Launches waiting for their result, by order id; guarded by lock. */
  private final Map<Long, CompletableFuture<Launched>> launching = new HashMap<>();

  /** Processes of this machine not yet ended, by pid; guarded by lock. */
  private final Map<Pid, Proc> running = new HashMap<>();

  /** Launches pending at the worker, per program; guarded by lock. */
  private final Map<Long, Integer> pending = new HashMap<>();

  /** Fates asked of the worker, by request id. */
  private final PendingRequests<ExitStatus> fates = new PendingRequests<>();

  private final AtomicLong ids = new AtomicLong();

  /** A process of this machine, as far as its events tell. */
  private static final class Proc {
    final long program;
    final boolean[] eof = new boolean[3];
    final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();

    Proc(long program) {
      this.program = program;
    }
  }

  RemoteFabric(
      String name,
      InetSocketAddress address,
      ClusterKey key,
      Programs programs,
      ScheduledExecutorService timers) {
    this.name = name;
    this.address = address;
    this.key = key;
    this.programs = programs;
    this.timers = timers;
  }

  /** A worker that joined as {@code name}: its link is handed to {@link #serveJoined}. */
  RemoteFabric(String name, ClusterKey key, Programs programs, ScheduledExecutorService timers) {
    this(name, null, key, programs, timers);
  }

  /** Returns the node's name in the master's books. */
  String name() {
    return name;
  }

  /**
   * Serves the link of a worker that joined with {@code capacity}, on the calling thread, until it
   * ends: the node is in {@code master}'s books meanwhile, and its processes are reported lost when
   * the link ends. Returns why it ended.
   */
  String serveJoined(LinkConnection<WorkerLink> c, Master master, dev.deploy.Resources capacity) {
    this.master = master;
    String why = runLink(c, () -> master.addNode(new dev.deploy.master.Node(name, capacity, this)));
    lost(c, () -> master.removeNode(this));
    return why;
  }

  /**
   * Closes the link now, saying {@code why} in the master's log: its processes are reported lost at
   * once, not after the link's silence limit.
   */
  void cut(String why) {
    LinkConnection<WorkerLink> c;
    lock.lock();
    try {
      c = link;
    } finally {
      lock.unlock();
    }
    if (c != null) {
      c.closeBecause(why);
    }
  }

  /**
   * Tells a joined worker the master took it out of its books idle ({@link WorkerLink.Retire},
   * last), so it stops rather than join again; its link ends when the worker closes it (cut after
   * the silence limit if it does not). No loss is logged.
   */
  void retire() {
    retiring = true;
    LinkConnection<WorkerLink> c;
    lock.lock();
    try {
      c = link;
    } finally {
      lock.unlock();
    }
    if (c == null) {
      return;
    }
    if (!c.sendLast(new WorkerLink.Retire())) {
      c.closeBecause("it was retired");
      return;
    }
    timers.schedule(
        () -> c.closeBecause("it was retired"),
        c.silence().millis(),
        java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** Starts dialling; {@code master} hears when the machine comes and goes. */
  void start(Master master) {
    this.master = master;
    master.nodeDown(this); // nothing is placed here before the link is up
    Thread t = DaemonThreads.numbered("deploy-link-" + name).newThread(this::dialLoop);
    t.start();
  }

  private void dialLoop() {
    String lastFailure = null;
    while (!closed) {
      LinkConnection<WorkerLink> c;
      try {
        // A host name is looked up at every dial: a worker whose address changed is found again.
        InetSocketAddress now = new InetSocketAddress(address.getHostString(), address.getPort());
        if (now.isUnresolved()) {
          throw new java.net.UnknownHostException(
              "the host " + address.getHostString() + " is not known");
        }
        c = LinkConnection.dial(now, key, Link.Role.MASTER, Link.Role.WORKER, WorkerLink::decode);
      } catch (AuthenticationException e) {
        lastFailure =
            logOnce(lastFailure, "the worker " + name + " did not authenticate: " + e.getMessage());
        sleep();
        continue;
      } catch (IOException e) {
        lastFailure =
            logOnce(lastFailure, "cannot reach the worker " + name + ": " + e.getMessage());
        sleep();
        continue;
      }
      lastFailure = null;
      log.info("the worker {} joined", name);
      runLink(c, () -> master.nodeUp(this));
      lost(c, () -> master.nodeDown(this));
      sleep();
    }
  }

  /**
   * Serves {@code c} until it ends, after {@code up} put the machine in the books (unless closed
   * meanwhile); returns why it ended. The caller then calls {@link #lost}.
   */
  private String runLink(LinkConnection<WorkerLink> c, Runnable up) {
    lock.lock();
    try {
      if (closed) {
        c.close();
        return "the master is shutting down";
      }
      link = c;
      told.clear();
    } finally {
      lock.unlock();
    }
    c.startPings(timers);
    up.run();
    String why = serve(c);
    if (c.closedBecause() != null) {
      why = c.closedBecause();
    }
    if (retiring) {
      log.info("retired the worker {}", name);
    } else if (!closed) {
      log.warn("lost the worker {}: {}; its processes are lost", name, why);
    }
    return why;
  }

  private static String logOnce(String last, String failure) {
    if (!failure.equals(last)) {
      log.warn("{}; trying again every second", failure);
    }
    return failure;
  }

  private static void sleep() {
    try {
      Thread.sleep(REDIAL_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads the link until it ends; returns why it ended. */
  private String serve(LinkConnection<WorkerLink> c) {
    try {
      WorkerLink message;
      while ((message = c.read()) != null) {
        handle(c, message);
      }
      return "it closed the link";
    } catch (SocketTimeoutException e) {
      return "it was silent for " + c.silence();
    } catch (ProtocolException e) {
      return "it sent a malformed message (" + e.getMessage() + ")";
    } catch (IOException e) {
      return String.valueOf(e.getMessage());
    } catch (RuntimeException e) {
      log.warn("internal error on the link to {}", name, e);
      return "internal error " + e;
    } finally {
      c.close();
    }
  }

  private void handle(LinkConnection<WorkerLink> c, WorkerLink message) throws ProtocolException {
    if (message instanceof Link.EventOf e) {
      onEvent(e.program(), e.event());
    } else if (message instanceof WorkerLink.LaunchResult r) {
      onLaunchResult(r);
    } else if (message instanceof WorkerLink.Pending p) {
      count(p.program(), 1);
      EventSink sink = programs.sink(p.program());
      if (sink != null) {
        sink.onLaunchPending();
      }
    } else if (message instanceof WorkerLink.Settled s) {
      count(s.program(), -1);
      EventSink sink = programs.sink(s.program());
      if (sink != null) {
        sink.onLaunchSettled();
      }
    } else if (message instanceof WorkerLink.Spawn s) {
      master
          .spawn(new LaunchOrder(s.program(), s.parent(), s.resources(), s.task()), s.queue())
          .whenComplete(
              (pid, error) -> {
                WorkerLink.SpawnResult answer;
                if (error != null) {
                  answer =
                      new WorkerLink.SpawnResult(
                          s.request(), SpawnOutcome.FAILED, null, Daemons.reason(error));
                } else if (pid.isPresent()) {
                  answer =
                      new WorkerLink.SpawnResult(
                          s.request(), SpawnOutcome.STARTED, pid.get(), null);
                } else {
                  answer =
                      new WorkerLink.SpawnResult(s.request(), SpawnOutcome.NO_ROOM, null, null);
                }
                c.trySend(answer);
              });
    } else if (message instanceof WorkerLink.CancelWaiting w) {
      master.cancelWaitingOf(w.parent());
    } else if (message instanceof WorkerLink.ReserveWarm w) {
      c.trySend(new WorkerLink.WarmAnswer(w.request(), master.reserveWarm(this, w.resources())));
    } else if (message instanceof WorkerLink.ReleaseWarm w) {
      master.releaseWarm(this, w.resources()); // ignored for room the master already took back
    } else if (message instanceof WorkerLink.Fate f) {
      (f.asker() == null ? master.fate(f.pid()) : master.fate(f.pid(), f.asker()))
          .whenComplete(
              (status, error) ->
                  c.trySend(
                      new WorkerLink.FateAnswer(
                          f.request(), error == null ? status : ExitStatus.lost())));
    } else if (message instanceof WorkerLink.FateAnswer a) {
      fates.complete(a.request(), a.status());
    } else if (message instanceof WorkerLink.JarWanted w) {
      Optional<Path> jar = programs.jar(w.sha256());
      if (jar.isEmpty()) {
        throw new ProtocolException("it asked for a jar no program of this cluster has");
      }
      senders.execute(() -> sendJar(c, w.sha256(), jar.get()));
    } else {
      throw new ProtocolException(
          "a " + message.getClass().getSimpleName() + ", which a worker never sends");
    }
  }

  private void count(long program, int delta) {
    lock.lock();
    try {
      pending.merge(program, delta, Integer::sum);
    } finally {
      lock.unlock();
    }
  }

  private void sendJar(LinkConnection<WorkerLink> c, String sha, Path file) {
    try {
      JarSender.send(c, sha, file, Files.size(file), n -> {});
    } catch (IOException e) {
      log.warn("could not send jar {} to {}: {}", file.getFileName(), name, e.getMessage());
      c.close();
    }
  }

  private void onEvent(long program, Event relayed) {
    Event event = dev.deploy.bridge.OnNode.mark(name, relayed);
    lock.lock();
    try {
      if (event instanceof Event.Spawned s) {
        running.putIfAbsent(s.pid(), new Proc(program));
      } else if (event instanceof Event.Eof e) {
        Proc p = running.get(e.pid());
        if (p != null) {
          p.eof[e.fd()] = true;
        }
      }
    } finally {
      lock.unlock();
    }
    EventSink sink = programs.sink(program);
    if (sink != null) {
      sink.onEvent(event);
    }
    if (event instanceof Event.Exit x) {
      Proc p;
      lock.lock();
      try {
        p = running.remove(x.pid());
        if (p != null) {
          endedLately.put(x.pid(), p);
        }
      } finally {
        lock.unlock();
      }
      if (p != null) {
        p.exit.complete(x.status());
      }
    }
  }

  private void onLaunchResult(WorkerLink.LaunchResult r) {
    CompletableFuture<Launched> f;
    Proc p = null;
    lock.lock();
    try {
      f = launching.remove(r.order());
      if (r.pid() != null) {
        p = running.get(r.pid());
        if (p == null) {
          p = endedLately.get(r.pid()); // it ran and ended before its result came
        }
      }
    } finally {
      lock.unlock();
    }
    if (f == null) {
      return;
    }
    if (r.pid() == null) {
      f.completeExceptionally(new LaunchException(r.error() != null ? r.error() : "unknown"));
    } else if (p == null) {
      f.completeExceptionally(new LaunchException("the worker " + name + " lost the process"));
    } else {
      f.complete(new Launched(r.pid(), p.exit));
    }
  }

  /**
   * The link ended: {@code down} takes the machine out of the books, then everything that was
   * running there is lost.
   */
  private void lost(LinkConnection<WorkerLink> c, Runnable down) {
    down.run();
    List<CompletableFuture<Launched>> failed;
    Map<Pid, Proc> gone;
    Map<Long, Integer> unsettled;
    lock.lock();
    try {
      if (link == c) {
        link = null;
      }
      failed = new ArrayList<>(launching.values());
      launching.clear();
      gone = new HashMap<>(running);
      running.clear();
      unsettled = new HashMap<>(pending);
      pending.clear();
    } finally {
      lock.unlock();
    }
    for (Map.Entry<Pid, Proc> e : gone.entrySet()) {
      Proc p = e.getValue();
      EventSink sink = programs.sink(p.program);
      if (sink != null) {
        for (int fd = 1; fd <= 2; fd++) {
          if (!p.eof[fd]) {
            sink.onEvent(new Event.Eof(e.getKey(), fd));
          }
        }
        sink.onEvent(new Event.Exit(e.getKey(), ExitStatus.lost()));
      }
      p.exit.complete(ExitStatus.lost());
    }
    for (Map.Entry<Long, Integer> e : unsettled.entrySet()) {
      EventSink sink = programs.sink(e.getKey());
      for (int i = 0; sink != null && i < e.getValue(); i++) {
        sink.onLaunchSettled();
      }
    }
    LaunchException why = new LaunchException("the machine " + name + " was lost");
    failed.forEach(f -> f.completeExceptionally(why));
    fates.completeAll(ExitStatus.lost());
  }

  @Override
  public CompletableFuture<Launched> launch(LaunchOrder order) {
    // The program's description must reach the worker before any launch of it: one launch at a
    // time tells and sends, so a second one cannot overtake the first's AddProgram.
    tellLock.lock();
    try {
      return launchInOrder(order);
    } finally {
      tellLock.unlock();
    }
  }

  private CompletableFuture<Launched> launchInOrder(LaunchOrder order) {
    long id = ids.incrementAndGet();
    CompletableFuture<Launched> result = new CompletableFuture<>();
    LinkConnection<WorkerLink> c;
    boolean tell;
    lock.lock();
    try {
      c = link;
      if (c == null) {
        result.completeExceptionally(
            new LaunchException("the machine " + name + " is not reachable"));
        return result;
      }
      tell = told.add(order.program());
      launching.put(id, result);
    } finally {
      lock.unlock();
    }
    if (tell) {
      WorkerLink.AddProgram spec = programs.spec(order.program());
      if (spec == null) {
        fail(id, "the deployment has ended");
        return result;
      }
      c.trySend(spec);
      if (programs.outputPaused(order.program())) {
        c.trySend(new WorkerLink.PauseOutput(order.program(), true));
      }
    }
    if (!c.trySend(
        new WorkerLink.Launch(
            id, order.program(), order.parent(), order.resources(), order.task()))) {
      fail(id, "the link to the machine " + name + " broke");
    }
    return result;
  }

  private void fail(long id, String why) {
    CompletableFuture<Launched> f;
    lock.lock();
    try {
      f = launching.remove(id);
    } finally {
      lock.unlock();
    }
    if (f != null) {
      f.completeExceptionally(new LaunchException(why));
    }
  }

  /** Stops or restarts reading the output of {@code program}'s processes on this machine. */
  void pauseOutput(long program, boolean paused) {
    LinkConnection<WorkerLink> c;
    lock.lock();
    try {
      c = told.contains(program) ? link : null;
    } finally {
      lock.unlock();
    }
    if (c != null) {
      c.trySend(new WorkerLink.PauseOutput(program, paused));
    }
  }

  /** Sends SIGTERM to every process of {@code program} on this machine. */
  void terminateProgram(long program) {
    LinkConnection<WorkerLink> c;
    boolean wasTold;
    lock.lock();
    try {
      c = link;
      wasTold = told.contains(program);
    } finally {
      lock.unlock();
    }
    if (c != null && wasTold) {
      c.trySend(new WorkerLink.TerminateProgram(program));
    }
  }

  /** Kills every process of {@code program} on this machine and forgets it. */
  void removeProgram(long program) {
    LinkConnection<WorkerLink> c;
    boolean wasTold;
    lock.lock();
    try {
      c = link;
      wasTold = told.remove(program);
    } finally {
      lock.unlock();
    }
    if (c != null && wasTold) {
      c.trySend(new WorkerLink.RemoveProgram(program));
    }
  }

  @Override
  public void dropWarm() {
    LinkConnection<WorkerLink> c;
    lock.lock();
    try {
      c = link;
    } finally {
      lock.unlock();
    }
    if (c != null) {
      c.trySend(new WorkerLink.DropWarm());
    }
  }

  @Override
  public CompletableFuture<ExitStatus> fate(Pid pid) {
    return fate(pid, null);
  }

  /**
   * {@inheritDoc} A clean exit the master saw is asked of the worker again for {@code asker}: only
   * its fabric knows whom the process left values unacknowledged.
   */
  @Override
  public CompletableFuture<ExitStatus> fate(Pid pid, Pid asker) {
    Proc p;
    lock.lock();
    try {
      p = running.get(pid);
    } finally {
      lock.unlock();
    }
    if (p == null) {
      return askWorker(pid, asker);
    }
    if (asker == null) {
      return p.exit;
    }
    return p.exit.thenCompose(
        s -> s.kind() == ExitStatus.Kind.EXITED ? askWorker(pid, asker) : p.exit);
  }

  private CompletableFuture<ExitStatus> askWorker(Pid pid, Pid asker) {
    LinkConnection<WorkerLink> c;
    lock.lock();
    try {
      c = link;
    } finally {
      lock.unlock();
    }
    if (c == null) {
      return CompletableFuture.completedFuture(ExitStatus.lost());
    }
    long id = ids.incrementAndGet();
    CompletableFuture<ExitStatus> f = fates.expect(id);
    if (!c.trySend(new WorkerLink.Fate(id, pid, asker))) {
      fates.forget(id, ExitStatus.lost());
    }
    return f;
  }

  @Override
  public void close() {
    closed = true;
    LinkConnection<WorkerLink> c;
    lock.lock();
    try {
      c = link;
    } finally {
      lock.unlock();
    }
    if (c != null) {
      c.close();
    }
    senders.shutdownNow();
  }

  @Override
  public String toString() {
    return "worker " + name;
  }
}
