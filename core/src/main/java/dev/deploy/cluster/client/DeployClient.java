package dev.deploy.cluster.client;

import dev.deploy.bridge.Bridge;
import dev.deploy.bridge.EventFormat;
import dev.deploy.cluster.link.JarSender;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.program.ClassPathPacker;
import dev.deploy.program.ClassPathPacker.PackedJar;
import dev.deploy.program.JarRef;
import dev.deploy.program.ProgramException;
import dev.deploy.security.AuthenticationException;
import dev.deploy.security.ClusterKey;
import dev.deploy.util.DaemonThreads;
import dev.deploy.wire.ClientLink;
import dev.deploy.wire.Link;
import dev.deploy.wire.ProtocolException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code deploy}: ships a program to a cluster's bridge and prints what its processes do, in the
 * user's format, through a {@link Bridge} of its own. Jars the cluster already has (by SHA-256) are
 * not sent again. Returns the deployment's exit code; a user's Ctrl-C asks the bridge to kill the
 * deployment's processes, prints their ends, and exits.
 */
public final class DeployClient {
  /**
   * What the command line asks for: the program on {@code classPath} with {@code mainClass} (null:
   * the first jar's Main-Class), its {@code arguments}, extra JVM {@code options}, and {@code
   * environment} variables ({@code NAME=value}) on top of each machine's own.
   */
  public record Request(
      InetSocketAddress bridge,
      String classPath,
      String mainClass,
      List<String> arguments,
      List<String> options,
      List<String> environment) {}

  /** A deploy that cannot go on; one sentence for the user, and the exit code. */
  public static final class DeployFailure extends Exception {
    private static final long serialVersionUID = 1L;

    /** Creates a failure with a one-sentence reason. */
    public DeployFailure(String message) {
      super(message);
    }
  }

  /**
   * How long the user's Ctrl-C waits for a message being written (a ping, a jar slice) before it
   * drops the link instead of sending Kill.
   */
  static final long KILL_SEND_MILLIS = 500;

  private final Dialer dialer;
  private final EventFormat format;

  /** Where upload progress goes, or null for none (JSON output). */
  private final PrintStream progress;

  private final boolean terminal;
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile LinkConnection<ClientLink> link;
  private volatile long sentBytes;

  /** Set by {@link #detachNow}: the connection's end is the user's doing. */
  private volatile boolean detaching;

  /**
   * A client that prints with {@code format} and reports upload progress to {@code progress}
   * (redrawn in place when {@code terminal}), or not at all when it is null.
   */
  public DeployClient(ClusterKey key, EventFormat format, PrintStream progress, boolean terminal) {
    this(
        format,
        progress,
        terminal,
        bridge ->
            LinkConnection.dial(
                bridge, key, Link.Role.DEPLOY, Link.Role.BRIDGE, ClientLink::decode));
  }

  /** As the public constructor, reaching bridges with {@code dialer}; for tests. */
  DeployClient(EventFormat format, PrintStream progress, boolean terminal, Dialer dialer) {
    this.format = format;
    this.progress = progress;
    this.terminal = terminal;
    this.dialer = dialer;
  }

  /** Dials a bridge: connects, authenticates and exchanges Hellos. */
  interface Dialer {
    /**
     * Returns the link to the bridge at {@code bridge}.
     *
     * @throws IOException as {@link LinkConnection#dial}
     */
    LinkConnection<ClientLink> dial(InetSocketAddress bridge) throws IOException;
  }

  /** Returns how many jar bytes the last run sent. */
  public long sentBytes() {
    return sentBytes;
  }

  /**
   * Deploys and waits for the end.
   *
   * @return the deployment's exit code
   * @throws DeployFailure when the program cannot be packed, the bridge cannot be reached or
   *     refuses the key, the program cannot start, or the connection is lost
   */
  public int run(Request request) throws DeployFailure {
    return (int) deploy(request, false);
  }

  /**
   * Deploys a program that runs on without this client ({@code deploy --detach}): returns its id
   * once its first process started; its output is kept at the bridge for {@link #attach}.
   *
   * @throws DeployFailure as {@link #run}
   */
  public long detach(Request request) throws DeployFailure {
    return deploy(request, true);
  }

