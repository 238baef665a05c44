package dev.deploy.wire;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.program.JarRef;
import dev.deploy.util.HostPort;
import java.util.List;

/**
 * The protocol between the master and each worker fabric: the {@link Link} messages they share with
 * {@link ClientLink} and those only they speak. {@link #decode} refuses a deploy client's types.
 *
 * <p>Master to worker: {@link Link.Hello} (both ways, first), {@link AddProgram}, {@link
 * RemoveProgram}, {@link TerminateProgram}, {@link Launch}, {@link DropWarm}, {@link PauseOutput},
 * {@link Fate}, and the answers {@link SpawnResult}, {@link WarmAnswer}, {@link FateAnswer}, {@link
 * Link.JarChunk}. Worker to master: {@link LaunchResult}, {@link Link.EventOf}, {@link Pending},
 * {@link Settled}, {@link Spawn}, {@link CancelWaiting}, {@link ReserveWarm}, {@link ReleaseWarm},
 * {@link Fate}, {@link FateAnswer}, {@link JarWanted}. Both: {@link Link.Ping}. A worker that joins
 * (dials its master instead of being dialled): {@link Link.Hello}, then {@link Join}; the master
 * answers {@link JoinAnswer}, and then the link is as above, but for {@link Retire}, which the
 * master may send a joined worker last.
 */
