package dev.deploy.testing;

import dev.deploy.ChannelException.Reason;
import dev.deploy.Pid;
import dev.deploy.channel.ChannelTable;
import dev.deploy.codec.Codec;
import dev.deploy.io.Connection;
import dev.deploy.io.IoLoop;
import dev.deploy.io.ShmTransport;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.Credential;
import dev.deploy.security.Nonces;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.Channel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Several "processes" in one JVM: each a {@link ChannelTable} with its own {@link IoLoop} thread
 * and its own listening port on 127.0.0.1, all sharing one cluster key, as {@code CdsTraining}
 * builds them. {@link #close} tears every one down: its sockets, its loop thread and its async
 * pool. {@link Table#kill} does the same to one table mid-test, without a GOODBYE, the way a killed
 * process vanishes.
 *
 * <p>{@code ChannelTable} has no close of its own, so teardown reaches the loop's selector by
 * reflection to close the connections' sockets; test-only. Used from the test thread.
 */
public final class LoopbackTables implements AutoCloseable {
  /** 127.0.0.1: these tests never leave the machine. */
  public static final InetAddress LOOPBACK = loopback();

  private final Credential key;
  private final List<Table> tables = new ArrayList<>();
  private final AtomicInteger names = new AtomicInteger();

  /** Creates an empty set with a fresh cluster key. */
  public LoopbackTables() {
    this(ClusterKey.generate());
  }

  /** Creates an empty set whose tables use {@code key}. */
  public LoopbackTables(ClusterKey key) {
    this.key = new Credential(key.forDeployment(DEPLOYMENT), DEPLOYMENT);
  }

  /** The deployment every table belongs to. */
  public static final long DEPLOYMENT = 0x7e57L;

  /** Returns the deployment's key every table proves. */
  public Credential key() {
    return key;
  }

  /** How a table is made; every option has a default. */
  public static final class Spec {
    private Function<Pid, CompletableFuture<Reason>> fates =
        pid -> CompletableFuture.completedFuture(Reason.LOST);
    private LongSupplier clock = System::nanoTime;
    private dev.deploy.io.SilenceLimit silence = dev.deploy.io.SilenceLimit.DEFAULT;
    private Long pidKey;

    /** Sets the loop's silence limit; default 10 s. */
    public Spec silence(dev.deploy.io.SilenceLimit s) {
      this.silence = s;
      return this;
    }

    /** Sets what the fabric answers about an unreachable pid; default: LOST at once. */
    public Spec fates(Function<Pid, CompletableFuture<Reason>> f) {
      this.fates = f;
      return this;
    }

    /** Sets the loop's clock; default {@link System#nanoTime}. */
    public Spec clock(LongSupplier c) {
      this.clock = c;
      return this;
    }

    /** Sets the pid's key, which orders pids in a dial race; default random. */
    public Spec pidKey(long k) {
      this.pidKey = k;
      return this;
    }
  }

  /** Returns a spec with the defaults. */
  public static Spec spec() {
    return new Spec();
  }

  /** One process: its pid, its table and its loop. */
  public static final class Table {
    private final Pid pid;
    private final ChannelTable table;
    private final IoLoop loop;
    private final Thread thread;
    private final ServerSocketChannel listener;

    private Table(
        Pid pid, ChannelTable table, IoLoop loop, Thread thread, ServerSocketChannel listener) {
      this.pid = pid;
      this.table = table;
      this.loop = loop;
      this.thread = thread;
      this.listener = listener;
    }

    /** Returns this process's pid. */
    public Pid pid() {
      return pid;
    }

    /** Returns this process's channel table. */
    public ChannelTable table() {
      return table;
    }

    /** Returns this process's I/O loop. */
    public IoLoop loop() {
      return loop;
    }

    /** Returns the address its listener accepts on. */
    public InetSocketAddress address() {
      return pid.address();
    }

    /** Wakes the loop so it looks at its (possibly manual) clock now. */
    public void wake() {
      loop.execute(() -> {});
    }

    /** Returns how many open TCP connections (not the listener) its loop is watching. */
    public int openConnections() {
      CompletableFuture<Integer> count = new CompletableFuture<>();
      loop.execute(
          () -> {
            int n = 0;
            for (SelectionKey k : selector(loop).keys()) {
              if (k.channel() instanceof SocketChannel s && s.isOpen()) {
                n++;
              }
            }
            count.complete(n);
          });
      try {
        return count.get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("the I/O loop of " + pid + " did not answer", e);
      }
    }

    /**
     * Ends this process abruptly: every socket it has is closed and its loop stops, with no
     * GOODBYE, so its peers see the connection drop. Idempotent.
     */
    public void kill() {
      if (thread.isAlive()) {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        loop.execute(
            () -> {
              closeRegisteredChannels(loop);
              closed.complete(null);
            });
        try {
          closed.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
          // The loop is stuck or gone; close what we can reach and stop it anyway.
        }
        loop.close();
        try {
          thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      closeQuietly(listener);
      shutdownAsync(table);
    }

    @Override
    public String toString() {
      return "table " + pid + " on " + address();
    }
  }

  /** Returns a new table with the defaults, started. */
  public Table add() {
    return add(spec());
  }

  /** Returns a new table made as {@code spec} says, started. */
  public Table add(Spec spec) {
    ServerSocketChannel listener;
    try {
      listener = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0), 128);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on 127.0.0.1", e);
    }
    int port = ((InetSocketAddress) listenerAddress(listener)).getPort();
    long pidKey = spec.pidKey != null ? spec.pidKey : Nonces.nextLong();
    Pid pid = Pid.of(LOOPBACK.getAddress(), port, pidKey);
    IoLoop loop = new IoLoop(spec.clock, spec.silence);
    loop.start("test-io-" + names.incrementAndGet() + "-" + pid);
    CompletableFuture<Thread> thread = new CompletableFuture<>();
    loop.execute(() -> thread.complete(Thread.currentThread()));
    ChannelTable table = new ChannelTable(pid, key, loop, Codec.standard(), listener, spec.fates);
    table.start();
    Table t;
    try {
      t = new Table(pid, table, loop, thread.get(5, TimeUnit.SECONDS), listener);
    } catch (Exception e) {
      loop.close();
      closeQuietly(listener);
      throw new IllegalStateException("the I/O loop of " + pid + " did not start", e);
    }
    tables.add(t);
    return t;
  }

  /** Returns a pid on 127.0.0.1 whose port nothing listens on (it listened a moment ago). */
  public static Pid unusedPid() {
    try (ServerSocketChannel s = ServerSocketChannel.open()) {
      s.bind(new InetSocketAddress(LOOPBACK, 0));
      int port = ((InetSocketAddress) s.getLocalAddress()).getPort();
      return Pid.of(LOOPBACK.getAddress(), port, Nonces.nextLong());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Kills every table: sockets closed, loop threads joined. */
  @Override
  public void close() {
    for (Table t : tables) {
      t.kill();
    }
    tables.clear();
  }

  /** Loop thread: closes every channel registered with the loop's selector. */
  /**
   * Loop thread: closes every socket, and unmaps the shared memory of every pair over it, as the
   * kernel does for a process that dies (the remote's side is its own to release).
   */
  private static void closeRegisteredChannels(IoLoop loop) {
    Selector selector = selector(loop);
    if (!selector.isOpen()) {
      return;
    }
    for (SelectionKey k : new ArrayList<>(selector.keys())) {
      closeQuietly(k.channel());
      if (k.attachment() instanceof Connection c) {
        returnBulkBudget(c);
        if (listenerOf(c) instanceof ShmTransport shm) {
          shm.release();
        }
      }
    }
  }

  /**
   * Gives back what {@code c}'s buffers hold of the JVM-wide bulk budget, as the end of a process
   * would: the socket was closed under the connection, so its own close never runs. Without it,
   * every killed table's grown buffers stayed counted, and a later test in the same JVM found the
   * budget spent (a shared-memory pair's connection grows its input buffer under a storm of
   * doorbells).
   */
  private static void returnBulkBudget(Connection c) {
    try {
      Field own = Connection.class.getDeclaredField("bulkHeld");
      own.setAccessible(true);
      Field all = Connection.class.getDeclaredField("BULK_HELD");
      all.setAccessible(true);
      long held = ((java.util.concurrent.atomic.AtomicLong) own.get(c)).getAndSet(0);
      ((java.util.concurrent.atomic.AtomicLong) all.get(null)).addAndGet(-held);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("Connection no longer counts its bulk buffers in 'bulkHeld'", e);
    }
  }

  private static Object listenerOf(Connection c) {
    try {
      Field f = Connection.class.getDeclaredField("listener");
      f.setAccessible(true);
      return f.get(c);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("Connection no longer keeps its listener in a field 'listener'", e);
    }
  }

  private static Selector selector(IoLoop loop) {
    try {
      Field f = IoLoop.class.getDeclaredField("selector");
      f.setAccessible(true);
      return (Selector) f.get(loop);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("IoLoop no longer keeps its selector in a field 'selector'", e);
    }
  }

  private static void shutdownAsync(ChannelTable table) {
    try {
      Field f = ChannelTable.class.getDeclaredField("async");
      f.setAccessible(true);
      ((ExecutorService) f.get(table)).shutdownNow();
    } catch (ReflectiveOperationException | ClassCastException e) {
      // No async pool to stop in this version of the table.
    }
  }

  private static Object listenerAddress(ServerSocketChannel listener) {
    try {
      return listener.getLocalAddress();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void closeQuietly(Channel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // Tearing down.
    }
  }

  private static InetAddress loopback() {
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
