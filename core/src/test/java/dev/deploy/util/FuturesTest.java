package dev.deploy.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class FuturesTest {
  @Test
  @Timeout(10)
  void givenNestedWrappers_whenUnwrap_thenTheErrorInside() {
    IOException cause = new IOException("gone");

    Throwable unwrapped =
        Futures.unwrap(
            new CompletionException(new ExecutionException(new CompletionException(cause))));

    assertThat(unwrapped).isSameAs(cause);
  }

  @Test
  @Timeout(10)
  void givenAJoinedFailure_whenUnwrap_thenTheFailure() {
    IllegalStateException cause = new IllegalStateException("no");
    CompletableFuture<Void> f = CompletableFuture.failedFuture(cause);

    Throwable thrown = f.handle((v, e) -> e).thenApply(e -> e).join();
    Throwable joined =
        CompletableFuture.supplyAsync(f::join, dev.deploy.testing.TestThreads.POOL)
            .handle((v, e) -> e)
            .join();

    assertThat(Futures.unwrap(thrown)).isSameAs(cause);
    assertThat(Futures.unwrap(joined)).isSameAs(cause);
  }

  @Test
  @Timeout(10)
  void givenAWrapperWithoutCause_orNoWrapper_whenUnwrap_thenItself() {
    CompletionException empty = new CompletionException("empty", null);
    IOException plain = new IOException("plain");

    assertThat(Futures.unwrap(empty)).isSameAs(empty);
    assertThat(Futures.unwrap(plain)).isSameAs(plain);
  }
}
