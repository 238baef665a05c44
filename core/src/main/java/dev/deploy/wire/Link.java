package dev.deploy.wire;

import dev.deploy.bridge.Event;

/**
 * A message between the daemons of a cluster, after the cluster-key handshake. Two protocols carry
 * them, each a message set of its own with its own decoder that refuses the other's types: {@link
 * WorkerLink} on the link between the master and each worker fabric, {@link ClientLink} on the
 * connection from {@code deploy} to the bridge. What both speak is here: {@link Hello} (both ways,
 * first), {@link Ping}, {@link EventOf} and {@link JarChunk}. Each message is one frame; a decoder
 * checks every field, so a malformed frame is a {@link ProtocolException} naming what is wrong,
 * never an unchecked exception.
 */
public sealed interface Link permits WorkerLink, ClientLink {
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
   * One protocol's decoder: {@code WorkerLink::decode} or {@code ClientLink::decode}.
   *
   * @param <M> the protocol's messages
   */
  @FunctionalInterface
  interface Decoder<M extends Link> {
    /**
     * Decodes a frame of this protocol.
     *
     * @throws ProtocolException naming the unknown type, the other protocol's type, or the
     *     malformed field
     */
    M decode(Frame frame) throws ProtocolException;
  }

  /** What the sender of a {@link Hello} is: one byte, {@link #code}. */
  enum Role {
    /** The master, dialling a worker. */
    MASTER(1, "a cluster's master"),
    /** A worker, answering its master. */
    WORKER(2, "a worker (fabric)"),
    /** A deploy client, dialling a bridge. */
    DEPLOY(3, "a deploy client"),
    /** A bridge, answering a deploy client. */
    BRIDGE(4, "a bridge (fabric master)");

    private final int code;
    private final String description;

    Role(int code, String description) {
      this.code = code;
      this.description = description;
    }

    /** Returns the byte on the wire. */
    public int code() {
      return code;
    }

    /** Returns what the role names, for messages: "a worker (fabric)". */
    public String description() {
      return description;
    }

    /**
     * Returns the role numbered {@code code} on the wire.
     *
     * @throws ProtocolException naming the code when no role has it
     */
    public static Role of(int code) throws ProtocolException {
      for (Role r : values()) {
        if (r.code == code) {
          return r;
        }
      }
      throw new ProtocolException("unknown role " + code + " in a Hello");
    }
  }

  /**
   * Both ways, first: the protocol number and the runtime's version, for a clear mismatch error,
   * and what the sender is ({@link Role}), so a connection to the wrong daemon is refused before it
   * does anything.
   */
  record Hello(int protocol, String version, Role role) implements WorkerLink, ClientLink {
    public static final int TYPE = 20;

    /**
     * This build's protocol number. 3: an exit status killed by its memory limit carries that limit
     * (see {@link MessageOut#exitStatus}). 4: a spawn event carries its resources and node, and a
     * spawn that waits for room says so (event kind 5). 5: deployments a client holds ({@link
     * ClientLink.Detach}, list, stop, attach) and {@link WorkerLink.TerminateProgram}. 6: a {@link
     * WorkerLink.Fate} names who asks (a clean exit that owes the asker values is a death to it).
     */
    public static final int PROTOCOL = 6;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i32(protocol).string(version).u8(role.code());
    }
  }

  /** Worker to master, and bridge to deploy: an event of a process of {@code program}. */
  record EventOf(long program, Event event) implements WorkerLink, ClientLink {
    public static final int TYPE = 25;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {
      out.i64(program);
      if (event instanceof Event.Spawned s) {
        out.u8(EventKind.SPAWNED.code())
            .pid(s.pid())
            .optionalPid(s.parent())
            .u8(s.resources() == null ? 0 : 1);
        if (s.resources() != null) {
          out.resources(s.resources());
        }
        out.optionalString(s.node());
      } else if (event instanceof Event.Output o) {
        out.u8(EventKind.OUTPUT.code()).pid(o.pid()).u8(o.fd()).bytes(o.data());
      } else if (event instanceof Event.Eof e) {
        out.u8(EventKind.EOF.code()).pid(e.pid()).u8(e.fd());
      } else if (event instanceof Event.Exit x) {
        out.u8(EventKind.EXIT.code()).pid(x.pid()).exitStatus(x.status());
      } else if (event instanceof Event.Waiting w) {
        out.u8(EventKind.WAITING.code())
            .pid(w.pid())
            .resources(w.resources())
            .optionalString(w.node());
        out.i64(w.waitedMillis());
      } else if (event instanceof Event.ChannelStats c) {
        out.u8(EventKind.CHANNEL_STATS.code()).pid(c.pid()).i64(c.valuesSent()).i64(c.bytesSent());
        out.i64(c.valuesReceived()).i64(c.bytesReceived());
      }
    }
  }

  /**
   * The next bytes of a jar, in order, at most {@link #JAR_CHUNK}; the jar is complete when its
   * announced size has arrived.
   */
  record JarChunk(String sha256, byte[] data) implements WorkerLink, ClientLink {
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

  /** Either way, every second on an idle link: I am alive. */
  record Ping() implements WorkerLink, ClientLink {
    public static final int TYPE = 39;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public void encode(MessageOut out) {}
  }
}
