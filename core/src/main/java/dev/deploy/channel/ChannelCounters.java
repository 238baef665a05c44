package dev.deploy.channel;

import java.util.concurrent.atomic.LongAdder;

/**
 * Values and bytes this process's channels sent and received, since it started: a value counts as
 * sent when a Sender queued it, as received when a Receiver took it; bytes are the value's encoded
 * size (a {@code byte[]} sent as is: its length). Reported to the fabric for {@code /metrics}.
 *
 * <p>Thread safe: senders and receivers add concurrently (a {@link LongAdder} each), any thread
 * reads.
 */
public final class ChannelCounters {
  private final LongAdder valuesSent = new LongAdder();
  private final LongAdder bytesSent = new LongAdder();
  private final LongAdder valuesReceived = new LongAdder();
  private final LongAdder bytesReceived = new LongAdder();

  /** A value of {@code bytes} was queued for sending. */
  void sent(int bytes) {
    valuesSent.increment();
    bytesSent.add(bytes);
  }

  /** A value of {@code bytes} was taken by a Receiver. */
  void received(int bytes) {
    valuesReceived.increment();
    bytesReceived.add(bytes);
  }

  /** Returns {values sent, bytes sent, values received, bytes received} now. */
  public long[] totals() {
    return new long[] {
      valuesSent.sum(), bytesSent.sum(), valuesReceived.sum(), bytesReceived.sum()
    };
  }
}
