package dev.deploy.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Writes an {@link InetSocketAddress} as its host name (only if one is known: no lookup is ever
 * made), its address bytes (none when unresolved) and its port. Kryo's field serializer cannot,
 * because {@code java.net} is not open to it. An IPv6 scope id is not kept. Stateless; confined to
 * the thread holding its Kryo instance like every serializer.
 */
final class SocketAddressSerializer extends Serializer<InetSocketAddress> {
  SocketAddressSerializer() {
    super(false, true);
  }

  @Override
  public void write(Kryo kryo, Output output, InetSocketAddress address) {
    InetAddress inet = address.getAddress();
    if (inet == null) {
      output.writeString(address.getHostString());
      output.writeByte(0);
    } else {
      // InetAddress.toString() is "name/literal", with an empty name when none is known, and
      // unlike getHostName() it never asks DNS.
      String text = inet.toString();
      String name = text.substring(0, text.indexOf('/'));
      output.writeString(name.isEmpty() ? null : name);
      byte[] bytes = inet.getAddress();
      output.writeByte(bytes.length);
      output.writeBytes(bytes);
    }
    output.writeShort(address.getPort());
  }

  @Override
  public InetSocketAddress read(Kryo kryo, Input input, Class<? extends InetSocketAddress> type) {
    String name = input.readString();
    int length = input.readByte();
    if (length != 0 && length != 4 && length != 16) {
      throw new KryoException("an IP address has 4 or 16 bytes, not " + length);
    }
    byte[] bytes = length == 0 ? null : input.readBytes(length);
    int port = input.readShort() & 0xFFFF;
    if (bytes == null) {
      if (name == null) {
        throw new KryoException("an unresolved socket address needs a host name");
      }
      return InetSocketAddress.createUnresolved(name, port);
    }
    try {
      return new InetSocketAddress(InetAddress.getByAddress(name, bytes), port);
    } catch (UnknownHostException e) {
      throw new KryoException("an IP address has 4 or 16 bytes, not " + length, e);
    }
  }
}
