package dev.deploy.io;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * What carries one pair of processes' frames ({@link Framing}) once the handshake proved the key: a
 * TCP {@link Connection}, or shared memory beside one ({@link ShmTransport}). The channel protocol
 * (ordering, credit, acknowledgements, goodbye, fates) is written once against this interface; a
 * transport only moves whole frames in order, both ways, and says when it ended.
 *
 * <p>Pull model: the transport asks its {@link Listener} to {@link Listener#fill fill} a buffer
 * with whole frames whenever it can write, and hands it every frame that arrives. Methods say which
 * thread may call them.
 */
public interface Transport {
  /** Returns the state; frames flow only while {@link Connection.State#OPEN}. */
  Connection.State state();

  /** Sets the listener that fills this transport's writes and gets its frames. */
  void carry(Listener listener);

  /** Sets a name for logs. */
  void name(String name);

  /** Returns the remote's address, or null. */
  SocketAddress remoteAddress();

  /** Loop thread: writes what the listener has to send. */
  void flush();

  /**
   * Any thread: writes what the listener has now without waiting for a lock; returns whether it did
   * (else the caller asks the loop to {@link #flush}).
   */
  boolean flushFromCaller();

  /**
   * Loop thread: writes one small frame ahead of anything the listener has, as soon as there is
   * room; never lost while the transport is open.
   */
  void sendFrame(int type, byte[] payload);

  /**
   * Returns whether a write costs no system call, so a sender writes through even right after its
   * last send (TCP: false; back-to-back sends are left to the loop, which batches them).
   */
  default boolean writesThrough() {
    return false;
  }

  /** Returns whether everything handed to the transport has left this process. */
  boolean drained();

  /** Loop thread: closes the transport; the listener hears {@code onClosed(null)}. */
  void close();

  /**
   * Loop thread: closes after the remote does, for the side that sent the last frame of an agreed
   * close: ends this side's writing once what was written went out, reads and drops what the remote
   * still sends until it closes too, and closes anyway after {@code boundNanos}. By default, {@link
   * #close}.
   */
  default void closeAfterRemote(long boundNanos) {
    close();
  }

  /**
   * Any thread: hands the listener the frames that arrived without the I/O loop's help (shared
   * memory), if no other thread is doing so; returns whether any came. A receiver that spins calls
   * this, so a value goes from the remote's memory to it with no thread in between. TCP: false.
   */
  default boolean poll() {
    return false;
  }

  /**
   * Any thread: a receiver that polled is about to park (or stops spinning); the remote must wake
   * this side for the next frame. No-op for TCP, where the I/O loop always watches the socket.
   */
  default void parking() {}

  /**
   * Any thread: a receiver spins, calling {@link #poll}; the remote need not wake this side.
   * Returns whether polling can find frames at all (false for TCP: spinning on the socket is the
   * loop's).
   */
  default boolean spinning() {
    return false;
  }

  /** What a transport tells the protocol above it. */
  interface Listener {
    /**
     * A frame arrived; {@code payload} is valid only during the call. On the loop thread, or on a
     * thread in {@link Transport#poll}; never two at once.
     */
    void onFrame(Transport t, int type, ByteBuffer payload) throws IOException;

    /** Frames arrived; a good moment to schedule acknowledgements. Loop thread. */
    void onReadRound(Transport t);

    /** Once a second while open, at {@code now} on the loop's clock. Loop thread. */
    default void onTick(Transport t, long now) {}

    /**
     * Put as many whole frames as fit into {@code out}; called when the transport can write, on
     * whichever thread writes (the loop, or a sender in {@link Transport#flushFromCaller}).
     */
    void fill(Transport t, ByteBuffer out);

    /**
     * The transport ended, after every frame that arrived was handed over: {@code cause} is null
     * when this side closed it, else why. Loop thread.
     */
    void onClosed(Transport t, IOException cause);
  }
}
