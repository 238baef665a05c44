package dev.deploy.cluster.master;

import dev.deploy.Resources;
import dev.deploy.bridge.Bridge;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventFormat;
import dev.deploy.bridge.EventSink;
import dev.deploy.cluster.link.Daemons;
import dev.deploy.cluster.link.Environment;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.fabric.Program;
import dev.deploy.logging.Loggers;
import dev.deploy.master.LaunchOrder;
import dev.deploy.process.JvmCommand;
import dev.deploy.program.ClassPathPacker;
import dev.deploy.program.JarCache;
import dev.deploy.program.JarRef;
import dev.deploy.program.ProgramException;
import dev.deploy.security.Handshake;
import dev.deploy.security.Nonces;
import dev.deploy.wire.ClientLink;
import dev.deploy.wire.Link;
import dev.deploy.wire.ProtocolException;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;

/**
 * One {@code deploy} of a program onto the cluster, from the client's connection to its last exit:
 * receives the jars the cluster lacks, learns the resources the program's {@code init} asks for,
 * has the master place the first process, and relays every event of every process of the program to
 * the client, whose own {@link Bridge} prints them. The deployment's bridge here tracks the
 * processes and the exit code; when the last one ends it sends {@link ClientLink.Done}. A client
 * that asks to {@link ClientLink.Kill}, disconnects or falls silent gets every process of its
 * deployment killed, and only those.
 *
 * <p>Runs on its own thread, started once the client passed the handshake, which reads the client's
 * connection.
 */
final class Deployment implements Runnable {
  private static final Logger log = Loggers.get(Deployment.class);

  /** A Java class name, dotted: what {@code <main-class>} must look like. */
  private static final Pattern CLASS_NAME =
      Pattern.compile(
          "[\\p{javaJavaIdentifierStart}][\\p{javaJavaIdentifierPart}]*"
              + "(\\.[\\p{javaJavaIdentifierStart}][\\p{javaJavaIdentifierPart}]*)*");

  private final ClusterMaster cluster;
  private final Socket socket;
  private final long id = Nonces.nextLong() & Long.MAX_VALUE;
  private volatile LinkConnection<ClientLink> link;
  private volatile WorkerLink.AddProgram spec;

  /** The program's jars once received: spared when the cache is trimmed, even before the start. */
  private volatile List<JarRef> jars = List.of();

  private volatile Bridge bridge;
  private volatile Relay relay;
  private volatile boolean registered;

  /** Whether the program runs on without its client ({@code deploy --detach}). */
  private volatile boolean detached;

  /** Set when the first process could not start: nothing runs on then. */
  private volatile boolean startFailed;

  /** Set when an attached client closed its connection: the attach stops streaming. */
  private volatile boolean attachGone;

  /** This deployment's entry in the cluster's book, from its start. */
  private volatile DeploymentBook.Kept kept;

  /** The handshake the client passed on {@link #socket}, before this deployment was made. */
  private final Handshake handshake;

  Deployment(ClusterMaster cluster, Socket socket, Handshake handshake) {
    this.cluster = cluster;
    this.socket = socket;
    this.handshake = handshake;
  }

  long id() {
    return id;
  }

  WorkerLink.AddProgram spec() {
    return spec;
  }

  List<JarRef> jars() {
    return jars;
  }

  EventSink sink() {
    return bridge;
  }

  /** Returns whether this deployment's output is paused (its client is behind). */
  boolean outputPaused() {
    Relay r = relay;
    return r != null && r.paused();
  }

