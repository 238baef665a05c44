package dev.deploy.e2e.programs.channels;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import dev.deploy.e2e.tester.Expect;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The lost echo of the "channels keep every promise" issue, as a stress: ten children, 20 rounds of
 * 200 values each way, sent as chains of sendAsync, received by a publisher() subscriber (even
 * children) or a chain of recvAsync (odd ones) on both sides. Every echo is counted and checked to
 * come in the order sent; one lost, doubled or reordered value fails the run.
 */
public final class AsyncEcho {
  static final int CHILDREN = 10;
  static final int ROUNDS = 20;
  static final int PER_ROUND = 200;
  static final int TOTAL = ROUNDS * PER_ROUND;

  static final Expect EXPECTED =
      Expect.process()
          .exit(0)
          .stdout("echoed " + CHILDREN * TOTAL + " values, each in order\n")
          .children(
              CHILDREN,
              Expect.process().stdoutMatches("child \\d+ echoed " + TOTAL + "\n").exit(0));

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    List<Sender<String>> senders = new ArrayList<>();
    List<Check> checks = new ArrayList<>();
    AtomicReference<String> failure = new AtomicReference<>();
    CountDownLatch[] rounds = new CountDownLatch[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      rounds[r] = new CountDownLatch(CHILDREN * PER_ROUND);
    }
    for (int c = 0; c < CHILDREN; c++) {
      Pid pid =
          spawn(AsyncEcho::child, c, new Resources(128L << 20, 0.05))
              .orElseThrow(() -> new IllegalStateException("Out of resources!"));
      senders.add(new Sender<>(pid));
      Check check = new Check(c, failure, rounds);
      checks.add(check);
      Receiver<String> echoes = new Receiver<>(pid);
      if (c % 2 == 0) {
        echoes.publisher().subscribe(check.subscriber());
      } else {
        check.pull(echoes);
      }
    }
    for (int r = 0; r < ROUNDS; r++) {
      for (int c = 0; c < CHILDREN; c++) {
        for (int i = 0; i < PER_ROUND; i++) {
          senders.get(c).sendAsync(value(c, r * PER_ROUND + i));
        }
      }
      if (!rounds[r].await(30, TimeUnit.SECONDS)) {
        throw new AssertionError("round " + r + " lacks echoes: " + checks + " " + failure.get());
      }
    }
    for (Check check : checks) {
      if (!check.done.await(30, TimeUnit.SECONDS)) {
        throw new AssertionError("no end of the echoes of child " + check.child);
      }
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    senders.forEach(Sender::close);
    System.out.println("echoed " + CHILDREN * TOTAL + " values, each in order");
  }

  static String value(int child, int n) {
    return "c" + child + "-" + n;
  }

  /** Checks one child's echoes: all of them, in order, nothing after. */
  static final class Check {
    final int child;
    final AtomicReference<String> failure;
    final CountDownLatch[] rounds;
    final CountDownLatch done = new CountDownLatch(1);
    final AtomicInteger next = new AtomicInteger();

    Check(int child, AtomicReference<String> failure, CountDownLatch[] rounds) {
      this.child = child;
      this.failure = failure;
      this.rounds = rounds;
    }

    void echo(String value) {
      int n = next.getAndIncrement();
      if (n >= TOTAL || !value.equals(value(child, n))) {
        failure.compareAndSet(null, "child " + child + ": echo " + n + " was " + value);
        return;
      }
      rounds[n / PER_ROUND].countDown();
    }

    void end(Throwable error) {
      if (error != null || next.get() != TOTAL) {
        failure.compareAndSet(
            null, "child " + child + " ended after " + next.get() + " echoes: " + error);
      }
      done.countDown();
    }

    /** Receives with a chain of recvAsync until the child closes its Sender. */
    void pull(Receiver<String> echoes) {
      echoes
          .recvAsync()
          .whenComplete(
              (v, e) -> {
                if (e != null) {
                  Throwable cause = e.getCause() != null ? e.getCause() : e;
                  boolean exited =
                      cause instanceof ChannelException c
                          && c.reason() == ChannelException.Reason.EXITED;
                  end(exited ? null : cause);
                  return;
                }
                echo(v);
                pull(echoes);
              });
    }

    /** Receives with a subscriber that asks for one value at a time, as the report's did. */
    Flow.Subscriber<String> subscriber() {
      return new Flow.Subscriber<>() {
        Flow.Subscription subscription;

        @Override
        public void onSubscribe(Flow.Subscription s) {
          subscription = s;
          s.request(1);
        }

        @Override
        public void onNext(String item) {
          echo(item);
          subscription.request(1);
        }

        @Override
        public void onError(Throwable t) {
          end(t);
        }

        @Override
        public void onComplete() {
          end(null);
        }
      };
    }

    @Override
    public String toString() {
      return "child " + child + " at " + next.get();
    }
  }

  static void child(Pid parent, Integer index) throws Exception {
    Sender<String> echo = new Sender<>(parent);
    Receiver<String> values = new Receiver<>(parent);
    CompletableFuture<Void> finished = new CompletableFuture<>();
    AtomicInteger count = new AtomicInteger();
    if (index % 2 == 0) {
      values
          .publisher()
          .subscribe(
              new Flow.Subscriber<>() {
                Flow.Subscription subscription;

                @Override
                public void onSubscribe(Flow.Subscription s) {
                  subscription = s;
                  s.request(16);
                }

                @Override
                public void onNext(String item) {
                  echo.sendAsync(item);
                  if (count.incrementAndGet() == TOTAL) {
                    finished.complete(null);
                  } else if (count.get() % 16 == 0) {
                    subscription.request(16);
                  }
                }

                @Override
                public void onError(Throwable t) {
                  finished.completeExceptionally(t);
                }

                @Override
                public void onComplete() {}
              });
    } else {
      pullAndEcho(values, echo, count, finished);
    }
    finished.get(60, TimeUnit.SECONDS);
    echo.close();
    System.out.println("child " + index + " echoed " + count.get());
  }

  private static void pullAndEcho(
      Receiver<String> values,
      Sender<String> echo,
      AtomicInteger count,
      CompletableFuture<Void> finished) {
    values
        .recvAsync()
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                finished.completeExceptionally(e);
                return;
              }
              echo.sendAsync(v);
              if (count.incrementAndGet() == TOTAL) {
                finished.complete(null);
              } else {
                pullAndEcho(values, echo, count, finished);
              }
            });
  }
}
