package dev.deploy.channel;

import dev.deploy.Pid;
import dev.deploy.io.Connection;
import dev.deploy.io.IoLoop;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Reads a table's internals for assertions the API cannot make: which connection carries a pair,
 * and how many bytes wait for a Receiver. Reaches the private fields by reflection, so a rename
 * fails loudly here and nowhere else. Loop-owned state is read on the loop thread.
 */
final class TableProbe {
  private TableProbe() {}

  /** What one table's connection with a remote looks like, read on its loop. */
  record Link(Connection.State state, SocketAddress local, SocketAddress remote) {}

  /** Returns how many remote pids {@code table} knows (has a peer for). */
  static int peerCount(ChannelTable table) {
    return ((Map<?, ?>) field(ChannelTable.class, "peers", table)).size();
  }

  /** Returns {@code table}'s peer for {@code remote}, or null. */
  static Peer peer(ChannelTable table, Pid remote) {
    return (Peer) ((Map<?, ?>) field(ChannelTable.class, "peers", table)).get(remote);
  }

  /** Describes what {@code table} has with {@code remote}, for a failing test's message. */
  static String describe(ChannelTable table, Pid remote) {
    Peer p = peer(table, remote);
    if (p == null) {
      return "no peer " + remote;
    }
    StringBuilder b = new StringBuilder("peer " + remote + ":");
    for (String f :
        List.of(
            "sender",
            "receiver",
            "sent",
            "acked",
            "received",
            "ackSent",
            "idleAsked",
            "idleClosed",
            "lastActivity",
            "goodbyeDue",
            "fate",
            "transport")) {
      b.append(' ').append(f).append('=').append(field(Peer.class, f, p));
    }
    return b.toString();
  }

  /**
   * Returns {@code table}'s connection with {@code remote} (null when it has none), and whether it
   * is still dialling another, as seen on {@code loop}.
   */
  static Link link(ChannelTable table, IoLoop loop, Pid remote) {
    return onLoop(
        loop,
        () -> {
          Peer p = peer(table, remote);
          if (p == null || p.transport == null) {
            return null;
          }
          Connection c = tcp(p.transport);
          SocketAddress local = localAddress(c);
          return new Link(c.state(), local, c.remoteAddress());
        });
  }

  /** Returns whether {@code table} is dialling {@code remote} right now. */
  static boolean dialling(ChannelTable table, IoLoop loop, Pid remote) {
    return onLoop(
        loop,
        () -> {
          Peer p = peer(table, remote);
          return p != null && p.dialing != null;
        });
  }

  /** Returns the bytes of values from {@code remote} waiting in {@code table} for a Receiver. */
  static long queuedBytes(ChannelTable table, Pid remote) {
    Peer p = peer(table, remote);
    if (p == null) {
      return 0;
    }
    p.lock.lock();
    try {
      long bytes = 0;
      for (Object o : (ArrayDeque<?>) field(Peer.class, "inbound", p)) {
        if (!(o instanceof Peer.End)) {
          bytes += Peer.size(o);
        }
      }
      return bytes;
    } finally {
      p.lock.unlock();
    }
  }

  /** Runs {@code read} on {@code loop}'s thread and returns its result. */
  static <T> T onLoop(IoLoop loop, Supplier<T> read) {
    CompletableFuture<T> result = new CompletableFuture<>();
    loop.execute(
        () -> {
          try {
            result.complete(read.get());
          } catch (RuntimeException e) {
            result.completeExceptionally(e);
          }
        });
    try {
      return result.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the I/O loop did not answer", e);
    }
  }

  /** Returns the TCP connection under {@code t} (itself, or the one beside shared memory). */
  static Connection tcp(dev.deploy.io.Transport t) {
    return t instanceof dev.deploy.io.ShmTransport shm ? shm.connection() : (Connection) t;
  }

  /** Returns the name under /dev/shm of the file {@code shm} maps. */
  static String shmName(dev.deploy.io.ShmTransport shm) {
    try {
      Field f = dev.deploy.io.ShmTransport.class.getDeclaredField("file");
      f.setAccessible(true);
      return ((dev.deploy.io.ShmFile) f.get(shm)).name();
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("ShmTransport no longer keeps its ShmFile in a field 'file'", e);
    }
  }

  /** Returns what carries {@code table}'s frames with {@code remote} now, or null. */
  static dev.deploy.io.Transport transport(ChannelTable table, Pid remote) {
    Peer p = peer(table, remote);
    return p == null ? null : p.transport;
  }

  private static SocketAddress localAddress(Connection c) {
    SocketChannel s = (SocketChannel) field(Connection.class, "socket", c);
    try {
      return s.getLocalAddress();
    } catch (IOException e) {
      return null;
    }
  }

  static Object field(Class<?> owner, String name, Object target) {
    try {
      Field f = owner.getDeclaredField(name);
      f.setAccessible(true);
      return f.get(target);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(owner.getSimpleName() + " no longer has a field '" + name + "'", e);
    }
  }
}