  @Override
  public void run() {
    String peer = String.valueOf(socket.getRemoteSocketAddress());
    try {
      link =
          LinkConnection.accept(
              socket, handshake, Link.Role.BRIDGE, Link.Role.DEPLOY, ClientLink::decode);
    } catch (IOException e) {
      log.warn("dropped a connection from {}: {}", peer, e.getMessage());
      cluster.disconnected(this);
      return;
    }
    link.startPings(cluster.timers(), false);
    try {
      ClientLink first = link.read();
      if (first == null) {
        throw new IOException("closed before it asked for anything");
      }
      if (first instanceof ClientLink.ListDeployments) {
        link.sendLast(new ClientLink.Deployments(cluster.book().list()));
        link.readToEndAndClose();
        return;
      }
      if (first instanceof ClientLink.Stop stop) {
        stop(stop);
        return;
      }
      if (first instanceof ClientLink.Attach attach) {
        attach(attach);
        return;
      }
      if (first instanceof ClientLink.Detach) {
        detached = true;
        first = link.read();
        if (first == null) {
          throw new IOException("closed before it asked for anything");
        }
      }
      start(first);
      readUntilEnd();
    } catch (DeployException e) {
      link.sendLast(new ClientLink.Failed(e.getMessage()));
      link.readToEndAndClose(); // so the client reads why, even in the middle of an upload
    } catch (IOException e) {
      // Its processes are killed below. A client told the end closes, as it should: no news.
      if (!link.sentLast()) {
        logGone(peer, e);
      }
    } catch (RuntimeException e) {
      log.warn("dropped the deploy client at {} after an internal error", peer, e);
      link.sendLast(new ClientLink.Failed("internal error in the bridge: " + e));
      link.readToEndAndClose();
    } finally {
      end();
    }
  }

  /** Says why the connection of a client that was not finished with ended. */
  private void logGone(String peer, IOException e) {
    if (e instanceof SocketTimeoutException) {
      log.warn(
          "the deploy client at {} was silent for {}: killed its processes", peer, link.silence());
    } else if (e instanceof ProtocolException) {
      log.warn("dropped the deploy client at {}: {}", peer, e.getMessage());
    } else {
      String why = link.closedBecause();
      log.info(
          "the deploy client at {} went away ({}): killed its processes",
          peer,
          why != null ? why : e.getMessage());
    }
  }

  /**
   * Puts {@code limit}, the master's, into a deployment's {@code environment}, in place of any the
   * client gave, so every process of it, on whichever machine, takes the same; returns the
   * environment as {@code NAME=value} entries for the workers.
   */
  static List<String> withSilenceLimit(
      Map<String, String> environment, dev.deploy.io.SilenceLimit limit) {
    environment.put(dev.deploy.io.SilenceLimit.VARIABLE, limit.setting());
    List<String> entries = new java.util.ArrayList<>();
    environment.forEach((name, value) -> entries.add(name + "=" + value));
    return entries;
  }

  /** Receives the program and starts its first process. */
  private void start(ClientLink first) throws IOException, DeployException {
    if (!(first instanceof ClientLink.DeployRequest request)) {
      throw new ProtocolException("the first message is a " + first.getClass().getSimpleName());
    }
    Map<String, String> environment;
    try {
      environment = Environment.parse(request.environment());
    } catch (ProtocolException e) {
      throw new DeployException(e.getMessage());
    }
    List<String> entries = withSilenceLimit(environment, dev.deploy.io.SilenceLimit.current());
    this.jars = request.jars();
    List<Path> jars = receiveJars(request.jars());
    String main = mainClass(request.mainClass(), jars);
    JvmCommand command = JvmCommand.deployed(jars, main, request.arguments(), request.options());
    Resources resources;
    try {
      resources = cluster.prober().probe(command, environment);
    } catch (Probe.ProbeException e) {
      throw new DeployException(e.getMessage());
    }
    spec =
        new WorkerLink.AddProgram(
            id, main, request.arguments(), request.options(), entries, request.jars());
    kept = cluster.book().open(id, main, detached);
    relay = new Relay();
    bridge = new Bridge(cluster.live().watch(id, main, relay));
    bridge.done().thenAccept(code -> cluster.live().finished(id, code));
    cluster
        .fabric()
        .addProgram(
            new Program(
                id, command, new dev.deploy.bridge.OnNode("master", bridge), false, environment));
    // Spawns count from their placement, not from their start on a worker a round trip away.
    cluster.master().track(id, bridge);
    cluster.register(this);
    registered = true;
    // The end is reported once the first process started: a first launch that fails settles the
    // bridge with nothing run, which is a failure to start, not an exit code of 0.
    cluster
        .master()
        .spawn(new LaunchOrder(id, null, resources, null), true)
        .whenComplete(
            (pid, error) -> {
              if (error == null) {
                bridge.done().thenAccept(this::finish);
                if (detached) {
                  link.sendLast(new ClientLink.Started(id)); // the client goes; the run goes on
                }
              } else {
                startFailed = true;
                cluster.book().remove(kept);
                if (detached) {
                  // Its client may be gone already: nobody else forgets it.
                  cluster.disconnected(this);
                  cluster.kill(id);
                  forget();
                }
                // The reader sees the client close once it has read this.
                link.sendLast(
                    new ClientLink.Failed("the program could not start: " + Daemons.reason(error)));
              }
            });
  }

