package dev.deploy.wire;

import dev.deploy.Pid;
import dev.deploy.bridge.Event;
import dev.deploy.program.JarRef;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields and messages both {@link WorkerLink} and {@link ClientLink} decode, and the error for
 * a message type of the other protocol. Stateless.
 */
final class LinkFields {
  private LinkFields() {}

  /**
   * Returns the error for a frame of {@code type} that the protocol {@code speaking} does not have:
   * one of the protocol {@code other}, which {@code speaking} refuses, or unknown to both.
   */
  static ProtocolException refused(
      int type, Class<? extends Link> speaking, Class<? extends Link> other) {
    String name = typeName(other, type);
    if (name == null) {
      return new ProtocolException("unknown message type " + type);
    }
    return new ProtocolException(
        "message type "
            + type
            + " ("
            + name
            + ") belongs to the "
            + protocolName(other)
            + " protocol, which the "
            + protocolName(speaking)
            + " protocol refuses");
  }

  /** Returns "master-worker" or "deploy-bridge". */
  static String protocolName(Class<? extends Link> protocol) {
    return protocol == WorkerLink.class ? "master-worker" : "deploy-bridge";
  }

  /** Returns the simple name of {@code protocol}'s message of {@code type}, or null. */
  private static String typeName(Class<? extends Link> protocol, int type) {
    for (Class<?> message : protocol.getPermittedSubclasses()) {
      try {
        if (message.getField("TYPE").getInt(null) == type) {
          return message.getSimpleName();
        }
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(message + " has no public int TYPE", e);
      }
    }
    return null;
  }

  static Link.Hello hello(MessageIn in) throws ProtocolException {
    return new Link.Hello(in.i32("protocol"), in.string("version"), Link.Role.of(in.u8("role")));
  }

  static Link.EventOf eventOf(MessageIn in) throws ProtocolException {
    return new Link.EventOf(in.i64("program"), event(in));
  }

  static Link.JarChunk jarChunk(MessageIn in) throws ProtocolException {
    return new Link.JarChunk(sha(in.string("sha256")), in.bytes("data"));
  }

  static String sha(String s) throws ProtocolException {
    if (!JarRef.isSha256(s)) {
      throw new ProtocolException("a jar's SHA-256 is not 64 lowercase hex characters");
    }
    return s;
  }

  static List<String> shas(MessageIn in) throws ProtocolException {
    List<String> out = new ArrayList<>();
    for (String s : in.strings("jars", Link.MAX_JARS)) {
      out.add(sha(s));
    }
    return out;
  }

  static List<JarRef> readJars(MessageIn in) throws ProtocolException {
    int n = in.i32("jar count");
    if (n < 0 || n > Link.MAX_JARS) {
      throw new ProtocolException("jar count " + n + " is outside 0.." + Link.MAX_JARS);
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

  static void writeJars(MessageOut out, List<JarRef> jars) {
    out.i32(jars.size());
    for (JarRef j : jars) {
      out.string(j.sha256()).string(j.name()).i64(j.size());
    }
  }

  private static Event event(MessageIn in) throws ProtocolException {
    EventKind kind = EventKind.of(in.u8("event kind"));
    Pid pid = in.pid("pid");
    return switch (kind) {
      case SPAWNED ->
          new Event.Spawned(
              pid,
              in.optionalPid("parent"),
              in.u8("has resources") == 1 ? in.resources("resources") : null,
              in.optionalString("node"));
      case OUTPUT -> new Event.Output(pid, fd(in), in.bytes("data"));
      case EOF -> new Event.Eof(pid, fd(in));
      case EXIT -> new Event.Exit(pid, in.exitStatus("status"));
      case WAITING ->
          new Event.Waiting(
              pid, in.resources("resources"), in.optionalString("node"), in.i64("waited millis"));
      case CHANNEL_STATS ->
          new Event.ChannelStats(
              pid,
              count(in, "values sent"),
              count(in, "bytes sent"),
              count(in, "values received"),
              count(in, "bytes received"));
    };
  }

  /** Reads a total that cannot be negative (a count of values or bytes). */
  static long count(MessageIn in, String field) throws ProtocolException {
    long n = in.i64(field);
    if (n < 0) {
      throw new ProtocolException(field + " " + n + " is negative");
    }
    return n;
  }

  private static int fd(MessageIn in) throws ProtocolException {
    int fd = in.u8("fd");
    if (fd != 1 && fd != 2) {
      throw new ProtocolException("fd " + fd + " is neither 1 nor 2");
    }
    return fd;
  }
}
