package dev.deploy.wire;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.program.JarRef;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages between the daemons of a cluster, after the cluster-key handshake: on the link from
 * the master to each worker fabric, and on the connection from {@code deploy} to the bridge. Each
 * is one frame; {@link #decode} checks every field, so a malformed frame is a {@link
 * ProtocolException} naming what is wrong, never an unchecked exception.
 *
 * <p>Master to worker: {@link Hello} (both ways, first), {@link AddProgram}, {@link RemoveProgram},
 * {@link Launch}, {@link DropWarm}, {@link Fate}, and the answers {@link SpawnResult}, {@link
 * WarmAnswer}, {@link FateAnswer}, {@link JarChunk}. Worker to master: {@link LaunchResult}, {@link
 * EventOf}, {@link Pending}, {@link Settled}, {@link Spawn}, {@link CancelWaiting}, {@link
 * ReserveWarm}, {@link ReleaseWarm}, {@link Fate}, {@link FateAnswer}, {@link JarWanted}. Both:
 * {@link Ping}. Deploy to bridge: {@link Hello}, {@link DeployRequest}, {@link JarChunk}, {@link
 * Kill}; bridge to deploy: {@link Hello}, {@link JarsWanted}, {@link EventOf}, {@link Done}, {@link
 * Failed}. A worker that joins (dials its master instead of being dialled): {@link Hello}, then
 * {@link Join}; the master answers {@link JoinAnswer}, and then the link is as above, but for
 * {@link Retire}, which the master may send a joined worker last.
 */
public sealed interface Link {
  /** The most jars a program may have. */
  int MAX_JARS = 10_000;

  /** The most arguments or options a program may have. */
  int MAX_ARGS = 100_000;

  /** Bytes of a jar per {@link JarChunk}. */
  int JAR_CHUNK = 1 << 20;

  /** Returns the frame type byte. */
  int type();

  /** Writes the fields. */
  void encode(MessageOut out);

  /** Returns the payload. */
  default byte[] encode() {
    MessageOut out = new MessageOut();
    encode(out);
    return out.toByteArray();
  }

  /**
   * Decodes a frame.
   *
   * @throws ProtocolException naming the unknown type or the malformed field
   */
  static Link decode(Frame frame) throws ProtocolException {
    MessageIn in = new MessageIn(frame.payload());
    Link message =
        switch (frame.type()) {
          case Hello.TYPE -> new Hello(in.i32("protocol"), in.string("version"), in.u8("role"));
          case AddProgram.TYPE ->
              new AddProgram(
                  in.i64("program"),
                  in.string("main class"),
                  in.strings("arguments", MAX_ARGS),
                  in.strings("options", MAX_ARGS),
                  in.strings("environment", MAX_ARGS),
                  readJars(in));
          case RemoveProgram.TYPE -> new RemoveProgram(in.i64("program"));
          case Launch.TYPE ->
              new Launch(
                  in.i64("order"),
                  in.i64("program"),
                  in.optionalPid("parent"),
                  in.resources("resources"),
                  in.optionalBytes("task"));
          case LaunchResult.TYPE ->
              new LaunchResult(in.i64("order"), in.optionalPid("pid"), in.optionalString("error"));
          case EventOf.TYPE -> new EventOf(in.i64("program"), event(in));
          case Pending.TYPE -> new Pending(in.i64("program"));
          case Settled.TYPE -> new Settled(in.i64("program"));
          case Spawn.TYPE ->
              new Spawn(
                  in.i64("request"),
                  in.i64("program"),
                  in.pid("parent"),
                  in.resources("resources"),
                  in.bytes("task"),
                  in.u8("wait") != 0);
          case SpawnResult.TYPE ->
              new SpawnResult(
                  in.i64("request"),
                  outcome(in.u8("outcome")),
                  in.optionalPid("pid"),
                  in.optionalString("error"));
          case CancelWaiting.TYPE -> new CancelWaiting(in.pid("parent"));
          case ReserveWarm.TYPE -> new ReserveWarm(in.i64("request"), in.resources("resources"));
          case WarmAnswer.TYPE -> new WarmAnswer(in.i64("request"), in.u8("granted") != 0);
          case ReleaseWarm.TYPE -> new ReleaseWarm(in.resources("resources"));
          case DropWarm.TYPE -> new DropWarm();
          case Fate.TYPE -> new Fate(in.i64("request"), in.pid("pid"));
          case FateAnswer.TYPE -> new FateAnswer(in.i64("request"), in.exitStatus("status"));
          case JarWanted.TYPE -> new JarWanted(sha(in.string("sha256")));
          case JarChunk.TYPE -> new JarChunk(sha(in.string("sha256")), in.bytes("data"));
          case Ping.TYPE -> new Ping();
          case PauseOutput.TYPE -> new PauseOutput(in.i64("program"), in.u8("paused") != 0);
          case DeployRequest.TYPE ->
              new DeployRequest(
                  in.optionalString("main class"),
                  in.strings("arguments", MAX_ARGS),
                  in.strings("options", MAX_ARGS),
                  in.strings("environment", MAX_ARGS),
                  readJars(in));
          case JarsWanted.TYPE -> new JarsWanted(shas(in));
          case Done.TYPE -> new Done(in.i32("code"));
          case Failed.TYPE -> new Failed(in.string("message"));
          case Kill.TYPE -> new Kill();
          case Join.TYPE ->
              Join.checked(
                  in.string("name"),
                  in.i64("memory"),
                  in.i64("cpu millis"),
                  in.string("advertised host"));
          case Retire.TYPE -> new Retire();
          case JoinAnswer.TYPE ->
              new JoinAnswer(in.u8("accepted") != 0, in.optionalString("reason"));
          default -> throw new ProtocolException("unknown message type " + frame.type());
        };
    in.end("message type " + frame.type());
    return message;
  }

