package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.ChannelException;
import dev.deploy.Receiver;
import dev.deploy.testing.ChannelEnds;
import dev.deploy.testing.LoopbackTables;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What sendAsync, recvAsync and publisher() promise: order per sender with nothing lost, whether
 * the calls are chained or come from several threads; serial publisher signals; the end signalled
 * without demand; misuse named.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AsyncOrderTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final LoopbackTables tables = new LoopbackTables();

  @AfterEach
  void tearDown() {
    tables.close();
  }

  record Tagged(int thread, int seq) {}

  @Test
  void givenAChainOfSendAsyncThroughAFullWindow_whenReceived_thenAllArriveInOrder()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    int count = 5_000;
    List<Object> got = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                for (int i = 0; i <= count; i++) {
                  got.add(in.recv(System.nanoTime() + WAIT.toNanos()));
                }
              } catch (ChannelException | InterruptedException e) {
                got.add(e);
              }
            });
    reader.setDaemon(true);
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      futures.add(out.sendAsync("value " + i + " " + "x".repeat(200))); // overruns the window
    }
    reader.start();
    out.send("last"); // a blocking send after pending ones keeps its turn
    reader.join(WAIT.toMillis());

    assertThat(got).hasSize(count + 1);
    for (int i = 0; i < count; i++) {
      assertThat((String) got.get(i)).startsWith("value " + i + " ");
    }
    assertThat(got.get(count)).isEqualTo("last");
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
  }

  @Test
  void givenSendAsyncFromFourThreads_whenReceived_thenEachThreadsValuesArriveInOrderAndAll()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    int threads = 4;
    int each = 2_000;
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> senders = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread s =
          new Thread(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < each; i++) {
                  out.sendAsync(new Tagged(thread, i));
                }
              });
      s.setDaemon(true);
      s.start();
      senders.add(s);
    }
    go.countDown();

    Map<Integer, Integer> next = new HashMap<>();
    for (int n = 0; n < threads * each; n++) {
      Tagged v = (Tagged) in.recv(System.nanoTime() + WAIT.toNanos());
      assertThat(v.seq())
          .as("next from thread " + v.thread())
          .isEqualTo(next.getOrDefault(v.thread(), 0));
      next.put(v.thread(), v.seq() + 1);
    }
    for (Thread s : senders) {
      s.join(10_000);
    }
    assertThat(in.ready()).as("nothing more").isFalse();
  }

  @Test
  void givenManyRecvAsync_whenValuesArrive_thenFuturesGetThemInOrder() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    List<CompletableFuture<Object>> futures = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      futures.add(in.recvAsync());
    }
    CompletableFuture<Object> cancelled = in.recvAsync();
    cancelled.cancel(false);
    CompletableFuture<Object> timedOut = in.recvAsync();
    timedOut.completeExceptionally(new java.util.concurrent.TimeoutException("given up"));
    for (int i = 0; i < 1_001; i++) {
      out.send(i);
    }

    for (int i = 0; i < 1_000; i++) {
      assertThat(futures.get(i).get(10, TimeUnit.SECONDS)).isEqualTo(i);
    }
    assertThat(in.recv(System.nanoTime() + WAIT.toNanos()))
        .as("the futures completed by their caller took no value")
        .isEqualTo(1_000);
  }

  @Test
  void givenRequestInsideOnNext_whenThePoolRunsMeanwhile_thenNoSignalNestsOrOverlaps()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    AsyncRaceTest.ManualExecutor pool = AsyncRaceTest.replaceAsync(b.table());
    SendEnd out = a.table().openSender(b.pid());
    Receiver<Integer> in = ChannelEnds.receiver(b.table().openReceiver(a.pid()));
    for (int i = 0; i < 3; i++) {
      out.send(i);
    }
    AtomicInteger depth = new AtomicInteger();
    AtomicInteger deepest = new AtomicInteger();
    List<Integer> got = new CopyOnWriteArrayList<>();
    in.publisher()
        .subscribe(
            new Flow.Subscriber<Integer>() {
              Flow.Subscription s;

              @Override
              public void onSubscribe(Flow.Subscription subscription) {
                s = subscription;
                s.request(1);
              }

              @Override
              public void onNext(Integer item) {
                deepest.accumulateAndGet(depth.incrementAndGet(), Math::max);
                got.add(item);
                s.request(1);
                pool.runQueued(); // the pool's threads run now, while this onNext does
                depth.decrementAndGet();
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onComplete() {}
            });

    await()
        .atMost(WAIT)
        .until(
            () -> {
              pool.runQueued();
              return got.size() == 3;
            });
    assertThat(got).containsExactly(0, 1, 2);
    assertThat(deepest.get()).as("onNext never runs inside onNext (§1.3, §3.3)").isEqualTo(1);
  }

  @Test
  void givenARemoteThatDies_whenNothingIsRequested_thenOnErrorComesAnyway() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd end = b.table().openReceiver(a.pid());
    Receiver<Integer> in = ChannelEnds.receiver(end);
    out.send(1);
    assertThat(in.recv()).isEqualTo(1);
    AtomicReference<Throwable> error = new AtomicReference<>();
    in.publisher().subscribe(new Silent(error));

    a.kill();

    await().atMost(WAIT).until(() -> error.get() != null);
    assertThat(error.get()).isInstanceOf(ChannelException.class);
    assertThat(((ChannelException) error.get()).reason()).isEqualTo(ChannelException.Reason.LOST);
  }

  @Test
  void givenMisuse_whenSubscribedOrRequested_thenTheErrorNamesTheRule() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    a.table().openSender(b.pid());
    Receiver<Integer> in = ChannelEnds.receiver(b.table().openReceiver(a.pid()));
    AtomicReference<Throwable> first = new AtomicReference<>();
    Silent holder = new Silent(first);
    in.publisher().subscribe(holder);
    AtomicReference<Throwable> second = new AtomicReference<>();
    in.publisher().subscribe(new Silent(second));
    await().atMost(WAIT).until(() -> second.get() != null);
    assertThat(second.get()).hasMessageContaining("§1.11").hasMessageContaining("one subscriber");

    holder.subscription.request(0);
    await().atMost(WAIT).until(() -> first.get() != null);
    assertThat(first.get())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("§3.9: request(0) must be positive");

    in.close();
    AtomicReference<Throwable> afterClose = new AtomicReference<>();
    in.publisher().subscribe(new Silent(afterClose));
    await().atMost(WAIT).until(() -> afterClose.get() != null);
    assertThat(afterClose.get()).hasMessageContaining("is closed");
    assertThatThrownBy(() -> in.publisher().subscribe(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("§1.9");
  }

  /** Requests nothing; records the error. */
  private static final class Silent implements Flow.Subscriber<Integer> {
    private final AtomicReference<Throwable> error;
    volatile Flow.Subscription subscription;

    Silent(AtomicReference<Throwable> error) {
      this.error = error;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
    }

    @Override
    public void onNext(Integer item) {}

    @Override
    public void onError(Throwable t) {
      error.set(t);
    }

    @Override
    public void onComplete() {}
  }
}