  /**
   * Takes the jars the cache lacks from the client; returns every jar's path in order. A program
   * over the cache's limits is refused from its announced sizes, before a byte is asked for; a jar
   * the cache cannot store (a full disk) fails the deployment with a sentence, its partial file
   * deleted. Neither touches other jars.
   */
  private List<Path> receiveJars(List<JarRef> refs) throws IOException, DeployException {
    JarCache cache = cluster.cache();
    try {
      cache.limits().check(refs, "the bridge");
    } catch (ProgramException e) {
      throw new DeployException(e.getMessage());
    }
    List<JarRef> missing = cache.missing(refs);
    List<String> wanted = new ArrayList<>();
    Map<String, JarRef> unique = new HashMap<>();
    for (JarRef r : missing) {
      if (unique.putIfAbsent(r.sha256(), r) == null) {
        wanted.add(r.sha256());
      }
    }
    link.send(new ClientLink.JarsWanted(wanted));
    for (String sha : wanted) {
      JarRef ref = unique.get(sha);
      try (JarCache.Upload upload = begin(cache, ref)) {
        long received = 0;
        while (received < ref.size()) {
          ClientLink m = link.read();
          if (m == null) {
            throw new IOException("closed while sending " + ref.name());
          }
          if (!(m instanceof Link.JarChunk chunk) || !chunk.sha256().equals(sha)) {
            throw new ProtocolException("expected the bytes of " + ref.name());
          }
          try {
            upload.write(chunk.data(), 0, chunk.data().length);
          } catch (IOException e) {
            throw new DeployException(e.getMessage()); // the cache's, not the client's
          }
          received += chunk.data().length;
        }
        try {
          upload.commit();
        } catch (IOException e) {
          throw new DeployException(e.getMessage());
        }
      } catch (ProgramException e) {
        throw new DeployException(e.getMessage());
      }
    }
    List<Path> paths = new ArrayList<>();
    for (JarRef r : refs) {
      Path p =
          cache
              .get(r.sha256())
              .orElseThrow(() -> new DeployException(r.name() + " left the bridge's jar cache"));
      if (java.nio.file.Files.size(p) != r.size()) {
        // Workers would wait for the size announced: refuse a ref that does not fit its content.
        throw new DeployException(
            r.name() + " is said to have " + r.size() + " bytes, but its content has another size");
      }
      paths.add(p);
    }
    return paths;
  }

  /** Starts an upload into the cache; a cache that cannot take it fails the deployment. */
  private static JarCache.Upload begin(JarCache cache, JarRef ref)
      throws DeployException, ProgramException {
    try {
      return cache.begin(ref);
    } catch (IOException e) {
      throw new DeployException(e.getMessage());
    }
  }

  private static String mainClass(String given, List<Path> jars) throws DeployException {
    if (given != null) {
      if (!CLASS_NAME.matcher(given).matches()) {
        throw new DeployException("\"" + given + "\" is not a Java class name");
      }
      return given;
    }
    try {
      return ClassPathPacker.mainClass(jars)
          .orElseThrow(
              () ->
                  new DeployException(
                      "no main class: name it after the class path, or deploy a jar whose"
                          + " manifest has a Main-Class"));
    } catch (ProgramException e) {
      throw new DeployException(e.getMessage());
    }
  }

  /** Reads the client until it ends: a Kill kills the deployment's processes. */
  private void readUntilEnd() throws IOException {
    ClientLink m;
    while ((m = link.read()) != null) {
      if (m instanceof ClientLink.Kill) {
        cluster.kill(id);
      } else {
        throw new ProtocolException("a " + m.getClass().getSimpleName() + " after the start");
      }
    }
  }

  /** Every process ended: tells the client the exit code; a detached run is over. */
  private void finish(int code) {
    relay.finish(code); // after every event, in the relay's order
    if (detached) {
      cluster.disconnected(this);
      forget();
    }
  }

  /**
   * The client is gone or was told the end: nothing of this deployment may run on, unless it runs
   * detached; that one ends when its processes do ({@link #finish}) or its start fails.
   */
  private void end() {
    LinkConnection<ClientLink> l = link;
    if (l != null) {
      l.close();
    }
    if (registered && detached) {
      return; // it ends with its processes, or when its start fails: its jars stay in use
    }
    cluster.disconnected(this);
    if (registered) {
      cluster.kill(id);
      forget();
    }
  }

