package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.testing.LoopbackTables;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Forces the interleaving suspected in the lost echo: an asynchronous operation's wake-up fires a
 * second time (the waiter had already fired and scheduled the work) while the first run is inside
 * the peer. The table's async pool is replaced by an executor the test drives, the peer's lock is
 * held by the test so both runs park at the same point, and the waiters registered earlier are
 * fired again from a second thread. The first run must be the only one that takes or queues a
 * value.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AsyncRaceTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final LoopbackTables tables = new LoopbackTables();
  private final List<Thread> started = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (Thread t : started) {
      t.interrupt();
      t.join(5_000);
    }
    tables.close();
  }

  @Test
  void givenAReceiveWokenTwice_whenBothRunsMeetAtThePeer_thenEachValueGoesToOneFuture()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    ManualExecutor pool = replaceAsync(b.table());
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    Peer peer = TableProbe.peer(b.table(), a.pid());

    CompletableFuture<Object> first = in.recvAsync();
    pool.runQueued(); // nothing there yet: it registers its wake-up
    List<Runnable> registered = waiters(peer);
    assertThat(registered).as("a pending receive waits on the peer").isNotEmpty();
    out.send("abc");
    out.send("def");
    out.send("ghi");
    await().atMost(WAIT).until(() -> inbound(peer) == 3 && pool.size() > 0);

    runTwiceAtOnce(peer, pool, registered);

    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("abc");
    assertThat(in.recv(System.nanoTime() + WAIT.toNanos())).isEqualTo("def");
    assertThat(in.recv(System.nanoTime() + WAIT.toNanos())).isEqualTo("ghi");
  }

  @Test
  void givenASendWokenTwice_whenBothRunsMeetAtThePeer_thenTheValueIsSentOnce() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    ManualExecutor pool = replaceAsync(a.table());
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    Peer peer = TableProbe.peer(a.table(), b.pid());
    byte[] block = new byte[64 << 10];
    int blocks = Peer.WINDOW / block.length + 1; // the last one takes the credit below zero
    for (int i = 0; i < blocks; i++) {
      out.send(block);
    }
    assertThat(peer.sendReady()).as("the window is spent").isFalse();

    CompletableFuture<Void> queued = out.sendAsync("x");
    pool.runQueued();
    List<Runnable> registered = waiters(peer);
    assertThat(queued).as("a send waits for credit").isNotDone();
    assertThat(registered).as("a pending send waits on the peer").isNotEmpty();
    assertThat(((byte[]) in.recv(System.nanoTime() + WAIT.toNanos())).length)
        .isEqualTo(block.length);
    assertThat(((byte[]) in.recv(System.nanoTime() + WAIT.toNanos())).length)
        .isEqualTo(block.length);
    await().atMost(WAIT).until(() -> peer.sendReady() && pool.size() > 0);

    runTwiceAtOnce(peer, pool, registered);
    queued.get(10, TimeUnit.SECONDS);
    out.send("end");

    for (int i = 2; i < blocks; i++) {
      assertThat(in.recv(System.nanoTime() + WAIT.toNanos())).isInstanceOf(byte[].class);
    }
    assertThat(in.recv(System.nanoTime() + WAIT.toNanos())).isEqualTo("x");
    assertThat(in.recv(System.nanoTime() + WAIT.toNanos())).as("x only once").isEqualTo("end");
  }

  /**
   * With the peer's lock held, runs the queued wake-up on one thread until it parks at the lock,
   * then fires the earlier waiters again and runs what they queue on a second thread, and lets both
   * go.
   */
  private void runTwiceAtOnce(Peer peer, ManualExecutor pool, List<Runnable> registered)
      throws InterruptedException {
    peer.lock.lock();
    Thread second;
    try {
      Thread first = start("first run", pool::runQueued);
      await().atMost(WAIT).until(() -> peer.lock.hasQueuedThread(first));
      second =
          start(
              "second run",
              () -> {
                registered.forEach(Runnable::run);
                pool.runQueued();
              });
      await()
          .atMost(WAIT)
          .until(
              () ->
                  second.getState() == Thread.State.TERMINATED
                      || peer.lock.hasQueuedThread(second));
    } finally {
      peer.lock.unlock();
    }
    for (Thread t : started) {
      t.join(WAIT.toMillis());
    }
    pool.runQueued(); // whatever the runs scheduled next
  }

  private Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    started.add(t);
    t.start();
    return t;
  }

  /** Runs tasks only when the test says, on the test's threads. */
  static final class ManualExecutor implements Executor {
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();

    @Override
    public void execute(Runnable task) {
      tasks.add(task);
    }

    int size() {
      return tasks.size();
    }

    /** Runs the tasks queued now (not the ones they queue) on the calling thread. */
    void runQueued() {
      for (int n = tasks.size(); n > 0; n--) {
        Runnable r = tasks.poll();
        if (r != null) {
          r.run();
        }
      }
    }
  }

  static ManualExecutor replaceAsync(ChannelTable table) throws Exception {
    Field f = ChannelTable.class.getDeclaredField("async");
    f.setAccessible(true);
    ((java.util.concurrent.ExecutorService) f.get(table)).shutdown();
    ManualExecutor manual = new ManualExecutor();
    f.set(table, new ManualService(manual));
    return manual;
  }

  @SuppressWarnings("unchecked")
  private static List<Runnable> waiters(Peer peer) throws Exception {
    Field f = Peer.class.getDeclaredField("waiters");
    f.setAccessible(true);
    peer.lock.lock();
    try {
      return new ArrayList<>((List<Runnable>) f.get(peer));
    } finally {
      peer.lock.unlock();
    }
  }

  private static int inbound(Peer peer) throws Exception {
    Field f = Peer.class.getDeclaredField("inbound");
    f.setAccessible(true);
    peer.lock.lock();
    try {
      return ((java.util.Collection<?>) f.get(peer)).size();
    } finally {
      peer.lock.unlock();
    }
  }

  /** The table's field is an ExecutorService: a shell over the manual executor. */
  private static final class ManualService extends java.util.concurrent.AbstractExecutorService {
    private final ManualExecutor manual;

    ManualService(ManualExecutor manual) {
      this.manual = manual;
    }

    @Override
    public void execute(Runnable command) {
      manual.execute(command);
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }
}