public sealed interface WorkerLink extends Link
    permits Link.Hello,
        Link.EventOf,
        Link.JarChunk,
        Link.Ping,
        WorkerLink.AddProgram,
        WorkerLink.RemoveProgram,
        WorkerLink.TerminateProgram,
        WorkerLink.Launch,
        WorkerLink.LaunchResult,
        WorkerLink.Pending,
        WorkerLink.Settled,
        WorkerLink.Spawn,
        WorkerLink.SpawnResult,
        WorkerLink.CancelWaiting,
        WorkerLink.ReserveWarm,
        WorkerLink.WarmAnswer,
        WorkerLink.ReleaseWarm,
        WorkerLink.DropWarm,
        WorkerLink.Fate,
        WorkerLink.FateAnswer,
        WorkerLink.JarWanted,
        WorkerLink.PauseOutput,
        WorkerLink.Join,
        WorkerLink.Retire,
        WorkerLink.JoinAnswer {
  /**
   * Decodes a frame of this protocol.
   *
   * @throws ProtocolException naming the unknown type, the type of the other protocol (which this
   *     one refuses), or the malformed field
   */
  static WorkerLink decode(Frame frame) throws ProtocolException {
    MessageIn in = new MessageIn(frame.payload());
    WorkerLink message =
        switch (frame.type()) {
          case Link.Hello.TYPE -> LinkFields.hello(in);
          case Link.EventOf.TYPE -> LinkFields.eventOf(in);
          case Link.JarChunk.TYPE -> LinkFields.jarChunk(in);
          case Link.Ping.TYPE -> new Link.Ping();
          case AddProgram.TYPE ->
              new AddProgram(
                  in.i64("program"),
                  in.string("main class"),
                  in.strings("arguments", MAX_ARGS),
                  in.strings("options", MAX_ARGS),
                  in.strings("environment", MAX_ARGS),
                  LinkFields.readJars(in));
          case RemoveProgram.TYPE -> new RemoveProgram(in.i64("program"));
          case TerminateProgram.TYPE -> new TerminateProgram(in.i64("program"));
          case Launch.TYPE ->
              new Launch(
                  in.i64("order"),
                  in.i64("program"),
                  in.optionalPid("parent"),
                  in.resources("resources"),
                  in.optionalBytes("task"));
          case LaunchResult.TYPE ->
              new LaunchResult(in.i64("order"), in.optionalPid("pid"), in.optionalString("error"));
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
                  SpawnOutcome.of(in.u8("outcome")),
                  in.optionalPid("pid"),
                  in.optionalString("error"));
          case CancelWaiting.TYPE -> new CancelWaiting(in.pid("parent"));
          case ReserveWarm.TYPE -> new ReserveWarm(in.i64("request"), in.resources("resources"));
          case WarmAnswer.TYPE -> new WarmAnswer(in.i64("request"), in.u8("granted") != 0);
          case ReleaseWarm.TYPE -> new ReleaseWarm(in.resources("resources"));
          case DropWarm.TYPE -> new DropWarm();
          case Fate.TYPE -> new Fate(in.i64("request"), in.pid("pid"), in.optionalPid("asker"));
          case FateAnswer.TYPE -> new FateAnswer(in.i64("request"), in.exitStatus("status"));
          case JarWanted.TYPE -> new JarWanted(LinkFields.sha(in.string("sha256")));
          case PauseOutput.TYPE -> new PauseOutput(in.i64("program"), in.u8("paused") != 0);
          case Join.TYPE ->
              Join.checked(
                  in.string("name"),
                  in.i64("memory"),
                  in.i64("cpu millis"),
                  in.string("advertised host"));
          case Retire.TYPE -> new Retire();
          case JoinAnswer.TYPE ->
              new JoinAnswer(in.u8("accepted") != 0, in.optionalString("reason"));
          default -> throw LinkFields.refused(frame.type(), WorkerLink.class, ClientLink.class);
        };
    in.end("message type " + frame.type());
    return message;
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
      implements WorkerLink {
    public static final int TYPE = 21;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(program).string(mainClass).strings(arguments).strings(options).strings(environment);
      LinkFields.writeJars(out, jars);
    }
  }

  /**
   * Master to worker: send SIGTERM to every running process of {@code program} ({@code deploy
   * stop}); it stays known, and a {@link RemoveProgram} may follow.
   */
  record TerminateProgram(long program) implements WorkerLink {
    public static final int TYPE = 44;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(program);
    }
  }

  /** Master to worker: kill every process of {@code program} and forget it. */
  record RemoveProgram(long program) implements WorkerLink {
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
      implements WorkerLink {
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
  record LaunchResult(long order, Pid pid, String error) implements WorkerLink {
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

  /** Worker to master: a launch of {@code program} began (the bridge's pending count). */
  record Pending(long program) implements WorkerLink {
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
  record Settled(long program) implements WorkerLink {
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
      implements WorkerLink {
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
  record SpawnResult(long request, SpawnOutcome outcome, Pid pid, String error)
      implements WorkerLink {
    public static final int TYPE = 29;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(request).u8(outcome.code()).optionalPid(pid).optionalString(error);
    }
  }

  /** Worker to master: {@code parent} ended; withdraw its queued spawns. */
  record CancelWaiting(Pid parent) implements WorkerLink {
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
  record ReserveWarm(long request, Resources resources) implements WorkerLink {
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
  record WarmAnswer(long request, boolean granted) implements WorkerLink {
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
  record ReleaseWarm(Resources resources) implements WorkerLink {
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
  record DropWarm() implements WorkerLink {
    public static final int TYPE = 34;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {}
  }

  /**
   * Either way: how did (or will) {@code pid} end, as {@code asker} (a process whose channel with
   * it could not be finished, or null) should be told? Answered by {@link FateAnswer}: a clean exit
   * that left values to the asker unacknowledged is a death to it.
   */
  record Fate(long request, Pid pid, Pid asker) implements WorkerLink {
    public static final int TYPE = 35;

    /** A question about {@code pid} for no process in particular. */
    public Fate(long request, Pid pid) {
      this(request, pid, null);
    }

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(request).pid(pid).optionalPid(asker);
    }
  }

  /** Either way: the pid of fate {@code request} ended so. */
  record FateAnswer(long request, ExitStatus status) implements WorkerLink {
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
  record JarWanted(String sha256) implements WorkerLink {
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
   * Master to worker: stop ({@code paused}) or restart reading the output of {@code program}'s
   * processes; its bridge holds more than its client takes.
   */
  record PauseOutput(long program, boolean paused) implements WorkerLink {
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

  /**
   * Worker to master, right after the Hellos on a link the worker dialled: this fabric joins the
   * cluster as the node {@code name} with {@code memory} bytes and {@code cpuMillis} thousandths of
   * a core to run processes in; its processes' pids carry {@code advertisedHost}. The master
   * answers {@link JoinAnswer}.
   */
  record Join(String name, long memory, long cpuMillis, String advertisedHost)
      implements WorkerLink {
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
          || HostPort.isWildcard(advertisedHost)) {
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
  record Retire() implements WorkerLink {
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
  record JoinAnswer(boolean accepted, String reason) implements WorkerLink {
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
