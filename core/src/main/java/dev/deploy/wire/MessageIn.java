package dev.deploy.wire;

import dev.deploy.Pid;
import dev.deploy.Resources;
import java.nio.charset.StandardCharsets;

/**
 * Reads the fields of one message from a frame's payload, checking every length against what is
 * left, so malformed bytes give a {@link ProtocolException} naming the field, never an
 * out-of-bounds error or a huge allocation. Not thread safe.
 */
public final class MessageIn {
  private final byte[] bytes;
  private int position;

  /** Reads {@code bytes} from the start. */
  public MessageIn(byte[] bytes) {
    this.bytes = bytes;
  }

  private void need(int n, String field) throws ProtocolException {
    if (n < 0 || bytes.length - position < n) {
      throw new ProtocolException(
          "message ends inside "
              + field
              + " (needs "
              + n
              + " bytes, "
              + (bytes.length - position)
              + " left)");
    }
  }

  /** Reads one byte 0..255. */
  public int u8(String field) throws ProtocolException {
    need(1, field);
    return bytes[position++] & 0xFF;
  }

  /** Reads a big-endian int. */
  public int i32(String field) throws ProtocolException {
    need(4, field);
    int v = 0;
    for (int i = 0; i < 4; i++) {
      v = (v << 8) | (bytes[position++] & 0xFF);
    }
    return v;
  }

  /** Reads a big-endian long. */
  public long i64(String field) throws ProtocolException {
    return ((long) i32(field) << 32) | (i32(field) & 0xFFFFFFFFL);
  }

  /** Reads a double. */
  public double f64(String field) throws ProtocolException {
    return Double.longBitsToDouble(i64(field));
  }

  /** Reads a length-prefixed byte array. */
  public byte[] bytes(String field) throws ProtocolException {
    int n = i32(field + " length");
    need(n, field);
    byte[] out = new byte[n];
    System.arraycopy(bytes, position, out, 0, n);
    position += n;
    return out;
  }

  /** Reads a byte array that may be absent. */
  public byte[] optionalBytes(String field) throws ProtocolException {
    return u8(field + " presence") == 0 ? null : bytes(field);
  }

  /** Reads a UTF-8 string. */
  public String string(String field) throws ProtocolException {
    return new String(bytes(field), StandardCharsets.UTF_8);
  }

  /** Reads a pid that may be absent. */
  public Pid optionalPid(String field) throws ProtocolException {
    return u8(field + " presence") == 0 ? null : pid(field);
  }

  /** Reads a pid. */
  public Pid pid(String field) throws ProtocolException {
    byte[] host = bytes(field + " host");
    if (host.length != 4 && host.length != 16) {
      throw new ProtocolException(field + " host has " + host.length + " bytes, not 4 or 16");
    }
    int port = i32(field + " port");
    if (port < 0 || port > 0xFFFF) {
      throw new ProtocolException(field + " port " + port + " is outside 0..65535");
    }
    long key = i64(field + " key");
    try {
      return Pid.of(host, port, key);
    } catch (IllegalArgumentException e) {
      throw new ProtocolException(field + ": " + e.getMessage());
    }
  }

  /** Reads resources. */
  public Resources resources(String field) throws ProtocolException {
    long memory = i64(field + " memory");
    double cpu = f64(field + " cpu");
    try {
      return new Resources(memory, cpu);
    } catch (IllegalArgumentException e) {
      throw new ProtocolException(field + ": " + e.getMessage());
    }
  }

  /** Reads a list of at most {@code max} strings. */
  public java.util.List<String> strings(String field, int max) throws ProtocolException {
    int n = i32(field + " count");
    if (n < 0 || n > max) {
      throw new ProtocolException(field + " count " + n + " is outside 0.." + max);
    }
    java.util.List<String> out = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(string(field));
    }
    return out;
  }

  /** Reads a string that may be absent. */
  public String optionalString(String field) throws ProtocolException {
    return u8(field + " presence") == 0 ? null : string(field);
  }

  /**
   * Reads how a process ended: kind, value, whether the kernel killed it for its memory limit and,
   * only then, that limit.
   */
  public dev.deploy.bridge.ExitStatus exitStatus(String field) throws ProtocolException {
    int kind = u8(field + " kind");
    int value = i32(field + " value");
    boolean byMemoryLimit = u8(field + " out of memory") != 0;
    long memoryLimit = byMemoryLimit ? i64(field + " memory limit") : 0;
    dev.deploy.bridge.ExitStatus.Kind[] kinds = dev.deploy.bridge.ExitStatus.Kind.values();
    if (kind >= kinds.length) {
      throw new ProtocolException(field + " kind " + kind + " is unknown");
    }
    if (byMemoryLimit && memoryLimit <= 0) {
      throw new ProtocolException(field + " memory limit " + memoryLimit + " B is not a limit");
    }
    try {
      return new dev.deploy.bridge.ExitStatus(kinds[kind], value, memoryLimit);
    } catch (IllegalArgumentException e) {
      throw new ProtocolException(field + ": " + e.getMessage());
    }
  }

  /** Reads a list of at most {@code max} pids. */
  public java.util.List<Pid> pids(String field, int max) throws ProtocolException {
    int n = i32(field + " count");
    if (n < 0 || n > max) {
      throw new ProtocolException(field + " count " + n + " is outside 0.." + max);
    }
    java.util.List<Pid> out = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(pid(field));
    }
    return out;
  }

  /** Checks that every byte was read. */
  public void end(String message) throws ProtocolException {
    if (position != bytes.length) {
      throw new ProtocolException(
          message + " has " + (bytes.length - position) + " unexpected bytes at its end");
    }
  }
}
