package dev.deploy.wire;

import dev.deploy.Pid;
import dev.deploy.Resources;

/**
 * The messages on a control connection between a process and the fabric that launched it. The
 * process dials, authenticates, sends {@link Hello}, and the fabric answers {@link Start}; then
 * either side may send the others at any time.
 */
public sealed interface Control {
  /** Returns the frame type byte of this message. */
  int type();

  /** Returns this message's payload. */
  byte[] encode();

  /**
   * Decodes a frame.
   *
   * @throws ProtocolException naming the unknown type or the malformed field
   */
  static Control decode(Frame frame) throws ProtocolException {
    MessageIn in = new MessageIn(frame.payload());
    Control message =
        switch (frame.type()) {
          case Hello.TYPE -> new Hello(in.i64("launch id"), in.pid("pid"));
          case Start.TYPE ->
              new Start(
                  in.optionalPid("parent"), in.resources("resources"), in.optionalBytes("task"));
          case SpawnRequest.TYPE ->
              new SpawnRequest(
                  in.i64("request id"),
                  in.resources("resources"),
                  in.bytes("task"),
                  in.u8("wait") != 0);
          case SpawnReply.TYPE -> decodeReply(in);
          case Exiting.TYPE ->
              new Exiting(in.u8("signal"), in.pids("unfinished", Exiting.MAX_UNFINISHED));
          case FateQuery.TYPE -> new FateQuery(in.i64("request id"), in.pid("pid"));
          case FateReply.TYPE -> decodeFate(in);
          case ChannelStats.TYPE ->
              new ChannelStats(
                  LinkFields.count(in, "values sent"),
                  LinkFields.count(in, "bytes sent"),
                  LinkFields.count(in, "values received"),
                  LinkFields.count(in, "bytes received"));
          default -> throw new ProtocolException("unknown control message type " + frame.type());
        };
    in.end("control message type " + frame.type());
    return message;
  }

  private static FateReply decodeFate(MessageIn in) throws ProtocolException {
    long id = in.i64("request id");
    int exited = in.u8("fate");
    if (exited > 1) {
      throw new ProtocolException("unknown fate " + exited);
    }
    return new FateReply(id, exited == 1);
  }

  private static SpawnReply decodeReply(MessageIn in) throws ProtocolException {
    long id = in.i64("request id");
    return switch (SpawnOutcome.of(in.u8("outcome"))) {
      case STARTED -> SpawnReply.started(id, in.pid("pid"));
      case NO_ROOM -> SpawnReply.noRoom(id);
      case FAILED -> SpawnReply.failed(id, in.string("error"));
    };
  }

  /** Process to fabric, first: "I am the process of launch {@code launchId}, my pid is this". */
  record Hello(long launchId, Pid pid) implements Control {
    static final int TYPE = 1;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public byte[] encode() {
      return new MessageOut().i64(launchId).pid(pid).toByteArray();
    }
  }

  /**
   * Fabric to process, in answer to Hello: run {@code task} (a {@code LambdaCodec} blob) for {@code
   * parent}, or return from {@code init} into {@code main} when {@code task} is null.
   */
  record Start(Pid parent, Resources resources, byte[] task) implements Control {
    static final int TYPE = 2;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public byte[] encode() {
      return new MessageOut()
          .optionalPid(parent)
          .resources(resources)
          .optionalBytes(task)
          .toByteArray();
    }
  }

  /** Process to fabric: spawn {@code task}; {@code queue} waits in line until resources free up. */
  record SpawnRequest(long requestId, Resources resources, byte[] task, boolean queue)
      implements Control {
    static final int TYPE = 3;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public byte[] encode() {
      return new MessageOut()
          .i64(requestId)
          .resources(resources)
          .bytes(task)
          .u8(queue ? 1 : 0)
          .toByteArray();
    }
  }

  /** Fabric to process: how spawn request {@code requestId} ended. */
  record SpawnReply(long requestId, SpawnOutcome outcome, Pid pid, String error)
      implements Control {
    static final int TYPE = 4;

    /** The child started and registered as {@code pid}. */
    public static SpawnReply started(long requestId, Pid pid) {
      return new SpawnReply(requestId, SpawnOutcome.STARTED, pid, null);
    }

    /** No machine has the resources free. */
    public static SpawnReply noRoom(long requestId) {
      return new SpawnReply(requestId, SpawnOutcome.NO_ROOM, null, null);
    }

    /** The spawn failed; {@code error} says why in one sentence. */
    public static SpawnReply failed(long requestId, String error) {
      return new SpawnReply(requestId, SpawnOutcome.FAILED, null, error);
    }

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public byte[] encode() {
      MessageOut out = new MessageOut().i64(requestId).u8(outcome.code());
      switch (outcome) {
        case STARTED -> out.pid(pid);
        case FAILED -> out.string(error);
        default -> {}
      }
      return out.toByteArray();
    }
  }

  /**
   * Process to fabric, from its shutdown: it is exiting on its own ({@code signal} 0) or because of
   * the signal numbered {@code signal}. Lets the fabric tell {@code System.exit(137)} from a
   * SIGKILL, which give the same exit code. {@code unfinished} names the remotes that did not
   * acknowledge everything this process sent them (or were never reached): the fabric answers their
   * fate queries about it with a death, since values may be missing.
   *
   * <p>Not versioned, like every control message: both ends are always one build (a process runs
   * the library of the fabric that launched it, whose jar comes first on its class path), so a
   * field is added outright; the cluster's links, whose ends may differ, carry a protocol number.
   */
  record Exiting(int signal, java.util.List<Pid> unfinished) implements Control {
    static final int TYPE = 5;

    /** The most remotes one notice names; past it the fabric refuses the notice. */
    public static final int MAX_UNFINISHED = 1 << 20;

    /** The notice of a process that owes no remote anything. */
    public Exiting(int signal) {
      this(signal, java.util.List.of());
    }

    /** Copies {@code unfinished}. */
    public Exiting {
      unfinished = java.util.List.copyOf(unfinished);
    }

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public byte[] encode() {
      return new MessageOut().u8(signal).pids(unfinished).toByteArray();
    }
  }

  /**
   * Process to fabric: how did (or will) {@code pid} end? Asked when a channel's remote cannot be
   * reached; answered when the fabric knows.
   */
  record FateQuery(long requestId, Pid pid) implements Control {
    static final int TYPE = 6;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public byte[] encode() {
      return new MessageOut().i64(requestId).pid(pid).toByteArray();
    }
  }

  /** Fabric to process: the pid of query {@code requestId} exited on its own, or died. */
  record FateReply(long requestId, boolean exited) implements Control {
    static final int TYPE = 7;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public byte[] encode() {
      return new MessageOut().i64(requestId).u8(exited ? 1 : 0).toByteArray();
    }
  }

  /**
   * Process to fabric: the values and bytes its channels sent and received since it started,
   * totals. Sent every few seconds while they change, and once before {@link Exiting}.
   */
  record ChannelStats(long valuesSent, long bytesSent, long valuesReceived, long bytesReceived)
      implements Control {
    static final int TYPE = 8;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public byte[] encode() {
      return new MessageOut()
          .i64(valuesSent)
          .i64(bytesSent)
          .i64(valuesReceived)
          .i64(bytesReceived)
          .toByteArray();
    }
  }
}
