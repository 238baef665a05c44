package dev.deploy.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.io.IoLoop;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process whose I/O thread dies does not live on deaf: one line on stderr says why, then it halts
 * with 70 (the halt is a fake here).
 */
@Timeout(10)
class IoThreadDeathTest {
  @Test
  void givenProcessLoop_whenItsThreadDiesOfAnError_thenOneLineOnStderrAndHaltWith70()
      throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CompletableFuture<Integer> halted = new CompletableFuture<>();
    IoLoop loop = new IoLoop(System::nanoTime);
    loop.start(
        "deploy-io",
        new IoThreadDeath(new PrintStream(err, true, StandardCharsets.UTF_8), halted::complete));

    loop.execute(
        () -> {
          throw new InternalError("a broken JVM");
        });

    assertThat(halted.get(5, TimeUnit.SECONDS)).isEqualTo(70);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .isEqualTo(
            "deploy: the I/O thread deploy-io died of java.lang.InternalError: a broken JVM;"
                + " this process cannot use its channels any more and exits with 70"
                + System.lineSeparator());
  }
}