  /** Forgets this deployment once its processes reported their ends (at most 5 s from now). */
  private void forget() {
    Bridge b = bridge;
    DeploymentBook.Kept k = kept;
    // Processes still running report their exits to the bridge as they are killed.
    CompletableFuture.runAsync(
        () -> {
          b.awaitQuiet(5_000);
          cluster.master().untrack(id);
          cluster.unregister(this);
          if (!startFailed) {
            cluster.book().finish(k, b.done().getNow(1)); // no-op when it ended on its own
          }
        });
  }

  /**
   * {@code deploy stop}: SIGTERM to every process of the deployment, SIGKILL to what is left after
   * the grace; answers what it did. A deployment that already ended is said to have.
   */
  private void stop(ClientLink.Stop request) throws IOException, DeployException {
    DeploymentBook.Kept k = known(request.id());
    Deployment d = cluster.running(request.id());
    if (d == null || d.bridge.done().isDone()) {
      link.sendLast(
          new ClientLink.Stopped(
              "deployment " + request.id() + " had already ended (" + state(k) + ")"));
      link.readToEndAndClose();
      return;
    }
    cluster.book().stopping(k);
    int alive = listed(k).alive();
    cluster.terminate(request.id());
    StringBuilder report =
        new StringBuilder("sent SIGTERM to the ")
            .append(alive)
            .append(alive == 1 ? " process" : " processes")
            .append(" of deployment ")
            .append(request.id());
    Integer code = await(d.bridge.done(), request.graceMillis());
    if (code == null) {
      int left = listed(k).alive();
      cluster.kill(request.id());
      report
          .append("; ")
          .append(left)
          .append(left == 1 ? " was" : " were")
          .append(" still running after ")
          .append(seconds(request.graceMillis()))
          .append(": sent SIGKILL");
      code = await(d.bridge.done(), 30_000);
    } else {
      report.append("; every one ended within ").append(seconds(request.graceMillis()));
    }
    report.append(code == null ? "; its end is not reported yet" : "; exit code " + code);
    link.sendLast(new ClientLink.Stopped(report.toString()));
    link.readToEndAndClose();
  }

  /**
   * {@code deploy attach}: sends the deployment's kept events, then the live ones, then its exit
   * code, from a sender thread; this thread reads the client, whose close detaches (stops nothing).
   */
  private void attach(ClientLink.Attach request) throws IOException, DeployException {
    DeploymentBook.Kept k = known(request.id());
    cluster.senders().execute(() -> stream(k));
    ClientLink m;
    try {
      while ((m = link.read()) != null) {
        throw new ProtocolException("a " + m.getClass().getSimpleName() + " while attached");
      }
    } catch (ProtocolException e) {
      throw e;
    } catch (IOException e) {
      log.debug("the client attached to deployment {} went: {}", k.id, e.getMessage());
    } finally {
      attachGone = true;
    }
  }

  /** Sends {@code k}'s events until its end, or until the attached client goes. */
  private void stream(DeploymentBook.Kept k) {
    long cursor = 0;
    try {
      while (!attachGone) {
        DeploymentBook.Batch b = cluster.book().read(k, cursor, DeploymentBook.READ_WAIT_NANOS);
        for (Event e : b.events()) {
          link.send(new Link.EventOf(0, e));
        }
        cursor = b.next();
        if (b.last()) {
          link.sendLast(new ClientLink.Done(b.code()));
          return;
        }
        if (b.events().isEmpty() && cluster.book().find(k.id).isEmpty()) {
          link.sendLast(
              new ClientLink.Failed(
                  "deployment " + k.id + " left the bridge's retention while attached"));
          return;
        }
      }
    } catch (IOException e) {
      link.close(); // the client went
    } catch (InterruptedException e) {
      link.close(); // the master is shutting down
      Thread.currentThread().interrupt();
    }
  }

  /** Returns the kept deployment {@code id}, or says it is unknown. */
  private DeploymentBook.Kept known(long id) throws DeployException {
    return cluster
        .book()
        .find(id)
        .orElseThrow(
            () ->
                new DeployException(
                    "this bridge holds no deployment "
                        + id
                        + " (deploy list shows those it holds; a finished one is kept for a"
                        + " while only)"));
  }

