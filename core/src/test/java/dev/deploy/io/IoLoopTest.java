package dev.deploy.io;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.testing.ManualClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link IoLoop} driven by hand: the test thread is the loop thread and calls {@link
 * IoLoop#runOnce}, and timers run on a {@link ManualClock}, so nothing here sleeps.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class IoLoopTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  private final ManualClock clock = new ManualClock();
  private final IoLoop loop = new IoLoop(clock);
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).as("test threads ended").isTrue();
    for (AutoCloseable c : toClose) {
      c.close();
    }
    closeUnstarted(loop);
  }

  /**
   * Closes a loop that was driven by hand: {@code close()} only stops a started loop's thread,
   * which is what closes the selector, so start one that finds it already stopped.
   */
  private static void closeUnstarted(IoLoop l) throws InterruptedException {
    l.close();
    String name = "io-loop-test-closer-" + System.identityHashCode(l);
    l.start(name);
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals(name)) {
        t.join(5_000);
      }
    }
  }

  @Test
  void givenTimersScheduledOutOfOrder_whenRunOnce_thenRunInDueOrderTiesInScheduleOrder() {
    List<String> ran = new ArrayList<>();
    loop.schedule(30 * MS, () -> ran.add("30"));
    loop.schedule(10 * MS, () -> ran.add("10"));
    loop.schedule(20 * MS, () -> ran.add("20a"));
    loop.schedule(20 * MS, () -> ran.add("20b"));
    loop.schedule(0, () -> ran.add("0"));
    clock.advance(Duration.ofMillis(30));

    int work = loop.runOnce(0);

    assertThat(ran).containsExactly("0", "10", "20a", "20b", "30");
    assertThat(work).isEqualTo(5);
  }

  @Test
  void givenTimerNotYetDue_whenRunOnce_thenItWaitsForTheClock() {
    List<String> ran = new ArrayList<>();
    loop.schedule(10 * MS, () -> ran.add("due at 10"));
    loop.schedule(50 * MS, () -> ran.add("due at 50"));
    clock.advance(Duration.ofMillis(10));

    loop.runOnce(0);
    assertThat(ran).containsExactly("due at 10");
    clock.advance(Duration.ofMillis(39));
    loop.runOnce(0);
    assertThat(ran).containsExactly("due at 10");
    clock.advance(Duration.ofMillis(1));
    loop.runOnce(0);

    assertThat(ran).containsExactly("due at 10", "due at 50");
  }

  @Test
  void givenClockMovedAfterATimerReadIt_whenScheduleAtItsReadingPlusDelay_thenDueFromTheReading() {
    List<String> ran = new ArrayList<>();
    long read = loop.now();
    clock.advance(Duration.ofMillis(50)); // another thread moves the clock meanwhile

    loop.scheduleAt(read + 10 * MS, () -> ran.add("at reading + 10"));
    loop.schedule(10 * MS, () -> ran.add("at now + 10"));
    loop.runOnce(0);

    assertThat(ran).containsExactly("at reading + 10");
  }

  @Test
  void givenCancelledTimer_whenDue_thenDoesNotRun() {
    List<String> ran = new ArrayList<>();
    IoLoop.Timer cancelled = loop.schedule(10 * MS, () -> ran.add("cancelled"));
    loop.schedule(20 * MS, () -> ran.add("kept"));
    IoLoop.Timer head = loop.schedule(5 * MS, () -> ran.add("head"));
    cancelled.cancel();
    head.cancel();
    clock.advance(Duration.ofMillis(20));

    loop.runOnce(0);

    assertThat(ran).containsExactly("kept");
  }

  @Test
  void givenTimerThatCancelsALaterOne_whenBothDue_thenOnlyTheFirstRuns() {
    List<String> ran = new ArrayList<>();
    AtomicReference<IoLoop.Timer> later = new AtomicReference<>();
    loop.schedule(
        1 * MS,
        () -> {
          ran.add("first");
          later.get().cancel();
        });
    later.set(loop.schedule(2 * MS, () -> ran.add("later")));
    clock.advance(Duration.ofMillis(5));

    loop.runOnce(0);

    assertThat(ran).containsExactly("first");
  }

  @Test
  void givenThrowingTimerAndCommand_whenRunOnce_thenTheOthersStillRun() {
    List<String> ran = new ArrayList<>();
    loop.execute(
        () -> {
          throw new IllegalStateException("command fails");
        });
    loop.execute(() -> ran.add("command"));
    loop.schedule(
        1 * MS,
        () -> {
          throw new IllegalStateException("timer fails");
        });
    loop.schedule(2 * MS, () -> ran.add("timer"));
    clock.advance(Duration.ofMillis(2));

    loop.runOnce(0);

    assertThat(ran).containsExactly("command", "timer");
  }

  @Test
  void givenCommandsFromSeveralThreads_whenRunOnce_thenEachRunsOnceOnTheLoopThread()
      throws Exception {
    List<Thread> ranOn = new CopyOnWriteArrayList<>();
    List<Future<?>> submitted = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      submitted.add(
          threads.submit(
              () -> {
                for (int j = 0; j < 100; j++) {
                  loop.execute(() -> ranOn.add(Thread.currentThread()));
                }
              }));
    }
    for (Future<?> f : submitted) {
      f.get(5, TimeUnit.SECONDS);
    }

    loop.runOnce(0);

    assertThat(ranOn).hasSize(400).containsOnly(Thread.currentThread());
  }

  @Test
  void givenLoopBlockedInSelect_whenExecuteFromAnotherThread_thenWakesAndRunsCommandOnLoop()
      throws Exception {
    AtomicReference<Thread> loopThread = new AtomicReference<>();
    CompletableFuture<Thread> ranOn = new CompletableFuture<>();
    Future<Long> firstRound =
        threads.submit(
            () -> {
              loopThread.set(Thread.currentThread());
              long start = System.nanoTime();
              loop.runOnce(60_000);
              long blocked = System.nanoTime() - start;
              loop.runOnce(0);
              return blocked;
            });
    await().until(() -> loopThread.get() != null && inSelect(loopThread.get()));

    loop.execute(() -> ranOn.complete(Thread.currentThread()));

    assertThat(firstRound.get(5, TimeUnit.SECONDS))
        .as("nanoseconds blocked in a select of up to 60 s")
        .isLessThan(TimeUnit.SECONDS.toNanos(5));
    assertThat(ranOn.get(5, TimeUnit.SECONDS)).isSameAs(loopThread.get());
  }

  @Test
  void givenStartedLoop_whenExecuteFromAnotherThread_thenRunsOnItsThreadAndCloseEndsIt()
      throws Exception {
    IoLoop started = new IoLoop(System::nanoTime);
    started.start("io-loop-test");
    CompletableFuture<Thread> ranOn = new CompletableFuture<>();

    started.execute(() -> ranOn.complete(Thread.currentThread()));

    Thread t = ranOn.get(5, TimeUnit.SECONDS);
    assertThat(t.getName()).isEqualTo("io-loop-test");
    assertThat(t.isDaemon()).isTrue();
    started.close();
    t.join(5_000);
    assertThat(t.isAlive()).isFalse();
  }

  @Test
  void givenTimerDueOnRealClock_whenRunOnceWithLongMaxWait_thenSelectWaitsOnlyUntilIt()
      throws Exception {
    IoLoop real = new IoLoop(System::nanoTime);
    toClose.add(() -> closeUnstarted(real));
    List<String> ran = new ArrayList<>();
    real.schedule(20 * MS, () -> ran.add("timer"));
    long start = System.nanoTime();

    while (ran.isEmpty()) {
      real.runOnce(60_000);
      assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
    }

    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(20 * MS);
  }

  @Test
  void givenReadableChannel_whenRunOnce_thenItsHandlerGetsTheKey() throws Exception {
    Pipe pipe = Pipe.open();
    toClose.add(pipe.source());
    toClose.add(pipe.sink());
    pipe.source().configureBlocking(false);
    List<Integer> read = new ArrayList<>();
    loop.register(
        pipe.source(),
        SelectionKey.OP_READ,
        key -> {
          ByteBuffer b = ByteBuffer.allocate(16);
          try {
            pipe.source().read(b);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          read.add(b.position());
        });
    pipe.sink().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));

    int work = 0;
    while (read.isEmpty()) {
      work += loop.runOnce(1_000);
    }

    assertThat(read).containsExactly(3);
    assertThat(work).isGreaterThanOrEqualTo(1);
  }

  /** A handler that reads what is there, then throws {@code failure}; records what it heard. */
  private static final class Throwing implements IoLoop.Handler {
    private final Pipe pipe;
    private final Error error;
    private final RuntimeException runtime;
    final List<Throwable> heard = new ArrayList<>();

    Throwing(Pipe pipe, Throwable failure) {
      this.pipe = pipe;
      this.error = failure instanceof Error e ? e : null;
      this.runtime = failure instanceof RuntimeException r ? r : null;
    }

    @Override
    public void onReady(SelectionKey key) {
      try {
        pipe.source().read(ByteBuffer.allocate(16));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (error != null) {
        throw error;
      }
      throw runtime;
    }

    @Override
    public void onFailure(SelectionKey key, Throwable failure) {
      heard.add(failure);
    }
  }

  private Throwing readyHandlerThrowing(Throwable failure) throws IOException {
    Pipe pipe = Pipe.open();
    toClose.add(pipe.source());
    toClose.add(pipe.sink());
    pipe.source().configureBlocking(false);
    Throwing handler = new Throwing(pipe, failure);
    loop.register(pipe.source(), SelectionKey.OP_READ, handler);
    pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
    return handler;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"out of memory", "runtime exception"})
  void givenHandlerThatThrows_whenRunOnce_thenHandlerHearsItAndLoopGoesOn(String kind)
      throws Exception {
    Throwable failure =
        kind.equals("out of memory")
            ? new OutOfMemoryError("Cannot reserve 262400 bytes of direct buffer memory")
            : new IllegalStateException("a bug");
    Throwing handler = readyHandlerThrowing(failure);
    List<String> ran = new ArrayList<>();

    while (handler.heard.isEmpty()) {
      loop.runOnce(1_000);
    }
    loop.execute(() -> ran.add("command"));
    loop.schedule(0, () -> ran.add("timer"));
    loop.runOnce(0);

    assertThat(handler.heard).containsExactly(failure);
    assertThat(ran).containsExactly("command", "timer");
  }

  @Test
  void givenCommandAndTimerOutOfMemory_whenRunOnce_thenLoopGoesOn() {
    List<String> ran = new ArrayList<>();
    loop.execute(
        () -> {
          throw new OutOfMemoryError("Java heap space");
        });
    loop.schedule(
        0,
        () -> {
          throw new OutOfMemoryError("Java heap space");
        });
    loop.execute(() -> ran.add("after"));

    loop.runOnce(0);

    assertThat(ran).containsExactly("after");
  }

  @Test
  void givenHandlerThrowingErrorLoopCannotSurvive_whenRunOnce_thenItLeavesRunOnce()
      throws Exception {
    InternalError fatal = new InternalError("the JVM is not well");
    Throwing handler = readyHandlerThrowing(fatal);

    assertThatThrownBy(
            () -> {
              while (true) {
                loop.runOnce(1_000);
              }
            })
        .isSameAs(fatal);
    assertThat(handler.heard).isEmpty();
  }

  @Test
  void givenStartedLoop_whenCommandThrowsErrorLoopCannotSurvive_thenDeathHearsItAndThreadEnds()
      throws Exception {
    IoLoop started = new IoLoop(System::nanoTime);
    CompletableFuture<String> died = new CompletableFuture<>();
    CompletableFuture<Thread> thread = new CompletableFuture<>();
    started.start("io-loop-death-test", (name, failure) -> died.complete(name + ": " + failure));
    started.execute(() -> thread.complete(Thread.currentThread()));

    started.execute(
        () -> {
          throw new StackOverflowError();
        });

    assertThat(died.get(5, TimeUnit.SECONDS))
        .isEqualTo("io-loop-death-test: java.lang.StackOverflowError");
    Thread t = thread.get(5, TimeUnit.SECONDS);
    t.join(5_000);
    assertThat(t.isAlive()).isFalse();
  }

  private static boolean inSelect(Thread t) {
    return Arrays.stream(t.getStackTrace())
        .anyMatch(
            e ->
                e.getClassName().startsWith("sun.nio.ch.") && e.getMethodName().contains("Select"));
  }
}