  private static int outcome(int outcome) throws ProtocolException {
    if (outcome > SpawnResult.FAILED) {
      throw new ProtocolException("unknown spawn outcome " + outcome);
    }
    return outcome;
  }

  private static String sha(String s) throws ProtocolException {
    if (!JarRef.isSha256(s)) {
      throw new ProtocolException("a jar's SHA-256 is not 64 lowercase hex characters");
    }
    return s;
  }

  private static List<String> shas(MessageIn in) throws ProtocolException {
    List<String> out = new ArrayList<>();
    for (String s : in.strings("jars", MAX_JARS)) {
      out.add(sha(s));
    }
    return out;
  }

  private static List<JarRef> readJars(MessageIn in) throws ProtocolException {
    int n = in.i32("jar count");
    if (n < 0 || n > MAX_JARS) {
      throw new ProtocolException("jar count " + n + " is outside 0.." + MAX_JARS);
    }
    List<JarRef> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String sha = in.string("jar sha256");
      String name = in.string("jar name");
      long size = in.i64("jar size");
      try {
        out.add(new JarRef(sha, name, size));
      } catch (IllegalArgumentException e) {
        throw new ProtocolException("jar " + i + ": " + e.getMessage());
      }
    }
    return out;
  }

  private static void writeJars(MessageOut out, List<JarRef> jars) {
    out.i32(jars.size());
    for (JarRef j : jars) {
      out.string(j.sha256()).string(j.name()).i64(j.size());
    }
  }

  private static Event event(MessageIn in) throws ProtocolException {
    int kind = in.u8("event kind");
    Pid pid = in.pid("pid");
    return switch (kind) {
      case 1 ->
          new Event.Spawned(
              pid,
              in.optionalPid("parent"),
              in.u8("has resources") == 1 ? in.resources("resources") : null,
              in.optionalString("node"));
      case 2 -> new Event.Output(pid, fd(in), in.bytes("data"));
      case 3 -> new Event.Eof(pid, fd(in));
      case 4 -> new Event.Exit(pid, in.exitStatus("status"));
      case 5 ->
          new Event.Waiting(
              pid, in.resources("resources"), in.optionalString("node"), in.i64("waited millis"));
      default -> throw new ProtocolException("unknown event kind " + kind);
    };
  }

  private static int fd(MessageIn in) throws ProtocolException {
    int fd = in.u8("fd");
    if (fd != 1 && fd != 2) {
      throw new ProtocolException("fd " + fd + " is neither 1 nor 2");
    }
    return fd;
  }

  /**
   * Both ways, first: the protocol number and the runtime's version, for a clear mismatch error,
   * and what the sender is ({@link #MASTER}, {@link #WORKER}, {@link #DEPLOY}, {@link #BRIDGE}), so
   * a connection to the wrong daemon is refused before it does anything.
   */
  record Hello(int protocol, String version, int role) implements Link {
    public static final int TYPE = 20;

    /**
     * This build's protocol number. 3: an exit status killed by its memory limit carries that limit
     * (see {@link MessageOut#exitStatus}). 4: a spawn event carries its resources and node, and a
     * spawn that waits for room says so (event kind 5).
     */
    public static final int PROTOCOL = 4;

    /** The master, dialling a worker. */
    public static final int MASTER = 1;

    /** A worker, answering its master. */
    public static final int WORKER = 2;

    /** A deploy client, dialling a bridge. */
    public static final int DEPLOY = 3;

    /** A bridge, answering a deploy client. */
    public static final int BRIDGE = 4;

    /** Returns what {@code role} names, for messages. */
    public static String roleName(int role) {
      return switch (role) {
        case MASTER -> "a cluster's master";
        case WORKER -> "a worker (fabric)";
        case DEPLOY -> "a deploy client";
        case BRIDGE -> "a bridge (fabric master)";
        default -> "something unknown (role " + role + ")";
      };
    }

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i32(protocol).string(version).u8(role);
    }
  }

  /**
   * Master to worker: the program numbered {@code program} runs {@code mainClass} with {@code
   * arguments} and JVM {@code options} on a class path of {@code jars}, in that order, with the
   * worker's environment plus {@code environment} ({@code NAME=value} each).
   */
  record AddProgram(
      long program,
      String mainClass,
      List<String> arguments,
      List<String> options,
      List<String> environment,
      List<JarRef> jars)
      implements Link {
    public static final int TYPE = 21;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(program).string(mainClass).strings(arguments).strings(options).strings(environment);
      writeJars(out, jars);
    }
  }

  /** Master to worker: kill every process of {@code program} and forget it. */
  record RemoveProgram(long program) implements Link {
    public static final int TYPE = 22;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(program);
    }
  }

  /** Master to worker: start a process; answered by {@link LaunchResult} with the same order. */
  record Launch(long order, long program, Pid parent, Resources resources, byte[] task)
      implements Link {
    public static final int TYPE = 23;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(order).i64(program).optionalPid(parent).resources(resources).optionalBytes(task);
    }
  }

  /** Worker to master: the process of {@code order} registered as {@code pid}, or {@code error}. */
  record LaunchResult(long order, Pid pid, String error) implements Link {
    public static final int TYPE = 24;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(order).optionalPid(pid).optionalString(error);
    }
  }

  /** Worker to master, and bridge to deploy: an event of a process of {@code program}. */
  record EventOf(long program, Event event) implements Link {
    public static final int TYPE = 25;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(program);
      if (event instanceof Event.Spawned s) {
        out.u8(1).pid(s.pid()).optionalPid(s.parent()).u8(s.resources() == null ? 0 : 1);
        if (s.resources() != null) {
          out.resources(s.resources());
        }
        out.optionalString(s.node());
      } else if (event instanceof Event.Output o) {
        out.u8(2).pid(o.pid()).u8(o.fd()).bytes(o.data());
      } else if (event instanceof Event.Eof e) {
        out.u8(3).pid(e.pid()).u8(e.fd());
      } else if (event instanceof Event.Exit x) {
        out.u8(4).pid(x.pid()).exitStatus(x.status());
      } else if (event instanceof Event.Waiting w) {
        out.u8(5).pid(w.pid()).resources(w.resources()).optionalString(w.node());
        out.i64(w.waitedMillis());
      }
    }
  }

  /** Worker to master: a launch of {@code program} began (the bridge's pending count). */
  record Pending(long program) implements Link {
    public static final int TYPE = 26;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(program);
    }
  }

  /** Worker to master: a launch of {@code program} registered or failed. */
  record Settled(long program) implements Link {
    public static final int TYPE = 27;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(program);
    }
  }

  /** Worker to master: a process asks for a spawn; answered by {@link SpawnResult}. */
  record Spawn(
      long request, long program, Pid parent, Resources resources, byte[] task, boolean queue)
      implements Link {
    public static final int TYPE = 28;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(request).i64(program).pid(parent).resources(resources).bytes(task).u8(queue ? 1 : 0);
    }
  }

  /** Master to worker: how spawn {@code request} ended (outcomes as {@link Control.SpawnReply}). */
  record SpawnResult(long request, int outcome, Pid pid, String error) implements Link {
    public static final int TYPE = 29;
    public static final int STARTED = 0;
    public static final int NO_ROOM = 1;
    public static final int FAILED = 2;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(request).u8(outcome).optionalPid(pid).optionalString(error);
    }
  }

  /** Worker to master: {@code parent} ended; withdraw its queued spawns. */
  record CancelWaiting(Pid parent) implements Link {
    public static final int TYPE = 30;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.pid(parent);
    }
  }

  /** Worker to master: may a warm JVM of {@code resources} start? Answered by WarmAnswer. */
  record ReserveWarm(long request, Resources resources) implements Link {
    public static final int TYPE = 31;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(request).resources(resources);
    }
  }

  /** Master to worker: whether the warm JVM of {@code request} has room. */
  record WarmAnswer(long request, boolean granted) implements Link {
    public static final int TYPE = 32;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(request).u8(granted ? 1 : 0);
    }
  }

  /** Worker to master: a warm JVM's room is free again. */
  record ReleaseWarm(Resources resources) implements Link {
    public static final int TYPE = 33;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.resources(resources);
    }
  }

  /** Master to worker: stop every warm JVM; the master has already freed their room. */
  record DropWarm() implements Link {
    public static final int TYPE = 34;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {}
  }

  /** Either way: how did (or will) {@code pid} end? Answered by {@link FateAnswer}. */
  record Fate(long request, Pid pid) implements Link {
    public static final int TYPE = 35;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(request).pid(pid);
    }
  }

  /** Either way: the pid of fate {@code request} ended so. */
  record FateAnswer(long request, ExitStatus status) implements Link {
    public static final int TYPE = 36;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(request).exitStatus(status);
    }
  }

  /** Worker to master: send me the jar with this hash. */
  record JarWanted(String sha256) implements Link {
    public static final int TYPE = 37;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.string(sha256);
    }
  }

  /**
   * The next bytes of a jar, in order, at most {@link #JAR_CHUNK}; the jar is complete when its
   * announced size has arrived.
   */
  record JarChunk(String sha256, byte[] data) implements Link {
    public static final int TYPE = 38;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.string(sha256).bytes(data);
    }
  }

  /**
   * Master to worker: stop ({@code paused}) or restart reading the output of {@code program}'s
   * processes; its bridge holds more than its client takes.
   */
  record PauseOutput(long program, boolean paused) implements Link {
    public static final int TYPE = 40;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(program).u8(paused ? 1 : 0);
    }
  }

  /** Either way, every second on an idle link: I am alive. */
  record Ping() implements Link {
    public static final int TYPE = 39;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {}
  }

  /**
   * Deploy to bridge: run {@code mainClass} (null: the first jar's {@code Main-Class}) with {@code
   * arguments}, JVM {@code options} and the variables of {@code environment} ({@code NAME=value}
   * each) on a class path of {@code jars}.
   */
  record DeployRequest(
      String mainClass,
      List<String> arguments,
      List<String> options,
      List<String> environment,
      List<JarRef> jars)
      implements Link {
    public static final int TYPE = 50;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.optionalString(mainClass).strings(arguments).strings(options).strings(environment);
      writeJars(out, jars);
    }
  }

  /** Bridge to deploy: send these jars (the cluster has the others); empty: none. */
  record JarsWanted(List<String> sha256s) implements Link {
    public static final int TYPE = 51;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.strings(sha256s);
    }
  }

  /** Bridge to deploy: every process ended; the deployment's exit code. Last message. */
  record Done(int code) implements Link {
    public static final int TYPE = 52;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i32(code);
    }
  }

  /** Bridge to deploy: the program could not start; one sentence. Last message. */
  record Failed(String message) implements Link {
    public static final int TYPE = 53;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.string(message);
    }
  }

  /** Deploy to bridge: kill every process of this deployment (the user pressed Ctrl-C). */
  record Kill() implements Link {
    public static final int TYPE = 54;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {}
  }

  /**
   * Worker to master, right after the Hellos on a link the worker dialled: this fabric joins the
   * cluster as the node {@code name} with {@code memory} bytes and {@code cpuMillis} thousandths of
   * a core to run processes in; its processes' pids carry {@code advertisedHost}. The master
   * answers {@link JoinAnswer}.
   */
  record Join(String name, long memory, long cpuMillis, String advertisedHost) implements Link {
    public static final int TYPE = 41;

    /** The longest node name. */
    public static final int MAX_NAME = 63;

    /** The most cores a node may report: a million. */
    public static final long MAX_CPU_MILLIS = 1_000_000_000L;

    private static final java.util.regex.Pattern NAME =
        java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0," + (MAX_NAME - 1) + "}");

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException naming the bad field and its value
     */
    public Join {
      String why = checkName(name);
      if (why != null) {
        throw new IllegalArgumentException(why);
      }
      if (memory < Resources.MIN_MEMORY) {
        throw new IllegalArgumentException(
            "a node's memory of " + memory + " B is too little for a JVM: the least is 64 MiB");
      }
      if (cpuMillis <= 0 || cpuMillis > MAX_CPU_MILLIS) {
        throw new IllegalArgumentException(
            "a node's cpu of " + cpuMillis + " thousandths of a core is outside 1..1000000 cores");
      }
      if (advertisedHost == null
          || advertisedHost.isEmpty()
          || advertisedHost.length() > 255
          || advertisedHost.chars().anyMatch(c -> c <= ' ' || c >= 127)
          || dev.deploy.master.Advertised.isWildcard(advertisedHost)) {
        throw new IllegalArgumentException(
            "a node's advertised host \""
                + advertisedHost
                + "\" is not an address others can dial (a host name or IP, never a wildcard)");
      }
    }

    /** A node joining with {@code capacity}: its cpu rounded to thousandths of a core. */
    public static Join of(String name, Resources capacity, String advertisedHost) {
      return new Join(name, capacity.memory(), Math.round(capacity.cpu() * 1000), advertisedHost);
    }

    /**
     * Returns null when {@code name} may name a node (1 to 63 letters, digits, and {@code . _ : -}
     * after the first, which is a letter or digit), else the sentence saying why not.
     */
    public static String checkName(String name) {
      if (name == null || !NAME.matcher(name).matches()) {
        return "the node name \""
            + name
            + "\" is not 1 to "
            + MAX_NAME
            + " letters, digits, '.', '_', ':' or '-' starting with a letter or digit";
      }
      return null;
    }

    /** Returns the capacity the node reported. */
    public Resources capacity() {
      return new Resources(memory, cpuMillis / 1000.0);
    }

    static Join checked(String name, long memory, long cpuMillis, String advertisedHost)
        throws ProtocolException {
      try {
        return new Join(name, memory, cpuMillis, advertisedHost);
      } catch (IllegalArgumentException e) {
        throw new ProtocolException(e.getMessage());
      }
    }

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.string(name).i64(memory).i64(cpuMillis).string(advertisedHost);
    }
  }

  /**
   * Master to a worker that joined, last: the master took this idle node out of its books (a node
   * provider retired it); the worker stops, rather than join again. Nothing runs there.
   */
  record Retire() implements Link {
    public static final int TYPE = 43;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {}
  }

  /**
   * Master to a worker that sent {@link Join}: {@code accepted}, or refused with the sentence
   * {@code reason} saying why (its name is in use, say). A refused worker's link is closed after.
   */
  record JoinAnswer(boolean accepted, String reason) implements Link {
    public static final int TYPE = 42;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.u8(accepted ? 1 : 0).optionalString(reason);
    }
  }
}