  /** Runs a deploy; returns the exit code, or the detached deployment's id. */
  private long deploy(Request request, boolean detach) throws DeployFailure {
    Path work;
    try {
      work = Files.createTempDirectory("deploy-pack");
    } catch (IOException e) {
      throw new DeployFailure("cannot create a temporary directory: " + e.getMessage());
    }
    try {
      List<PackedJar> jars;
      try {
        jars = ClassPathPacker.pack(request.classPath(), work);
      } catch (ProgramException e) {
        throw new DeployFailure(e.getMessage());
      }
      return talk(request.bridge(), () -> converse(request, jars, detach));
    } finally {
      deleteQuietly(work);
    }
  }

  /** One conversation with a bridge, after the handshake. */
  private interface Conversation<T> {
    T run() throws IOException, DeployFailure;
  }

  /**
   * Dials the bridge at {@code bridge}, has {@code conversation} with it, closes; every failure of
   * the connection is one sentence naming the bridge.
   */
  private <T> T talk(InetSocketAddress bridge, Conversation<T> conversation) throws DeployFailure {
    ScheduledExecutorService timers =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.numbered("deploy-client-timer"));
    try {
      String where = bridge.getHostString() + ":" + bridge.getPort();
      try {
        link = dialer.dial(bridge);
      } catch (LinkConnection.WrongPeerException e) {
        throw new DeployFailure(
            e.getMessage() + ": deploy to the master's address (or its bridge)");
      } catch (AuthenticationException e) {
        throw new DeployFailure(
            "the bridge at " + where + " did not authenticate: " + e.getMessage());
      } catch (IOException e) {
        throw new DeployFailure("cannot reach the bridge at " + where + ": " + e.getMessage());
      }
      link.startPings(timers);
      try {
        return conversation.run();
      } catch (SocketTimeoutException e) {
        throw new DeployFailure("the bridge at " + where + " was silent for " + link.silence());
      } catch (ProtocolException e) {
        throw new DeployFailure("the bridge at " + where + " sent garbage: " + e.getMessage());
      } catch (IOException e) {
        if (detaching) {
          throw new DeployFailure("detached: the deployment runs on (deploy stop ends it)");
        }
        throw new DeployFailure(
            "lost the connection to the bridge at "
                + where
                + (e.getMessage() == null || e.getMessage().equals("closed")
                    ? ""
                    : " (" + e.getMessage() + ")"));
      } finally {
        link.close();
        finished.countDown();
      }
    } finally {
      timers.shutdownNow();
    }
  }

  /**
   * Returns the deployments the bridge at {@code bridge} holds, running and finished, oldest first.
   *
   * @throws DeployFailure when the bridge cannot be reached or refuses the key
   */
  public List<ClientLink.Listed> list(InetSocketAddress bridge) throws DeployFailure {
    return talk(
        bridge,
        () -> {
          link.send(new ClientLink.ListDeployments());
          ClientLink m = answer();
          if (m instanceof ClientLink.Deployments d) {
            return d.deployments();
          }
          throw new ProtocolException("it answered with a " + m.getClass().getSimpleName());
        });
  }

  /**
   * Stops deployment {@code id}: SIGTERM to each of its processes, SIGKILL after {@code
   * graceMillis} to those left. Returns what the bridge did, a sentence for the user.
   *
   * @throws DeployFailure when the bridge holds no such deployment, or cannot be reached
   */
  public String stop(InetSocketAddress bridge, long id, long graceMillis) throws DeployFailure {
    return talk(
        bridge,
        () -> {
          link.send(new ClientLink.Stop(id, graceMillis));
          ClientLink m = answer();
          if (m instanceof ClientLink.Stopped s) {
            return s.report();
          }
          throw new ProtocolException("it answered with a " + m.getClass().getSimpleName());
        });
  }

  /**
   * Prints deployment {@code id}'s output kept so far, then the live output, and returns its exit
   * code. {@link #detachNow} (the user's Ctrl-C) leaves it running.
   *
   * @throws DeployFailure when the bridge holds no such deployment, or the connection is lost
   */
  public int attach(InetSocketAddress bridge, long id) throws DeployFailure {
    return talk(
        bridge,
        () -> {
          link.send(new ClientLink.Attach(id));
          return events();
        });
  }

  /** Closes the connection of an {@link #attach}: the deployment runs on. */
  public void detachNow() {
    detaching = true;
    LinkConnection<ClientLink> l = link;
    if (l != null) {
      l.close();
    }
  }

  /** Reads the one answer of a request; a Failed is the failure. */
  private ClientLink answer() throws IOException, DeployFailure {
    ClientLink m = link.read();
    if (m == null) {
      throw new IOException("closed");
    }
    if (m instanceof ClientLink.Failed f) {
      throw new DeployFailure(f.message());
    }
    return m;
  }

  private long converse(Request request, List<PackedJar> jars, boolean detach)
      throws IOException, DeployFailure {
    List<JarRef> refs = new ArrayList<>();
    Map<String, PackedJar> bySha = new HashMap<>();
    for (PackedJar j : jars) {
      refs.add(j.ref());
      bySha.put(j.ref().sha256(), j);
    }
    if (detach) {
      link.send(new ClientLink.Detach());
    }
    link.send(
        new ClientLink.DeployRequest(
            request.mainClass(),
            request.arguments(),
            request.options(),
            request.environment(),
            refs));
    ClientLink answer = link.read();
    if (answer == null) {
      throw new IOException("closed");
    }
    if (answer instanceof ClientLink.Failed f) {
      throw new DeployFailure(f.message());
    }
    if (!(answer instanceof ClientLink.JarsWanted wanted)) {
      throw new ProtocolException("it answered with a " + answer.getClass().getSimpleName());
    }
    List<PackedJar> toSend = new ArrayList<>();
    for (String sha : wanted.sha256s()) {
      PackedJar j = bySha.get(sha);
      if (j == null) {
        throw new ProtocolException("it asked for a jar this program does not have");
      }
      toSend.add(j);
    }
    upload(toSend);
    if (detach) {
      ClientLink started = answer();
      if (started instanceof ClientLink.Started s) {
        return s.id();
      }
      throw new ProtocolException("it answered with a " + started.getClass().getSimpleName());
    }
    return events();
  }

  /** Prints the events the bridge sends with a bridge of this client's; returns the exit code. */
  private int events() throws IOException, DeployFailure {
    Bridge bridge = new Bridge(format);
    ClientLink m;
    while ((m = link.read()) != null) {
      if (m instanceof Link.EventOf e) {
        bridge.onEvent(e.event());
        if (bridge.done().isDone()) {
          return bridge.done().join(); // our output is gone (| head): stop, which kills the rest
        }
      } else if (m instanceof ClientLink.Done d) {
        bridge.flush();
        return d.code();
      } else if (m instanceof ClientLink.Failed f) {
        bridge.flush();
        throw new DeployFailure(f.message());
      } else {
        throw new ProtocolException("it sent a " + m.getClass().getSimpleName());
      }
    }
    bridge.flush();
    throw new IOException("closed");
  }

  private void upload(List<PackedJar> jars) throws IOException {
    long total = jars.stream().mapToLong(j -> j.ref().size()).sum();
    long[] sent = {0};
    int[] lastShown = {-1};
    for (PackedJar j : jars) {
      if (progress != null && !terminal) {
        progress.println("deploy: sending " + j.ref().name() + " (" + mib(j.ref().size()) + ")");
      }
      JarSender.send(
          link,
          j.ref().sha256(),
          j.file(),
          j.ref().size(),
          n -> {
            sent[0] += n;
            sentBytes = sent[0];
            int percent = (int) (100 * sent[0] / Math.max(1, total));
            if (progress != null && terminal && percent != lastShown[0]) {
              lastShown[0] = percent;
              progress.print(
                  "\rdeploy: sending "
                      + jars.size()
                      + (jars.size() == 1 ? " jar " : " jars ")
                      + percent
                      + "% ("
                      + mib(sent[0])
                      + " of "
                      + mib(total)
                      + ")");
              progress.flush();
            }
          });
    }
    if (progress != null && terminal && !jars.isEmpty()) {
      progress.println();
    }
  }

  private static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  /**
   * Asks the bridge to kill the deployment's processes and waits up to {@code millis} for their
   * ends to be printed; for the user's Ctrl-C.
   */
  public void interrupt(long millis) {
    LinkConnection<ClientLink> l = link;
    // A ping being written ends in microseconds: wait for it rather than drop the link, which
    // kills too but leaves the processes' ends unprinted.
    if (l != null && !l.sendWithin(new ClientLink.Kill(), KILL_SEND_MILLIS)) {
      l.close(); // a send is stuck (the bridge stopped reading): dropping the link kills too
      return;
    }
    if (l != null) {
      try {
        finished.await(millis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException ignored) {
                  // A temporary file; the system cleans its temp directory.
                }
              });
    } catch (IOException ignored) {
      // As above.
    }
  }
}
