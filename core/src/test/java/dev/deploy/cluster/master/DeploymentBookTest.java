package dev.deploy.cluster.master;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.wire.ClientLink;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The deployments a bridge keeps: order, bounds, ages, states, and readers that wait. */
@Timeout(10)
class DeploymentBookTest {
  private static final Pid MAIN = Pid.of(new byte[] {127, 0, 0, 1}, 40_000, 1);
  private static final Pid CHILD = Pid.of(new byte[] {127, 0, 0, 1}, 40_001, 2);

  /** A clock that moves only when told. */
  private static final class FakeClock extends Clock {
    private volatile long millis = 1_000_000;

    void advance(Duration d) {
      millis += d.toMillis();
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  private final FakeClock clock = new FakeClock();

  private static Event.Output out(Pid pid, String text) {
    return new Event.Output(pid, 1, text.getBytes(StandardCharsets.UTF_8));
  }

  private static void run(DeploymentBook book, DeploymentBook.Kept k, Pid pid, String... lines) {
    book.append(k, new Event.Spawned(pid, null));
    for (String line : lines) {
      book.append(k, out(pid, line));
    }
    book.append(k, new Event.Eof(pid, 1));
    book.append(k, new Event.Eof(pid, 2));
    book.append(k, new Event.Exit(pid, ExitStatus.exited(0)));
  }

  private static String text(List<Event> events) {
    StringBuilder b = new StringBuilder();
    for (Event e : events) {
      if (e instanceof Event.Output o) {
        b.append(new String(o.data(), StandardCharsets.UTF_8));
      }
    }
    return b.toString();
  }

  @Test
  void givenFinishedDeployment_whenReadFromTheStart_thenEveryEventInOrderAndItsCode()
      throws Exception {
    DeploymentBook book = new DeploymentBook(Retention.DEFAULT, clock);
    DeploymentBook.Kept k = book.open(7, "a.Main", true);
    run(book, k, MAIN, "one\n", "two\n");
    book.finish(k, 3);

    DeploymentBook.Batch b = book.read(k, 0, 0);

    assertThat(b.events()).hasSize(6);
    assertThat(b.events().get(0)).isInstanceOf(Event.Spawned.class);
    assertThat(text(b.events())).isEqualTo("one\ntwo\n");
    assertThat(b.last()).isTrue();
    assertThat(b.code()).isEqualTo(3);
  }

  @Test
  void givenOutputOverThePerDeploymentBound_whenAppended_thenOldestOutputDroppedTreeKept()
      throws Exception {
    long per = 3 * (DeploymentBook.OVERHEAD + 2) + 4 * DeploymentBook.OVERHEAD;
    DeploymentBook book =
        new DeploymentBook(new Retention(Duration.ofHours(1), per, 1L << 30), clock);
    DeploymentBook.Kept k = book.open(7, "a.Main", false);
    book.append(k, new Event.Spawned(MAIN, null));
    book.append(k, new Event.Spawned(CHILD, MAIN));
    for (int i = 0; i < 10; i++) {
      book.append(k, out(i % 2 == 0 ? MAIN : CHILD, i + "\n"));
    }
    book.append(k, new Event.Exit(CHILD, ExitStatus.killed(9)));

    DeploymentBook.Batch b = book.read(k, 0, 0);

    assertThat(text(b.events())).isEqualTo("7\n8\n9\n");
    assertThat(b.events().subList(0, 2))
        .containsExactly(new Event.Spawned(MAIN, null), new Event.Spawned(CHILD, MAIN));
    assertThat(book.bytes()).isLessThanOrEqualTo(per);
    assertThat(book.list().get(0).alive()).isEqualTo(1);
    assertThat(book.list().get(0).total()).isEqualTo(2);
  }

  @Test
  void givenReaderPastDroppedOutput_whenReadOn_thenSkipsOnlyOutputNeverASpawn() throws Exception {
    long per = 2 * (DeploymentBook.OVERHEAD + 2) + 2 * DeploymentBook.OVERHEAD;
    DeploymentBook book =
        new DeploymentBook(new Retention(Duration.ofHours(1), per, 1L << 30), clock);
    DeploymentBook.Kept k = book.open(7, "a.Main", false);
    book.append(k, new Event.Spawned(MAIN, null));
    book.append(k, out(MAIN, "a\n"));
    long cursor = book.read(k, 0, 0).next();
    book.append(k, out(MAIN, "b\n"));
    book.append(k, new Event.Spawned(CHILD, MAIN));
    book.append(k, out(MAIN, "c\n"));
    book.append(k, out(MAIN, "d\n"));

    DeploymentBook.Batch b = book.read(k, cursor, 0);

    assertThat(b.events()).contains(new Event.Spawned(CHILD, MAIN));
    assertThat(text(b.events())).isEqualTo("c\nd\n");
  }

  @Test
  void givenFinishedAndRunning_whenTheAgePasses_thenOnlyTheFinishedOneIsGone() {
    DeploymentBook book =
        new DeploymentBook(new Retention(Duration.ofMinutes(5), 1L << 20, 1L << 30), clock);
    DeploymentBook.Kept done = book.open(1, "a.Done", true);
    run(book, done, MAIN, "x\n");
    book.finish(done, 0);
    DeploymentBook.Kept running = book.open(2, "a.Runs", true);
    book.append(running, new Event.Spawned(CHILD, null));

    clock.advance(Duration.ofMinutes(4));
    assertThat(book.list()).extracting(ClientLink.Listed::id).containsExactly(1L, 2L);
    clock.advance(Duration.ofMinutes(1));

    assertThat(book.list()).extracting(ClientLink.Listed::id).containsExactly(2L);
    assertThat(book.find(1)).isEmpty();
    assertThat(book.bytes()).isEqualTo(DeploymentBook.OVERHEAD);
  }

  @Test
  void givenTotalBoundReached_whenAnotherDeploymentGrows_thenTheFirstEndedIsDroppedFirst() {
    long total = 20 * DeploymentBook.OVERHEAD;
    DeploymentBook book =
        new DeploymentBook(new Retention(Duration.ofHours(1), total, total), clock);
    DeploymentBook.Kept older = book.open(1, "a.Older", false);
    DeploymentBook.Kept newer = book.open(2, "a.Newer", false);
    run(book, newer, CHILD, "n\n");
    book.finish(newer, 0);
    clock.advance(Duration.ofSeconds(1));
    run(book, older, MAIN, "o\n");
    book.finish(older, 0);
    DeploymentBook.Kept live = book.open(3, "a.Live", false);

    for (int i = 0; i < 14; i++) {
      book.append(live, out(MAIN, "x"));
    }
    assertThat(book.list()).extracting(ClientLink.Listed::id).containsExactly(1L, 3L);
    book.append(live, out(MAIN, "x"));
    book.append(live, out(MAIN, "x"));

    // 2 (ended first) went first, then 1; 3 runs and keeps what fits.
    assertThat(book.list()).extracting(ClientLink.Listed::id).containsExactly(3L);
    assertThat(book.bytes()).isLessThanOrEqualTo(total);
  }

  @Test
  void givenStates_whenListed_thenRunningExitedAndStoppedWithTheirCounts() {
    DeploymentBook book = new DeploymentBook(Retention.DEFAULT, clock);
    DeploymentBook.Kept a = book.open(1, "a.Runs", true);
    book.append(a, new Event.Spawned(MAIN, null));
    DeploymentBook.Kept b = book.open(2, "a.Exits", false);
    run(book, b, MAIN);
    book.finish(b, 4);
    DeploymentBook.Kept c = book.open(3, "a.Stopped", true);
    book.append(c, new Event.Spawned(MAIN, null));
    book.stopping(c);
    book.append(c, new Event.Exit(MAIN, ExitStatus.killed(9)));
    book.finish(c, 137);

    List<ClientLink.Listed> list = book.list();

    assertThat(list)
        .extracting(ClientLink.Listed::stateText)
        .containsExactly("running", "exited 4", "stopped");
    assertThat(list).extracting(ClientLink.Listed::alive).containsExactly(1, 0, 0);
    assertThat(list).extracting(ClientLink.Listed::total).containsExactly(1, 1, 1);
    assertThat(list)
        .extracting(ClientLink.Listed::mainClass)
        .containsExactly("a.Runs", "a.Exits", "a.Stopped");
    assertThat(list.get(0).startedMillis()).isEqualTo(clock.millis());
  }

  @Test
  void givenReaderAtTheEnd_whenAnEventArrives_thenTheWaitingReadReturnsIt() throws Exception {
    DeploymentBook book = new DeploymentBook(Retention.DEFAULT, clock);
    DeploymentBook.Kept k = book.open(1, "a.Main", true);
    book.append(k, new Event.Spawned(MAIN, null));
    long cursor = book.read(k, 0, 0).next();
    CompletableFuture<DeploymentBook.Batch> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return book.read(k, cursor, TimeUnit.SECONDS.toNanos(30));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            },
            dev.deploy.testing.TestThreads.POOL);

    book.append(k, out(MAIN, "late\n"));

    DeploymentBook.Batch b = waiting.get(5, TimeUnit.SECONDS);
    assertThat(text(b.events())).isEqualTo("late\n");
    assertThat(b.last()).isFalse();
  }
}
