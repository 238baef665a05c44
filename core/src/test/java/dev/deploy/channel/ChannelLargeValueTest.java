package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.testing.LoopbackTables;
import dev.deploy.wire.Frame;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Large {@code byte[]} values: a blocking send lends the caller's array instead of copying it and
 * returns once it is copied out, so the caller may reuse it at once, even when interrupted while
 * lent; and the receiver's window grows while its reader keeps up with a stream of large values,
 * and shrinks back, within its bound, when the reader stops.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChannelLargeValueTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int MIB = 1 << 20;

  private final LoopbackTables tables = new LoopbackTables();
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private ServerSocketChannel server;
  private RawPeer raw;

  @AfterEach
  void tearDown() throws Exception {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).as("test threads ended").isTrue();
    if (raw != null) {
      raw.close();
    }
    if (server != null) {
      server.close();
    }
    tables.close();
  }

  @Test
  void givenOneArrayReusedForEverySend_whenStreamed_thenEachValueArrivesAsItWasWhenSent()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    int count = 40;
    Future<?> sending =
        threads.submit(
            () -> {
              byte[] reused = new byte[MIB + 7]; // not a whole number of chunks
              for (int i = 0; i < count; i++) {
                Arrays.fill(reused, (byte) i); // rewritten as soon as the last send returned
                out.send(reused);
              }
              return null;
            });

    for (int i = 0; i < count; i++) {
      byte[] value = (byte[]) ChannelDeliveryTest.recv(in);
      assertThat(value).hasSize(MIB + 7);
      assertThat(allEqual(value, (byte) i)).as("every byte of value %d is %d", i, i).isTrue();
    }
    sending.get(5, TimeUnit.SECONDS);
  }

  @Test
  void givenConnectionNotOpenYet_whenLargeArraySent_thenReturnsAtOnceAndDeliversItAsSent()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    Pid remote = fakeRemote();
    SendEnd out = a.table().openSender(remote);
    byte[] array = filled(MIB, 7);
    raw = RawPeer.accept(server); // dialled, not authenticated: nothing could copy the array out

    Future<?> sending = threads.submit(() -> sendAndOverwrite(out, array));

    sending.get(5, TimeUnit.SECONDS); // copied, not lent: no wait for the handshake
    handshakeAndAccept();
    assertAllBytes(readRawValue(raw), MIB, 7);
  }

  @Test
  void givenRemoteThatDoesNotRead_whenLargeArraySent_thenSendCopiesItAndReturns() throws Exception {
    SendEnd out = senderToAcceptedRemote();
    int size = 64 << 20; // far more than the socket buffers hold while nobody reads
    byte[] array = filled(size, 7);

    Future<?> sending = threads.submit(() -> sendAndOverwrite(out, array));

    sending.get(10, TimeUnit.SECONDS); // lent for 10 ms, then copied
    assertAllBytes(readRawValue(raw), size, 7);
  }

  @Test
  void givenInterruptedThread_whenLargeArraySent_thenAcceptedInterruptKeptAndValueAsSent()
      throws Exception {
    SendEnd out = senderToAcceptedRemote();
    int size = 64 << 20;
    byte[] array = filled(size, 7);

    Future<Boolean> sending =
        threads.submit(
            () -> {
              Thread.currentThread().interrupt();
              sendAndOverwrite(out, array);
              return Thread.interrupted();
            });

    assertThat(sending.get(10, TimeUnit.SECONDS)).as("interrupt still set after send").isTrue();
    assertAllBytes(readRawValue(raw), size, 7);
  }

  @Test
  void givenRemoteSaysGoodbyeWhileArrayIsLent_whenSendReturns_thenTheArrayIsNoLongerRead()
      throws Exception {
    SendEnd out = senderToAcceptedRemote();
    int size = 64 << 20;
    byte[] array = filled(size, 7);
    Future<?> sending = threads.submit(() -> sendAndOverwrite(out, array));
    Frame first = raw.readFrame(); // the value is on its way: accepted, lent or already copied

    raw.frame(Frames.GOODBYE, new byte[0]);

    sending.get(10, TimeUnit.SECONDS);
    // Whatever the loop still writes of the value comes from a copy, never the reused array.
    assertAllBytes(readRawValue(raw, first), size, 7);
  }

  @Test
  void givenReaderKeepingUp_whenItStops_thenWindowGrewAndQueueStaysWithinItAndItShrinksBack()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    byte[] value = new byte[MIB];
    // One at a time, each taken before the next is sent: the reader keeps up.
    for (int i = 0; i < 6; i++) {
      out.send(value);
      ChannelDeliveryTest.recv(in);
    }
    assertThat(window(b, a.pid())).as("the grown window").isEqualTo(Peer.MAX_WINDOW);

    AtomicInteger accepted = new AtomicInteger();
    AtomicReference<Thread> sender = new AtomicReference<>();
    int total = 12;
    Future<?> sending =
        threads.submit(
            () -> {
              sender.set(Thread.currentThread());
              for (int i = 0; i < total; i++) {
                out.send(value);
                accepted.incrementAndGet();
              }
              return null;
            });
    // The grown window's worth, and one more that may start while credit is left.
    int allowed = Peer.MAX_WINDOW / MIB + 1;
    await()
        .atMost(WAIT)
        .until(
            () ->
                sender.get() != null
                    && sender.get().getState() == Thread.State.WAITING
                    && accepted.get() == allowed
                    && TableProbe.queuedBytes(b.table(), a.pid()) == (long) allowed * MIB);
    await()
        .during(Duration.ofMillis(300))
        .atMost(WAIT)
        .until(
            () ->
                accepted.get() == allowed
                    && TableProbe.queuedBytes(b.table(), a.pid()) <= Peer.MAX_WINDOW + 2L * MIB);

    ChannelDeliveryTest.recv(in); // a whole window waits: the reader is behind
    assertThat(window(b, a.pid())).as("the window after a take behind").isLessThan(Peer.MAX_WINDOW);
    for (int i = 1; i < total; i++) {
      ChannelDeliveryTest.recv(in);
    }
    sending.get(5, TimeUnit.SECONDS);
    assertThat(accepted).hasValue(total);
  }

  @Test
  void givenSmallValuesOnly_whenReaderKeepsUp_thenWindowStaysAtItsStart() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    byte[] value = new byte[Frames.CHUNK - 1];
    for (int i = 0; i < 40; i++) {
      out.send(value);
      ChannelDeliveryTest.recv(in);
    }
    assertThat(window(b, a.pid())).isEqualTo(Peer.WINDOW);
  }

  // ---------------------------------------------------------------- helpers

  /** A pid at a port this test listens on; the table dials it (its key orders below). */
  private Pid fakeRemote() throws Exception {
    server = ServerSocketChannel.open().bind(new InetSocketAddress(LoopbackTables.LOOPBACK, 0));
    int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
    return Pid.of(LoopbackTables.LOOPBACK.getAddress(), port, 77);
  }

  /**
   * Returns a Sender whose connection is open, to a remote this test plays by hand ({@link #raw}),
   * which reads only when the test does.
   */
  private SendEnd senderToAcceptedRemote() throws Exception {
    LoopbackTables.Table a = tables.add();
    Pid remote = fakeRemote();
    SendEnd out = a.table().openSender(remote);
    raw = RawPeer.accept(server);
    handshakeAndAccept();
    await().atMost(WAIT).until(() -> TableProbe.peer(a.table(), remote).lendable());
    return out;
  }

  /** Plays the dialled side: authenticates, reads IDENT, answers ACCEPT. */
  private void handshakeAndAccept() throws Exception {
    raw.handshake(tables.key(), false);
    assertThat(raw.readFrameAfterOffer().type())
        .as("the dialler's first frame after any shared-memory offer")
        .isEqualTo(Frames.IDENT);
    raw.acceptFrame();
  }

  /** Sends {@code array}, then overwrites it with 9s, as a caller reusing its array would. */
  private static Void sendAndOverwrite(SendEnd out, byte[] array) throws Exception {
    out.send(array);
    Arrays.fill(array, (byte) 9);
    return null;
  }

  private static byte[] filled(int size, int b) {
    byte[] array = new byte[size];
    Arrays.fill(array, (byte) b);
    return array;
  }

  private static void assertAllBytes(byte[] value, int size, int b) {
    assertThat(value).hasSize(size);
    assertThat(allEqual(value, (byte) b)).as("every byte is %d, as when sent", b).isTrue();
  }

  /** Reads DATA frames up to the one marked LAST and returns the raw value they carry. */
  private static byte[] readRawValue(RawPeer raw) throws Exception {
    return readRawValue(raw, null);
  }

  /** The same, starting with {@code first} when the first frame was read already. */
  private static byte[] readRawValue(RawPeer raw, Frame first) throws Exception {
    ByteBuffer value = null;
    while (true) {
      Frame f = first != null ? first : raw.readFrame();
      first = null;
      if (f.type() != Frames.DATA) {
        continue;
      }
      ByteBuffer p = ByteBuffer.wrap(f.payload());
      int flags = p.get();
      assertThat(flags & Frames.RAW).as("a byte[] carried as is").isNotZero();
      if ((flags & Frames.FIRST) != 0) {
        value = ByteBuffer.allocate((flags & Frames.LAST) != 0 ? p.remaining() : p.getInt());
      }
      value.put(p);
      if ((flags & Frames.LAST) != 0) {
        return value.array();
      }
    }
  }

  private static boolean allEqual(byte[] bytes, byte b) {
    for (byte x : bytes) {
      if (x != b) {
        return false;
      }
    }
    return true;
  }

  /** Returns the window {@code t} grants {@code remote} now. */
  private static long window(LoopbackTables.Table t, Pid remote) throws Exception {
    Peer p = TableProbe.peer(t.table(), remote);
    Field f = Peer.class.getDeclaredField("window");
    f.setAccessible(true);
    p.lock.lock();
    try {
      return f.getLong(p);
    } finally {
      p.lock.unlock();
    }
  }
}
