package dev.deploy.util;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Requests sent and waiting for their reply, each a future by request id: the table every
 * request/reply protocol of deploy keeps. The sender takes an id ({@link #newId}), registers it
 * ({@link #expect}) before sending, and {@link #forget}s it when the send fails; the reader
 * completes it by the id the reply carries ({@link #complete}); the end of the connection fails or
 * settles all ({@link #failAll}, {@link #completeAll}). A reply for an unknown or already answered
 * id is ignored.
 *
 * <p>Thread safe: any thread may call any method.
 *
 * @param <T> what a reply completes the future with
 */
public final class PendingRequests<T> {
  private final AtomicLong ids = new AtomicLong();

  /** The futures of requests without a reply yet, by request id. */
  private final Map<Long, CompletableFuture<T>> waiting = new ConcurrentHashMap<>();

  /** Returns a new request id: 1, 2, ... */
  public long newId() {
    return ids.incrementAndGet();
  }

  /** Registers request {@code id} and returns the future its reply completes. */
  public CompletableFuture<T> expect(long id) {
    CompletableFuture<T> reply = new CompletableFuture<>();
    waiting.put(id, reply);
    return reply;
  }

  /**
   * Completes request {@code id} with {@code value} and forgets it.
   *
   * @return false when no request {@code id} waits (unknown, answered, or forgotten)
   */
  public boolean complete(long id, T value) {
    CompletableFuture<T> f = waiting.remove(id);
    return f != null && f.complete(value);
  }

  /**
   * Forgets request {@code id} (its send failed) and fails its future with {@code why}.
   *
   * @return false when no request {@code id} waits
   */
  public boolean forget(long id, Throwable why) {
    CompletableFuture<T> f = waiting.remove(id);
    return f != null && f.completeExceptionally(why);
  }

  /**
   * Forgets request {@code id} (its send failed) and completes its future with {@code value}.
   *
   * @return false when no request {@code id} waits
   */
  public boolean forget(long id, T value) {
    return complete(id, value);
  }

  /** Fails every waiting request with {@code why} and forgets them all. */
  public void failAll(Throwable why) {
    for (CompletableFuture<T> f : drain()) {
      f.completeExceptionally(why);
    }
  }

  /** Completes every waiting request with {@code value} and forgets them all. */
  public void completeAll(T value) {
    for (CompletableFuture<T> f : drain()) {
      f.complete(value);
    }
  }

  /** Returns how many requests wait for their reply. */
  public int size() {
    return waiting.size();
  }

  private List<CompletableFuture<T>> drain() {
    List<CompletableFuture<T>> out = new ArrayList<>();
    for (Long id : new ArrayList<>(waiting.keySet())) {
      CompletableFuture<T> f = waiting.remove(id);
      if (f != null) {
        out.add(f);
      }
    }
    return out;
  }
}
