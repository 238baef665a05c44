package dev.deploy.cluster.worker;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventSink;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.cluster.link.Daemons;
import dev.deploy.cluster.link.Environment;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.fabric.Fabric;
import dev.deploy.fabric.Program;
import dev.deploy.logging.Loggers;
import dev.deploy.master.LaunchException;
import dev.deploy.master.LaunchOrder;
import dev.deploy.master.Launcher;
import dev.deploy.master.Scheduler;
import dev.deploy.process.JvmCommand;
import dev.deploy.program.JarCache;
import dev.deploy.program.JarRef;
import dev.deploy.program.ProgramException;
import dev.deploy.util.PendingRequests;
import dev.deploy.wire.Link;
import dev.deploy.wire.ProtocolException;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A worker's end of its link to the master: runs the master's orders on this machine's {@link
 * Fabric}, fetches the jars a program needs that the cache lacks, sends every event of its
 * processes back, and is the fabric's {@link Scheduler} (spawns, warm room and fates go to the
 * master). When the link ends, every process it started is killed: nothing outlives its master.
 *
 * <p>{@link #run} reads on one thread; the scheduler methods may be called from any thread.
 */
final class MasterSession implements Scheduler, Runnable {
  private static final Logger log = Loggers.get(MasterSession.class);

  /** How long a warm JVM waits for the master's yes before it is not started. */
  private static final long WARM_ANSWER_MILLIS = 2_000;

  private final LinkConnection<WorkerLink> link;
  private final Fabric fabric;
  private final JarCache cache;

  /** Programs the master added, ready once their jars are here; by program id. */
  private final Map<Long, CompletableFuture<Void>> programs = new ConcurrentHashMap<>();

  /** The jars of each program the master added, by program id: kept when the cache is trimmed. */
  private final Map<Long, List<String>> programJars = new ConcurrentHashMap<>();

  /** Jars being received, by hash; written only by the reading thread. */
  private final Map<String, Receiving> receiving = new ConcurrentHashMap<>();

  /** Requests to the master waiting for their answer, by request id. */
  private final PendingRequests<WorkerLink> asked = new PendingRequests<>();

  private final AtomicLong requests = new AtomicLong();

  private volatile boolean ended;

  /** Set when the master sent {@link WorkerLink.Retire}: this node is to stop, not join again. */
  private volatile boolean retired;

  /** Returns whether the master retired this node; once {@link #run} returned. */
  boolean retired() {
    return retired;
  }

  /** A jar arriving in chunks, and everything that waits for it. */
  private static final class Receiving {
    final JarRef ref;
    final JarCache.Upload upload;
    final CompletableFuture<Path> done = new CompletableFuture<>();
    long received;

    /** Set when the cache could not store the jar: its file is gone, the rest is skipped. */
    boolean failed;

    Receiving(JarRef ref, JarCache.Upload upload) {
      this.ref = ref;
      this.upload = upload;
    }
  }

  MasterSession(LinkConnection<WorkerLink> link, Fabric fabric, JarCache cache) {
    this.link = link;
    this.fabric = fabric;
    this.cache = cache;
  }

  @Override
  public void run() {
    try {
      WorkerLink message;
      while ((message = link.read()) != null) {
        if (message instanceof WorkerLink.Retire) {
          retired = true;
          log.info("the master at {} retired this node", link.peer());
          return; // end() closes the link
        }
        handle(message);
      }
      log.info("the master at {} closed the link", link.peer());
    } catch (SocketTimeoutException e) {
      log.warn("the master at {} was silent for {}: dropped its link", link.peer(), link.silence());
    } catch (ProtocolException e) {
      log.warn("dropped the link of the master at {}: {}", link.peer(), e.getMessage());
    } catch (IOException e) {
      log.info(
          "lost the link to the master at {}: {}",
          link.peer(),
          e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
    } catch (RuntimeException e) {
      log.warn("dropped the link of the master at {} after an internal error", link.peer(), e);
    } finally {
      end();
    }
  }

  /** Ends the session: kills every process of its programs and fails what waits on the master. */
  void end() {
    ended = true;
    link.close();
    for (Long id : new ArrayList<>(programs.keySet())) {
      programs.remove(id);
      fabric.removeProgram(id);
    }
    for (Receiving r : receiving.values()) {
      r.upload.close();
      r.done.completeExceptionally(new IOException("the link to the master ended"));
    }
    receiving.clear();
    asked.failAll(new LaunchException("the link to the master ended"));
  }

  private void handle(WorkerLink message) throws IOException {
    if (message instanceof WorkerLink.AddProgram add) {
      addProgram(add);
    } else if (message instanceof WorkerLink.Launch launch) {
      launch(launch);
    } else if (message instanceof WorkerLink.RemoveProgram remove) {
      programJars.remove(remove.program());
      CompletableFuture<Void> ready = programs.remove(remove.program());
      if (ready != null) {
        ready.cancel(false);
      }
      fabric.removeProgram(remove.program());
    } else if (message instanceof WorkerLink.TerminateProgram terminate) {
      fabric.terminateProgram(terminate.program());
    } else if (message instanceof Link.JarChunk chunk) {
      receive(chunk);
    } else if (message instanceof WorkerLink.PauseOutput p) {
      fabric.pauseOutput(p.program(), p.paused());
    } else if (message instanceof WorkerLink.DropWarm) {
      fabric.dropWarm();
    } else if (message instanceof WorkerLink.Fate fate) {
      (fate.asker() == null ? fabric.fate(fate.pid()) : fabric.fate(fate.pid(), fate.asker()))
          .whenComplete(
              (status, error) ->
                  link.trySend(
                      new WorkerLink.FateAnswer(
                          fate.request(), error == null ? status : ExitStatus.lost())));
    } else if (message instanceof WorkerLink.SpawnResult r) {
      answer(r.request(), r);
    } else if (message instanceof WorkerLink.WarmAnswer r) {
      answer(r.request(), r);
    } else if (message instanceof WorkerLink.FateAnswer r) {
      answer(r.request(), r);
    } else {
      throw new ProtocolException(
          "the master sent a " + message.getClass().getSimpleName() + ", which it never sends");
    }
  }

  /** Returns the hashes of the jars this session's programs use: never to be evicted. */
  java.util.Set<String> jarsInUse() {
    java.util.Set<String> keep = new java.util.HashSet<>(receiving.keySet());
    programJars.values().forEach(keep::addAll);
    return keep;
  }

  private void answer(long request, WorkerLink message) {
    asked.complete(request, message);
  }

  /**
   * Registers the program once every jar is in the cache, asking the master for the others. A
   * program over this machine's limits, or whose jars the cache cannot store, is not registered:
   * its launches here fail with the sentence that says why.
   */
  private void addProgram(WorkerLink.AddProgram add) throws IOException {
    Map<String, String> environment = Environment.parse(add.environment());
    try {
      cache.limits().check(add.jars(), "a worker");
    } catch (ProgramException e) {
      programs.put(
          add.program(), CompletableFuture.failedFuture(new LaunchException(e.getMessage())));
      return;
    }
    programJars.put(add.program(), add.jars().stream().map(JarRef::sha256).toList());
    List<CompletableFuture<Path>> jars = new ArrayList<>();
    for (JarRef ref : add.jars()) {
      Optional<Path> cached = cache.get(ref.sha256());
      if (cached.isPresent()) {
        jars.add(CompletableFuture.completedFuture(cached.get()));
        continue;
      }
      Receiving r = receiving.get(ref.sha256());
      if (r == null) {
        JarCache.Upload upload;
        try {
          upload = cache.begin(ref);
        } catch (IOException | ProgramException e) {
          jars.add(CompletableFuture.failedFuture(new LaunchException(e.getMessage())));
          continue;
        }
        r = new Receiving(ref, upload);
        receiving.put(ref.sha256(), r);
        link.send(new WorkerLink.JarWanted(ref.sha256()));
        if (ref.size() == 0) {
          finish(r);
        }
      }
      jars.add(r.done);
    }
    CompletableFuture<Void> ready =
        CompletableFuture.allOf(jars.toArray(new CompletableFuture<?>[0]))
            .thenRun(
                () -> {
                  List<Path> paths = new ArrayList<>();
                  jars.forEach(j -> paths.add(j.join()));
                  fabric.addProgram(
                      new Program(
                          add.program(),
                          JvmCommand.deployed(
                              paths, add.mainClass(), add.arguments(), add.options()),
                          new LinkSink(add.program()),
                          false,
                          environment));
                });
    programs.put(add.program(), ready);
  }

  private void receive(Link.JarChunk chunk) throws IOException {
    Receiving r = receiving.get(chunk.sha256());
    if (r == null) {
      throw new ProtocolException("the master sent bytes of a jar nobody asked for");
    }
    if (!r.failed) {
      try {
        r.upload.write(chunk.data(), 0, chunk.data().length);
      } catch (ProgramException e) {
        throw new ProtocolException("jar " + r.ref.name() + ": " + e.getMessage());
      } catch (IOException e) {
        // The cache's disk, not the master: fail the programs that wait, skip the rest of it.
        fail(r, e);
      }
    }
    r.received += chunk.data().length;
    if (r.received >= r.ref.size()) {
      finish(r);
    }
  }

  private void finish(Receiving r) throws IOException {
    receiving.remove(r.ref.sha256());
    try {
      if (!r.failed) {
        r.done.complete(r.upload.commit());
      }
    } catch (ProgramException e) {
      throw new ProtocolException("jar " + r.ref.name() + ": " + e.getMessage());
    } catch (IOException e) {
      fail(r, e);
    } finally {
      r.upload.close();
    }
  }

  /** The cache could not store {@code r}: its file is gone, and whoever waits for it is told. */
  private void fail(Receiving r, IOException e) {
    r.failed = true;
    r.upload.close();
    log.warn("{}", e.getMessage());
    r.done.completeExceptionally(new LaunchException(e.getMessage()));
  }

  private void launch(WorkerLink.Launch launch) {
    CompletableFuture<Void> ready = programs.get(launch.program());
    if (ready == null) {
      link.trySend(
          new WorkerLink.LaunchResult(
              launch.order(), null, "this machine was not given program " + launch.program()));
      return;
    }
    LaunchOrder order =
        new LaunchOrder(launch.program(), launch.parent(), launch.resources(), launch.task());
    ready
        .thenCompose(ignored -> fabric.launch(order))
        .whenComplete(
            (launched, error) -> {
              if (error == null) {
                link.trySend(new WorkerLink.LaunchResult(launch.order(), launched.pid(), null));
              } else {
                link.trySend(
                    new WorkerLink.LaunchResult(launch.order(), null, Daemons.reason(error)));
              }
            });
  }

  /** Sends a request and returns the future of its answer. */
  private CompletableFuture<WorkerLink> ask(long request, WorkerLink message) {
    if (ended) {
      return CompletableFuture.failedFuture(new LaunchException("the link to the master ended"));
    }
    CompletableFuture<WorkerLink> answer = asked.expect(request);
    if (!link.trySend(message)) {
      asked.forget(request, new LaunchException("the link to the master ended"));
    }
    return answer;
  }

  @Override
  public CompletableFuture<Optional<Pid>> spawn(LaunchOrder order, boolean wait) {
    long id = requests.incrementAndGet();
    return ask(
            id,
            new WorkerLink.Spawn(
                id, order.program(), order.parent(), order.resources(), order.task(), wait))
        .thenApply(
            answer -> {
              WorkerLink.SpawnResult r = (WorkerLink.SpawnResult) answer;
              return switch (r.outcome()) {
                case STARTED -> Optional.of(r.pid());
                case NO_ROOM -> Optional.<Pid>empty();
                default -> throw new LaunchException(r.error());
              };
            });
  }

  @Override
  public void cancelWaitingOf(Pid parent) {
    link.trySend(new WorkerLink.CancelWaiting(parent));
  }

  @Override
  public boolean reserveWarm(Launcher launcher, Resources r) {
    long id = requests.incrementAndGet();
    CompletableFuture<WorkerLink> answer = ask(id, new WorkerLink.ReserveWarm(id, r));
    try {
      return ((WorkerLink.WarmAnswer) answer.get(WARM_ANSWER_MILLIS, TimeUnit.MILLISECONDS))
          .granted();
    } catch (TimeoutException e) {
      // Too late for this JVM, which is not started; room granted later is given back at once.
      answer.thenAccept(
          late -> {
            if (((WorkerLink.WarmAnswer) late).granted()) {
              link.trySend(new WorkerLink.ReleaseWarm(r));
            }
          });
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return false;
    }
  }

  @Override
  public void releaseWarm(Launcher launcher, Resources r) {
    link.trySend(new WorkerLink.ReleaseWarm(r));
  }

  @Override
  public CompletableFuture<ExitStatus> fate(Pid pid) {
    return fate(pid, null);
  }

  @Override
  public CompletableFuture<ExitStatus> fate(Pid pid, Pid asker) {
    long id = requests.incrementAndGet();
    return ask(id, new WorkerLink.Fate(id, pid, asker))
        .handle((answer, error) -> error == null ? ((WorkerLink.FateAnswer) answer).status() : null)
        .thenApply(s -> s == null ? ExitStatus.lost() : s);
  }

  /** A program's events, sent to the master, which hands them to the program's bridge. */
  private final class LinkSink implements EventSink {
    private final long program;

    LinkSink(long program) {
      this.program = program;
    }

    @Override
    public void onEvent(Event event) {
      link.trySend(new Link.EventOf(program, event));
    }

    @Override
    public void onLaunchPending() {
      link.trySend(new WorkerLink.Pending(program));
    }

    @Override
    public void onLaunchSettled() {
      link.trySend(new WorkerLink.Settled(program));
    }
  }
}
