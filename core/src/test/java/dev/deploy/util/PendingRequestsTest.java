package dev.deploy.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class PendingRequestsTest {
  @Test
  @Timeout(10)
  void givenTwoRequests_whenTheSecondIsAnswered_thenOnlyItCompletes() {
    PendingRequests<String> pending = new PendingRequests<>();
    long a = pending.newId();
    long b = pending.newId();
    CompletableFuture<String> first = pending.expect(a);
    CompletableFuture<String> second = pending.expect(b);

    boolean answered = pending.complete(b, "yes");

    assertThat(a).isNotEqualTo(b);
    assertThat(answered).isTrue();
    assertThat(second).isCompletedWithValue("yes");
    assertThat(first).isNotDone();
    assertThat(pending.size()).isEqualTo(1);
  }

  @Test
  @Timeout(10)
  void givenAnAnsweredOrUnknownId_whenAnsweredAgain_thenIgnored() {
    PendingRequests<String> pending = new PendingRequests<>();
    long id = pending.newId();
    CompletableFuture<String> reply = pending.expect(id);
    pending.complete(id, "first");

    assertThat(pending.complete(id, "second")).isFalse();
    assertThat(pending.complete(999, "stray")).isFalse();
    assertThat(reply).isCompletedWithValue("first");
  }

  @Test
  @Timeout(10)
  void givenAFailedSend_whenForgotten_thenItsFutureFailsAndNothingWaits() {
    PendingRequests<String> pending = new PendingRequests<>();
    long id = pending.newId();
    CompletableFuture<String> reply = pending.expect(id);

    pending.forget(id, new IOException("broken pipe"));

    assertThat(reply).isCompletedExceptionally();
    assertThat(pending.size()).isZero();
  }

  @Test
  @Timeout(10)
  void givenWaitingRequests_whenTheConnectionEnds_thenAllFailOrSettle() {
    PendingRequests<String> failing = new PendingRequests<>();
    CompletableFuture<String> a = failing.expect(failing.newId());
    CompletableFuture<String> b = failing.expect(failing.newId());
    PendingRequests<String> settling = new PendingRequests<>();
    CompletableFuture<String> c = settling.expect(settling.newId());

    failing.failAll(new IOException("link ended"));
    settling.completeAll("lost");

    assertThat(a).isCompletedExceptionally();
    assertThat(b).isCompletedExceptionally();
    assertThat(c).isCompletedWithValue("lost");
    assertThat(failing.size()).isZero();
    assertThat(settling.size()).isZero();
  }
}
