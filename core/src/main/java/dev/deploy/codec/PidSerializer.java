package dev.deploy.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.deploy.Pid;

/**
 * Writes a {@link Pid} as its host's length (4 or 16) and bytes, its port as two bytes and its key
 * as eight: 15 or 27 bytes. Stateless; confined to the thread holding its Kryo instance like every
 * serializer.
 */
final class PidSerializer extends Serializer<Pid> {
  PidSerializer() {
    super(false, true);
  }

  @Override
  public void write(Kryo kryo, Output output, Pid pid) {
    byte[] host = pid.host();
    output.writeByte(host.length);
    output.writeBytes(host);
    output.writeShort(pid.port());
    output.writeLong(pid.key());
  }

  @Override
  public Pid read(Kryo kryo, Input input, Class<? extends Pid> type) {
    int length = input.readByte();
    if (length != 4 && length != 16) {
      throw new KryoException("a pid's host must be 4 or 16 bytes, not " + length);
    }
    byte[] host = input.readBytes(length);
    int port = input.readShort() & 0xFFFF;
    long key = input.readLong();
    try {
      return Pid.of(host, port, key);
    } catch (IllegalArgumentException e) {
      throw new KryoException(e.getMessage());
    }
  }
}
