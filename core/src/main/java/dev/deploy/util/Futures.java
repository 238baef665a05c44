package dev.deploy.util;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What {@code CompletableFuture} callers each wrote again. Stateless; any thread may call it. */
public final class Futures {
  private Futures() {}

  /**
   * Returns the error a future failed with: {@code error} without its {@link CompletionException}
   * and {@link ExecutionException} wrappers (those with a cause), however deep; {@code error}
   * itself when it is no such wrapper.
   */
  public static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
