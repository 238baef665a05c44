package dev.deploy;

import dev.deploy.channel.SendEnd;
import dev.deploy.runtime.ProcessRuntime;
import java.util.concurrent.CompletableFuture;

/**
 * The sending end of a simplex, ordered, reliable channel of {@code T} values from this process to
 * {@code remote}.
 *
 * <p>Construction never blocks and does not need the remote to have its {@link Receiver} yet:
 * values sent before are delivered once it does. At most one open {@code Sender} per remote in a
 * process; after {@link #close()} a new one may be made, even with another {@code T}. Before this
 * process exits, every value {@code send} accepted is delivered and acknowledged, or the remote is
 * known to be gone. Thread safe.
 *
 * @param <T> the type of the values
 */
public final class Sender<T> implements AutoCloseable {
  private final SendEnd end;

  /**
   * Opens the channel to {@code remote}.
   *
   * @throws IllegalStateException when a Sender to {@code remote} is already open, when {@code
   *     remote} is this process, or before {@code init}
   */
  public Sender(Pid remote) {
    this.end = ProcessRuntime.get().channels().openSender(remote);
  }

  /**
   * Queues {@code value}. Returns as soon as it is queued; blocks only while the channel's buffer
   * (a window of a few hundred KiB the remote grants) is full.
   *
   * @throws ChannelException when the remote has exited ({@code EXITED}) or died ({@code LOST})
   * @throws IllegalArgumentException naming the class when the value cannot be serialised
   * @throws IllegalStateException when this Sender is closed
   */
  public void send(T value) throws ChannelException {
    try {
      end.send(value);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Receiver.interrupted(end.remote());
    }
  }

  /**
   * Like {@link #send}, without blocking: completes once the value is queued, or exceptionally with
   * the {@link ChannelException} or {@link IllegalArgumentException} send would throw.
   */
  public CompletableFuture<Void> sendAsync(T value) {
    return end.sendAsync(value);
  }

  /** Returns the pid this channel sends to. */
  public Pid remote() {
    return end.remote();
  }

  SendEnd end() {
    return end;
  }

  /** Closes this end: the remote's Receiver ends ({@code EXITED}) after the values sent before. */
  @Override
  public void close() {
    end.close();
  }

  @Override
  public String toString() {
    return "Sender to " + end.remote();
  }
}