  private ClientLink.Listed listed(DeploymentBook.Kept k) {
    return cluster.book().list().stream()
        .filter(l -> l.id() == k.id)
        .findFirst()
        .orElse(
            new ClientLink.Listed(
                k.id, k.mainClass, 0, 0, 0, ClientLink.Listed.State.EXITED, 0, false));
  }

  private String state(DeploymentBook.Kept k) {
    return listed(k).stateText();
  }

  private static String seconds(long millis) {
    return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
  }

  /** Returns {@code done}'s value within {@code millis}, or null. */
  private static Integer await(CompletableFuture<Integer> done, long millis) {
    try {
      return done.get(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      return 1;
    }
  }

  /** Closes the client's connection, which ends the deployment. */
  void close() {
    LinkConnection<ClientLink> l = link;
    if (l != null) {
      l.closeBecause("the bridge is shutting down");
    }
  }

  /** The deployment's bridge prints by sending each event to the client. */
  private final class Relay implements EventFormat {
    /** Bytes of output queued for the client past which the program's output is paused. */
    private static final long BUDGET = 32L << 20;

    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<ClientLink> queue = new ArrayDeque<>();
    private long queued;
    private boolean broken;
    private boolean sending;

    /** Whether the fabrics were told to stop reading this program's output. Guarded by lock. */
    private boolean paused;

    /**
     * Queues the event for the client and returns at once: the thread that delivers it may be a
     * worker link's reader, shared by every deployment. Past the budget, every fabric stops reading
     * this program's output until the client has taken half of it, so a slow client (a pager, a
     * stalled laptop) slows its own processes, as a slow terminal slows a local run, and holds up
     * nobody else. What was already read when the pause came is queued on top.
     */
    @Override
    public void write(Event event) throws IOException {
      cluster.book().append(kept, event);
      if (detached) {
        return; // kept for attach only; never paused
      }
      boolean pause = false;
      lock.lock();
      try {
        if (broken) {
          throw new IOException("the client is gone");
        }
        queue.add(new Link.EventOf(0, event));
        queued += size(event);
        if (queued > BUDGET && !paused) {
          paused = true;
          pause = true;
        }
        startSending();
      } finally {
        lock.unlock();
      }
      if (pause) {
        cluster.pauseOutput(id, true);
      }
    }

    /** Returns whether the program's output is paused now. */
    boolean paused() {
      lock.lock();
      try {
        return paused;
      } finally {
        lock.unlock();
      }
    }

    /** Queues the Done after every event, then the link is closed. */
    void finish(int code) {
      cluster.book().finish(kept, code);
      if (detached) {
        return;
      }
      lock.lock();
      try {
        if (broken) {
          return;
        }
        queue.add(new ClientLink.Done(code));
        startSending();
      } finally {
        lock.unlock();
      }
    }

    /** Call only when holding lock. */
    private void startSending() {
      if (!sending) {
        sending = true;
        cluster.senders().execute(this::drain);
      }
    }

    private static long size(Event event) {
      return event instanceof Event.Output o ? o.data().length + 64L : 64L;
    }

    /** Sends what is queued, in order, until the queue is empty. */
    private void drain() {
      while (true) {
        ClientLink next;
        lock.lock();
        try {
          next = queue.poll();
          if (next == null || broken) {
            sending = false;
            return;
          }
        } finally {
          lock.unlock();
        }
        boolean last = next instanceof ClientLink.Done;
        // The last message half-closes: the reader sees the client close once it has read all.
        boolean sent = last ? link.sendLast(next) : link.trySend(next);
        boolean resume = false;
        lock.lock();
        try {
          if (next instanceof Link.EventOf e) {
            queued -= size(e.event());
          }
          broken |= !sent || last; // nothing goes after the end
          if (paused && (queued < BUDGET / 2 || broken)) {
            paused = false;
            resume = true;
          }
        } finally {
          lock.unlock();
        }
        if (resume) {
          cluster.pauseOutput(id, false);
        }
      }
    }

    @Override
    public void flush() {}
  }

  /** A deployment that cannot start; one sentence for the user. */
  private static final class DeployException extends Exception {
    private static final long serialVersionUID = 1L;

    DeployException(String message) {
      super(message);
    }
  }
}
