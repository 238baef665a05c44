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
        ClientLink.Kill {
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
}
