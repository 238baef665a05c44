package dev.deploy.ui;

import java.util.Arrays;

/**
 * The last {@code capacity} bytes of one output stream of one process, and how many it wrote in
 * all: byte {@code i} of the stream (counting from 0) is kept while {@code i >= total - capacity}.
 * The buffer grows as output comes, up to its capacity, so a quiet process costs a few bytes.
 *
 * <p>Not thread safe: {@code RunView} calls it under its lock.
 */
final class OutputTail {
  /** The most bytes kept; only ever lowered. */
  private int capacity;

  /** A ring once full; before that, bytes 0..total-1 in order. Length grows to capacity. */
  private byte[] ring = new byte[0];

  /** Bytes written to the stream in all. */
  private long total;

  OutputTail(int capacity) {
    this.capacity = capacity;
  }

  /** Keeps only the last {@code bytes} from now on (an ended process's smaller share). */
  void shrink(int bytes) {
    if (bytes >= capacity) {
      return;
    }
    Slice last = read(-1, -1, bytes);
    long end = total;
    capacity = bytes;
    ring = new byte[bytes];
    total = last.start();
    append(last.bytes());
    assert total == end;
  }

  /** Returns how many bytes the stream had in all. */
  long total() {
    return total;
  }

  /** Returns the offset of the oldest byte kept. */
  long start() {
    return Math.max(0, total - capacity);
  }

  /** Appends {@code data}. */
  void append(byte[] data) {
    int n = data.length;
    if (n == 0) {
      return;
    }
    if (ring.length < capacity) {
      long wanted = Math.min(capacity, Math.max(total + n, Math.min(capacity, ring.length * 2L)));
      if (wanted > ring.length) {
        ring = Arrays.copyOf(ring, (int) wanted);
      }
    }
    int from = n > capacity ? n - capacity : 0;
    for (int i = from; i < n; i++) {
      ring[(int) ((total + i) % ring.length)] = data[i];
    }
    total += n;
  }

  /**
   * Returns the bytes from offset {@code from} to {@code until} (each clamped to what is kept), at
   * most {@code max} of them, counted from {@code from}'s end when {@code from} is negative (the
   * last {@code max} bytes). The first element of the result is the offset of the first byte.
   */
  Slice read(long from, long until, int max) {
    long end = Math.min(until < 0 ? total : until, total);
    long begin = from < 0 ? end - max : from;
    begin = Math.max(begin, start());
    end = Math.max(begin, Math.min(end, begin + max));
    byte[] out = new byte[(int) (end - begin)];
    for (int i = 0; i < out.length; i++) {
      out[i] = ring[(int) ((begin + i) % ring.length)];
    }
    return new Slice(begin, out);
  }

  /** Bytes of a stream starting at offset {@code start}. */
  record Slice(long start, byte[] bytes) {}
}
