package dev.deploy.bridge;

import java.io.IOException;

/**
 * Prints the bridge's events in one of docs/api.md's output formats ({@link HumanFormat}, {@link
 * JsonFormat}).
 *
 * <p>The bridge owns one format per run and calls {@link #write} for each event in event order,
 * from one thread at a time (under its lock); implementations are not thread safe. Written bytes
 * may stay buffered until {@link #flush}, which the bridge calls whenever it has no further event
 * at hand and at the end of the run.
 */
public interface EventFormat {
  /**
   * Prints {@code event}.
   *
   * @throws IOException if the underlying stream fails
   */
  void write(Event event) throws IOException;

  /**
   * Pushes everything written so far to the underlying streams and flushes them.
   *
   * @throws IOException if the underlying stream fails
   */
  void flush() throws IOException;
}
