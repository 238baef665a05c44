package dev.deploy.wire;

import dev.deploy.program.JarRef;
import java.util.List;

/**
 * The protocol between {@code deploy} and the bridge it dials: the {@link Link} messages it shares
 * with {@link WorkerLink} and those only it speaks. {@link #decode} refuses the master's and the
 * workers' types: a client that sends a {@link WorkerLink.Launch} to a bridge is a protocol error.
 *
 * <p>Deploy to bridge: {@link Link.Hello}, {@link DeployRequest}, {@link Link.JarChunk}, {@link
 * Kill}; bridge to deploy: {@link Link.Hello}, {@link JarsWanted}, {@link Link.EventOf}, {@link
 * Done}, {@link Failed}. Both: {@link Link.Ping}.
 *
 * <p>Deployments a client holds: {@link Detach} then {@link DeployRequest} starts a program that
 * runs on without its client (answered with {@link Started}); {@link ListDeployments} (answered
 * with {@link Deployments}), {@link Stop} (answered with {@link Stopped}) and {@link Attach}
 * (answered with the kept {@link Link.EventOf}s, the live ones, then {@link Done}) are each a
 * connection's first message; {@link Failed} answers any of them that cannot be done.
 */
public sealed interface ClientLink extends Link
    permits Link.Hello,
        Link.EventOf,
        Link.JarChunk,
        Link.Ping,
        ClientLink.DeployRequest,
        ClientLink.JarsWanted,
        ClientLink.Done,
        ClientLink.Failed,
        ClientLink.Kill,
        ClientLink.Detach,
        ClientLink.Started,
        ClientLink.ListDeployments,
        ClientLink.Deployments,
        ClientLink.Stop,
        ClientLink.Stopped,
        ClientLink.Attach {
  /** The most deployments one {@link Deployments} lists. */
  int MAX_LISTED = 100_000;

  /**
   * Decodes a frame of this protocol.
   *
   * @throws ProtocolException naming the unknown type, the type of the other protocol (which this
   *     one refuses), or the malformed field
   */
  static ClientLink decode(Frame frame) throws ProtocolException {
    MessageIn in = new MessageIn(frame.payload());
    ClientLink message =
        switch (frame.type()) {
          case Link.Hello.TYPE -> LinkFields.hello(in);
          case Link.EventOf.TYPE -> LinkFields.eventOf(in);
          case Link.JarChunk.TYPE -> LinkFields.jarChunk(in);
          case Link.Ping.TYPE -> new Link.Ping();
          case DeployRequest.TYPE ->
              new DeployRequest(
                  in.optionalString("main class"),
                  in.strings("arguments", MAX_ARGS),
                  in.strings("options", MAX_ARGS),
                  in.strings("environment", MAX_ARGS),
                  LinkFields.readJars(in));
          case JarsWanted.TYPE -> new JarsWanted(LinkFields.shas(in));
          case Done.TYPE -> new Done(in.i32("code"));
          case Failed.TYPE -> new Failed(in.string("message"));
          case Kill.TYPE -> new Kill();
          case Detach.TYPE -> new Detach();
          case Started.TYPE -> new Started(in.i64("deployment"));
          case ListDeployments.TYPE -> new ListDeployments();
          case Deployments.TYPE -> new Deployments(listed(in));
          case Stop.TYPE -> new Stop(in.i64("deployment"), nonNegative(in.i64("grace"), "grace"));
          case Stopped.TYPE -> new Stopped(in.string("report"));
          case Attach.TYPE -> new Attach(in.i64("deployment"));
          default -> throw LinkFields.refused(frame.type(), ClientLink.class, WorkerLink.class);
        };
    in.end("message type " + frame.type());
    return message;
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
      implements ClientLink {
    public static final int TYPE = 50;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.optionalString(mainClass).strings(arguments).strings(options).strings(environment);
      LinkFields.writeJars(out, jars);
    }
  }

  /** Bridge to deploy: send these jars (the cluster has the others); empty: none. */
  record JarsWanted(List<String> sha256s) implements ClientLink {
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
  record Done(int code) implements ClientLink {
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
  record Failed(String message) implements ClientLink {
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
  record Kill() implements ClientLink {
    public static final int TYPE = 54;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {}
  }

  private static List<Listed> listed(MessageIn in) throws ProtocolException {
    int n = in.i32("deployment count");
    if (n < 0 || n > MAX_LISTED) {
      throw new ProtocolException("deployment count " + n + " is outside 0.." + MAX_LISTED);
    }
    List<Listed> out = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long id = in.i64("deployment");
      String main = in.string("main class");
      long started = in.i64("started");
      int alive = in.i32("alive");
      int total = in.i32("processes");
      Listed.State state = Listed.State.of(in.u8("state"));
      int code = in.i32("exit code");
      boolean detached = in.u8("detached") == 1;
      out.add(new Listed(id, main, started, alive, total, state, code, detached));
    }
    return out;
  }

  private static long nonNegative(long value, String field) throws ProtocolException {
    if (value < 0) {
      throw new ProtocolException(field + " " + value + " is negative");
    }
    return value;
  }

  /**
   * Deploy to bridge, first, then a {@link DeployRequest}: the program runs on without this client,
   * which is told its id ({@link Started}) once it started.
   */
  record Detach() implements ClientLink {
    public static final int TYPE = 55;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {}
  }

  /** Bridge to deploy: the detached deployment {@code id} started. Last message. */
  record Started(long id) implements ClientLink {
    public static final int TYPE = 56;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(id);
    }
  }

  /** Deploy to bridge, first and only: which deployments do you hold? */
  record ListDeployments() implements ClientLink {
    public static final int TYPE = 57;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {}
  }

  /**
   * One deployment the bridge holds: its {@code id}, {@code mainClass}, when it started (epoch
   * millis), its processes alive and in all, its {@code state}, its exit {@code code} once it ended
   * (else 0), and whether it runs detached.
   */
  record Listed(
      long id,
      String mainClass,
      long startedMillis,
      int alive,
      int total,
      State state,
      int code,
      boolean detached) {
    /** Where a deployment is: one byte, {@link #code}. */
    public enum State {
      /** Some process still runs. */
      RUNNING(0),
      /** Every process ended on its own (or its client went). */
      EXITED(1),
      /** Every process ended after a {@link Stop}. */
      STOPPED(2);

      private static final State[] BY_CODE = values();

      private final int code;

      State(int code) {
        this.code = code;
      }

      /** Returns the byte on the wire. */
      public int code() {
        return code;
      }

      /**
       * Returns the state numbered {@code code} on the wire.
       *
       * @throws ProtocolException naming the code when no state has it
       */
      public static State of(int code) throws ProtocolException {
        if (code < 0 || code >= BY_CODE.length) {
          throw new ProtocolException(
              "deployment state " + code + " is outside 0.." + (BY_CODE.length - 1));
        }
        return BY_CODE[code];
      }
    }

    /** Returns the state as {@code deploy list} shows it: running, exited N, stopped. */
    public String stateText() {
      return switch (state) {
        case RUNNING -> "running";
        case EXITED -> "exited " + code;
        case STOPPED -> "stopped";
      };
    }
  }

  /** Bridge to deploy: the deployments it holds, oldest first. Last message. */
  record Deployments(List<Listed> deployments) implements ClientLink {
    public static final int TYPE = 58;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i32(deployments.size());
      for (Listed d : deployments) {
        out.i64(d.id()).string(d.mainClass()).i64(d.startedMillis()).i32(d.alive()).i32(d.total());
        out.u8(d.state().code()).i32(d.code()).u8(d.detached() ? 1 : 0);
      }
    }
  }

  /**
   * Deploy to bridge, first and only: SIGTERM to every process of deployment {@code id}, SIGKILL to
   * those left after {@code graceMillis}.
   */
  record Stop(long id, long graceMillis) implements ClientLink {
    public static final int TYPE = 59;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(id).i64(graceMillis);
    }
  }

  /** Bridge to deploy: the deployment stopped; what was done, for the user. Last message. */
  record Stopped(String report) implements ClientLink {
    public static final int TYPE = 60;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.string(report);
    }
  }

  /**
   * Deploy to bridge, first: send me deployment {@code id}'s kept events, then the live ones, then
   * its {@link Done}. Closing the connection detaches; it stops nothing.
   */
  record Attach(long id) implements ClientLink {
    public static final int TYPE = 61;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(id);
    }
  }
}
