package dev.deploy.fabric;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The gate and the fabric-wide bound on what paused programs hold of their exited processes. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class OutputGateTest {
  private static final int K64 = 64 << 10;

  @Test
  void givenOpenGate_whenPumpAsks_thenReadOnWithNothingReserved() throws Exception {
    OutputBudget budget = new OutputBudget(K64, K64);
    OutputGate gate = new OutputGate(budget);

    assertThat(gate.awaitOpenOrRoom(() -> true, 0, K64)).isZero();
    assertThat(budget.held()).isZero();
  }

  @Test
  void givenClosedGateAndRunningProcess_whenPumpAsks_thenItWaitsUntilTheProcessExits() {
    OutputBudget budget = new OutputBudget(K64, K64);
    OutputGate gate = new OutputGate(budget);
    gate.set(false);
    AtomicBoolean exited = new AtomicBoolean();

    CompletableFuture<Integer> room = ask(gate, exited, 0, K64);
    await().until(() -> budget.waiting() == 1);
    assertThat(room).isNotDone();

    exited.set(true);
    gate.wake();

    assertThat(room).succeedsWithin(5, TimeUnit.SECONDS).isEqualTo(K64);
    assertThat(budget.held()).isEqualTo(K64);
  }

  @Test
  void givenPipeAtItsBound_whenPumpAsks_thenItWaitsForTheGateNotForMore() {
    OutputBudget budget = new OutputBudget(K64, 4 * K64);
    OutputGate gate = new OutputGate(budget);
    gate.set(false);

    CompletableFuture<Integer> room = ask(gate, new AtomicBoolean(true), K64, K64);
    await().until(() -> budget.waiting() == 1);
    assertThat(room).isNotDone();

    gate.set(true);

    assertThat(room).succeedsWithin(5, TimeUnit.SECONDS).isEqualTo(0);
  }

  @Test
  void givenFabricBudgetHeldByOneProgram_whenAnotherProgramsPumpAsks_thenItWaitsForTheRelease()
      throws Exception {
    OutputBudget budget = new OutputBudget(K64, K64);
    OutputGate first = new OutputGate(budget);
    OutputGate second = new OutputGate(budget);
    first.set(false);
    second.set(false);
    assertThat(first.awaitOpenOrRoom(() -> true, 0, K64)).isEqualTo(K64);

    CompletableFuture<Integer> room = ask(second, new AtomicBoolean(true), 0, K64);
    await().until(() -> budget.waiting() == 1);
    assertThat(room).isNotDone();

    first.release(K64); // the first program was resumed and delivered what it held

    assertThat(room).succeedsWithin(5, TimeUnit.SECONDS).isEqualTo(K64);
  }

  @Test
  void givenTotalBelowAPipesBound_whenBudgetMade_thenRefusedNamingBoth() {
    assertThatThrownBy(() -> new OutputBudget(K64, 1000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("65536 per pipe and 1000 in all");
  }

  private static CompletableFuture<Integer> ask(
      OutputGate gate, AtomicBoolean exited, int pipeHeld, int want) {
    CompletableFuture<Integer> room = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                room.complete(gate.awaitOpenOrRoom(exited::get, pipeHeld, want));
              } catch (Throwable e) {
                room.completeExceptionally(e);
              }
            },
            "gate-test-pump");
    t.setDaemon(true);
    t.start();
    return room;
  }
}
