package dev.deploy.wire;

import dev.deploy.Pid;
import dev.deploy.Resources;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes the fields of one message, in the order {@link MessageIn} reads them. Not thread safe. */
public final class MessageOut {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

  /** Writes one byte. */
  public MessageOut u8(int v) {
    out.write(v);
    return this;
  }

  /** Writes a big-endian int. */
  public MessageOut i32(int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
    return this;
  }

  /** Writes a big-endian long. */
  public MessageOut i64(long v) {
    return i32((int) (v >>> 32)).i32((int) v);
  }

  /** Writes a double. */
  public MessageOut f64(double v) {
    return i64(Double.doubleToRawLongBits(v));
  }

  /** Writes a length-prefixed byte array. */
  public MessageOut bytes(byte[] v) {
    i32(v.length);
    out.writeBytes(v);
    return this;
  }

  /** Writes a byte array that may be null. */
  public MessageOut optionalBytes(byte[] v) {
    return v == null ? u8(0) : u8(1).bytes(v);
  }

  /** Writes a UTF-8 string. */
  public MessageOut string(String v) {
    return bytes(v.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes a pid that may be null. */
  public MessageOut optionalPid(Pid v) {
    return v == null ? u8(0) : u8(1).pid(v);
  }

  /** Writes a pid. */
  public MessageOut pid(Pid v) {
    return bytes(v.host()).i32(v.port()).i64(v.key());
  }

  /** Writes resources. */
  public MessageOut resources(Resources v) {
    return i64(v.memory()).f64(v.cpu());
  }

  /** Returns the bytes written. */
  /** Writes a list of pids. */
  public MessageOut pids(java.util.List<Pid> v) {
    i32(v.size());
    for (Pid p : v) {
      pid(p);
    }
    return this;
  }

  /** Writes a list of strings. */
  public MessageOut strings(java.util.List<String> v) {
    i32(v.size());
    for (String x : v) {
      string(x);
    }
    return this;
  }

  /** Writes a string that may be absent. */
  public MessageOut optionalString(String v) {
    return v == null ? u8(0) : u8(1).string(v);
  }

  /**
   * Writes how a process ended: kind, value, whether the kernel killed it for its memory limit and,
   * only then, that limit ({@link MessageIn#exitStatus} reads it).
   */
  public MessageOut exitStatus(dev.deploy.bridge.ExitStatus v) {
    u8(v.kind().ordinal()).i32(v.value()).u8(v.byMemoryLimit() ? 1 : 0);
    return v.byMemoryLimit() ? i64(v.memoryLimit()) : this;
  }

  public byte[] toByteArray() {
    return out.toByteArray();
  }
}
