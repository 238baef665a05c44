package dev.deploy.io;

import dev.deploy.wire.ProtocolException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One direction of shared memory between two processes: a single-producer single-consumer ring of
 * frames ({@link Framing} layout, back to back) in a mapped file, after Agrona's {@code
 * OneToOneRingBuffer}: positions only grow, the index is a position modulo a power-of-two capacity,
 * the producer and the consumer each own one position word on its own cache lines in a trailer
 * after the data, and the producer keeps its last look at the consumer's position so it reads the
 * consumer's cache line only when the ring seems full. Unlike Agrona's ring, a record is published
 * by the tail (a release store after its bytes), so no record is zeroed after reading and the
 * producer writes a whole batch of frames before one store. A frame never crosses the end: a length
 * word of {@link #WRAP} (or fewer than {@link Framing#LENGTH} bytes left) sends the reader to the
 * start.
 *
 * <p>Two more words make waking cheap: {@link #CONSUMER_AWAKE} (0: nobody of the consumer's process
 * is looking, so a producer that publishes wakes it, once, by setting it to 1 and ringing a
 * doorbell over TCP) and {@link #PRODUCER_WAITING} (1: the producer found no room and waits for a
 * doorbell from the consumer). Each side stores its own word and then reads the other's with a full
 * fence between, so a wake-up is never missed.
 *
 * <p>Threading: the producer methods ({@link #claim}, {@link #commit}, ...) are called by one
 * thread at a time (the transport's output lock), the consumer methods ({@link #read}, {@link
 * #arm}) by one thread at a time (its input lock). The other process is trusted as far as its key
 * is (it runs as the same user), but a bad length still only closes the transport, never reads out
 * of bounds.
 */
final class ShmRing {
  /** The distance between words two processes write: two cache lines, for adjacent prefetch. */
  private static final int LINE = 128;

  /** Trailer: the producer's position (every byte before it is published). */
  private static final int TAIL = 0;

  /** Trailer: the consumer's position (every byte before it may be overwritten). */
  private static final int HEAD = LINE;

  /** Trailer: 1 while someone of the consumer's process looks, or a doorbell is on its way. */
  private static final int CONSUMER_AWAKE = 2 * LINE;

  /** Trailer: 1 while the producer waits for room. */
  private static final int PRODUCER_WAITING = 3 * LINE;

  /** Bytes after the data: the four words above. */
  static final int TRAILER = 4 * LINE;

  /** A length word that means: the rest of this lap is padding. */
  static final int WRAP = 0;

  private static final VarHandle LONG =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
  private static final VarHandle INT =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

  /** The ring's data and trailer, this ring's part of the mapping only. */
  private final ByteBuffer buffer;

  private final int capacity;
  private final int mask;

  /** The producer's view for {@link #claimView}; producer only. */
  private final ByteBuffer producerView;

  /** The consumer's view for handing out payloads; consumer only. */
  private final ByteBuffer view;

  /** Producer only: the tail it will publish next, and its last look at the head. */
  private long tail;

  private long headSeen;

  /** Consumer only: the head it read up to. */
  private long head;

  /**
   * Wraps {@code region} (position 0 at the ring's start, page-aligned): {@code capacity} bytes of
   * data, a power of two, then {@link #TRAILER}.
   */
  ShmRing(ByteBuffer region, int capacity) {
    if (Integer.bitCount(capacity) != 1 || region.capacity() != capacity + TRAILER) {
      throw new IllegalArgumentException(
          "a ring of " + capacity + " bytes in a region of " + region.capacity());
    }
    this.buffer = region;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.view = region.duplicate();
    this.producerView = region.duplicate(); // big-endian, as Framing writes
    this.tail = (long) LONG.getVolatile(buffer, capacity + TAIL);
    this.headSeen = (long) LONG.getVolatile(buffer, capacity + HEAD);
    this.head = headSeen;
  }

  /** Returns the bytes a ring of {@code capacity} takes in the file. */
  static int size(int capacity) {
    return capacity + TRAILER;
  }

  // ----------------------------------------------------------------------------- producer

  /**
   * Producer: returns a buffer over the contiguous free space at the tail (position 0 is the tail,
   * limit what is free before the end or the head), empty when nothing is free. Write whole frames
   * from position 0, then {@link #commit} how many bytes.
   */
  ByteBuffer claim() {
    int room = claimRoom();
    return buffer.slice((int) (tail & mask), room).order(ByteOrder.BIG_ENDIAN);
  }

  /** Producer: the contiguous free bytes at the tail, re-reading the head when few seem free. */
  private int claimRoom() {
    long free = capacity - (tail - headSeen);
    if (free < Framing.MAX_FRAME + Framing.LENGTH) {
      headSeen = (long) LONG.getAcquire(buffer, capacity + HEAD);
      free = capacity - (tail - headSeen);
    }
    return (int) Math.min(free, capacity - (tail & mask));
  }

  /**
   * Producer: as {@link #claim}, but the free space is the one reused view's position to limit
   * (position: the tail's index), so a claim allocates nothing; valid until the next claim. Commit
   * the bytes between the position it had and the one it has after the writes.
   */
  ByteBuffer claimView() {
    int room = claimRoom();
    int index = (int) (tail & mask);
    producerView.limit(index + room).position(index);
    return producerView;
  }

  /**
   * Producer: returns whether the space {@link #claim} gave ends at the ring's end, not the head.
   */
  boolean endsAtEnd() {
    int index = (int) (tail & mask);
    return capacity - (tail - headSeen) > capacity - index;
  }

  /**
   * Producer: pads the rest of this lap (the next frame did not fit before the end) and returns
   * whether it could; the padding is published with the next {@link #commit}.
   */
  boolean wrap() {
    int index = (int) (tail & mask);
    int toEnd = capacity - index;
    if (capacity - (tail - headSeen) < toEnd) {
      return false;
    }
    if (toEnd >= Framing.LENGTH) {
      buffer.putInt(index, WRAP);
    }
    tail += toEnd;
    return true;
  }

  /**
   * Producer: publishes {@code bytes} written at the claimed buffer (and any padding before them).
   * Returns whether the consumer's process must be woken: nobody of it was looking, and this call
   * was the one to claim the wake-up.
   */
  boolean commit(int bytes) {
    tail += bytes;
    LONG.setRelease(buffer, capacity + TAIL, tail);
    VarHandle.fullFence(); // the tail before the look at CONSUMER_AWAKE (its side: the reverse)
    return (int) INT.getVolatile(buffer, capacity + CONSUMER_AWAKE) == 0
        && INT.compareAndSet(buffer, capacity + CONSUMER_AWAKE, 0, 1);
  }

  /**
   * Producer: no room for the next frame; asks the consumer to ring when it frees some. Returns
   * true when room came meanwhile (then no ring will come: try again).
   */
  boolean awaitRoom() {
    INT.setVolatile(buffer, capacity + PRODUCER_WAITING, 1);
    long before = headSeen;
    headSeen = (long) LONG.getVolatile(buffer, capacity + HEAD);
    return headSeen != before;
  }

  /** Producer: returns whether everything published was read. */
  boolean empty() {
    return (long) LONG.getVolatile(buffer, capacity + HEAD) == tail;
  }

  // ----------------------------------------------------------------------------- consumer

  /** What the consumer hands each frame to; {@code payload} is valid only during the call. */
  interface Frames {
    void onFrame(int type, ByteBuffer payload) throws java.io.IOException;
  }

  /**
   * Consumer: hands every published frame to {@code frames}, freeing each one's space after its
   * call. Returns how many frames there were, with bit 31 set ({@link #WAKE_PRODUCER}) when the
   * producer waits for room and this call claimed waking it.
   *
   * @throws ProtocolException when a length word is out of bounds (the transport then closes)
   */
  int read(Frames frames) throws java.io.IOException {
    long published = (long) LONG.getAcquire(buffer, capacity + TAIL);
    if (published == head) {
      return 0;
    }
    if (published - head > capacity || published - head < 0) {
      throw new ProtocolException(
          "the shared ring's tail " + published + " is outside " + head + ".." + (head + capacity));
    }
    int count = 0;
    while (head != published) {
      int index = (int) (head & mask);
      int toEnd = capacity - index;
      if (toEnd < Framing.LENGTH || buffer.getInt(index) == WRAP) {
        head += toEnd;
        continue;
      }
      int length = buffer.getInt(index);
      if (length < Framing.TYPE
          || length > Framing.MAX_FRAME
          || Framing.LENGTH + length > toEnd
          || Framing.LENGTH + length > published - head) {
        throw new ProtocolException(
            "a frame length "
                + Integer.toUnsignedString(length)
                + " in the shared ring at "
                + index
                + " is out of bounds");
      }
      int type = buffer.get(index + Framing.LENGTH) & 0xFF;
      int start = index + Framing.HEADER;
      view.limit(start + length - Framing.TYPE).position(start);
      frames.onFrame(type, view);
      view.clear();
      head += Framing.LENGTH + length;
      LONG.setRelease(buffer, capacity + HEAD, head);
      count++;
    }
    VarHandle.fullFence(); // the head before the look at PRODUCER_WAITING (its side: the reverse)
    if ((int) INT.getVolatile(buffer, capacity + PRODUCER_WAITING) == 1
        && INT.compareAndSet(buffer, capacity + PRODUCER_WAITING, 1, 0)) {
      count |= WAKE_PRODUCER;
    }
    return count;
  }

  /** Bit of {@link #read}'s answer: the caller must ring the producer's doorbell. */
  static final int WAKE_PRODUCER = 1 << 31;

  /** Consumer: someone looks at the ring now (a receiver spins): producers need not wake us. */
  void awake() {
    INT.setVolatile(buffer, capacity + CONSUMER_AWAKE, 1);
  }

  /**
   * Consumer: nobody will look until woken; returns whether frames were published meanwhile (then
   * read them: the producer may not ring for them).
   */
  boolean arm() {
    INT.setVolatile(buffer, capacity + CONSUMER_AWAKE, 0);
    return (long) LONG.getVolatile(buffer, capacity + TAIL) != head;
  }
}
