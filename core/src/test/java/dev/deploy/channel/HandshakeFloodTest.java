package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.io.Connection;
import dev.deploy.security.Handshake;
import dev.deploy.security.HandshakeQuota;
import dev.deploy.testing.LoopbackTables;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Whoever reaches a table's port without the key costs it little: at most {@link
 * HandshakeQuota#MAX_PER_SOURCE} connections per address and {@link HandshakeQuota#MAX_IN_FLIGHT}
 * in all are in their handshake (a new one drops the oldest), each holding a few hundred bytes of
 * heap and no direct memory; and a flood of short, silent and random-byte connections neither stops
 * two tables' exchange nor the port's accepting. Attackers come from other loopback addresses
 * (127.0.0.2 and up), so the per-address cap tells them from the tables on 127.0.0.1.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HandshakeFloodTest {
  /** Bytes of buffer one unauthenticated connection may hold: "a few hundred". */
  private static final int BUFFER_PER_CONNECTION = 2 * (Handshake.MAX_HELLO + Handshake.PROOF);

  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final LoopbackTables tables = new LoopbackTables();

  @AfterEach
  void tearDown() throws Exception {
    threads.shutdownNow();
    for (Socket s : sockets) {
      s.close();
    }
    threads.awaitTermination(5, TimeUnit.SECONDS);
    tables.close();
  }

  @Test
  void givenSilentConnectionsFromManyAddresses_whenAccepted_thenCappedAndFewBytesEach()
      throws Exception {
    LoopbackTables.Table target = tables.add();
    long directBefore = directMemoryUsed();
    int sources = 12;
    int perSource = 25; // 300 in all, over the cap of 256
    List<Socket> all = new ArrayList<>();
    for (int s = 0; s < sources; s++) {
      for (int i = 0; i < perSource; i++) {
        all.add(connect(attacker(10 + s), target.address()));
      }
    }
    for (Socket s : all) {
      readHello(s); // every one was accepted (the hello goes out at accept)
    }

    int cap = HandshakeQuota.MAX_IN_FLIGHT;
    assertThat(target.openConnections()).as("sockets the table holds").isLessThanOrEqualTo(cap);
    HandshakeQuota<Connection> pending = pending(target);
    int inHandshake = TableProbe.onLoop(target.loop(), pending::size);
    long bytes =
        TableProbe.onLoop(
            target.loop(),
            () -> {
              long n = 0;
              for (Connection c : pending.inFlight()) {
                n += c.bufferBytes();
              }
              return n;
            });
    assertThat(inHandshake).as("connections in their handshake").isLessThanOrEqualTo(cap);
    for (int s = 0; s < sources; s++) {
      InetAddress a = attacker(10 + s);
      assertThat(TableProbe.onLoop(target.loop(), () -> pending.from(a)))
          .as("connections in their handshake from %s", a)
          .isLessThanOrEqualTo(perSource);
    }
    assertThat(bytes).as("their buffers").isLessThanOrEqualTo((long) cap * BUFFER_PER_CONNECTION);
    assertThat(directMemoryUsed() - directBefore)
        .as("direct memory the %d connections cost", sources * perSource)
        .isLessThan(256 << 10);
    assertExchange(tables.add(), target, 1); // a table still gets in
  }

  @Test
  void givenEightSlowConnectionsFromOneAddress_whenANinthArrives_thenTheOldestIsDropped()
      throws Exception {
    dev.deploy.testing.ManualClock clock = new dev.deploy.testing.ManualClock();
    LoopbackTables.Table target = tables.add(LoopbackTables.spec().clock(clock));
    List<Socket> nine = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Socket s = connect(attacker(2), target.address());
      readHello(s);
      nine.add(s);
    }
    clock.advance(java.time.Duration.ofSeconds(2)); // past the grace: slow ones now
    target.wake();

    Socket ninth = connect(attacker(2), target.address());
    readHello(ninth);
    nine.add(ninth);

    assertThat(dropped(nine.get(0))).as("the oldest").isTrue();
    for (Socket s : nine.subList(1, 9)) {
      assertThat(stillOpen(s)).as("a newer one").isTrue();
    }
  }

  /** Many processes of one machine dial one process at once: a burst of young ones is let be. */
  @Test
  void givenTwentyYoungConnectionsFromOneAddress_whenAccepted_thenNoneIsDropped() throws Exception {
    LoopbackTables.Table target = tables.add();
    List<Socket> twenty = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Socket s = connect(attacker(2), target.address());
      readHello(s);
      twenty.add(s);
    }

    for (Socket s : twenty) {
      assertThat(stillOpen(s)).isTrue();
    }
  }

  @Test
  void
      givenFloodOfShortSilentAndRandomConnections_whenTwoTablesExchange_thenAllArriveAndPortAccepts()
          throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    InetAddress from = attacker(2);
    AtomicBoolean flooding = new AtomicBoolean(true);
    AtomicInteger shortOnes = new AtomicInteger();
    List<Future<?>> flood = new ArrayList<>();
    for (LoopbackTables.Table t : List.of(a, b)) {
      for (int i = 0; i < 4; i++) {
        Socket holder = connect(from, t.address());
        holder
            .getOutputStream()
            .write(new byte[] {0x7f, -1, -1, -1, (byte) new Random().nextInt()});
      }
      flood.add(
          threads.submit(
              () -> {
                shortConnections(from, t.address(), 2_500, shortOnes);
                return null;
              }));
      flood.add(
          threads.submit(
              () -> {
                randomBytes(from, t.address(), flooding);
                return null;
              }));
    }
    await().until(() -> shortOnes.get() >= 500); // the flood is on

    assertExchange(a, b, 1_000);

    flooding.set(false);
    for (Future<?> f : flood) {
      f.get(20, TimeUnit.SECONDS);
    }
    assertThat(shortOnes.get()).as("short connections").isEqualTo(5_000);
    readHello(connect(from, b.address())); // the port still accepts
    assertExchange(tables.add(), b, 10);
  }

  /** Sends {@code count} values each way between {@code x} and {@code y} and checks every one. */
  private void assertExchange(LoopbackTables.Table x, LoopbackTables.Table y, int count)
      throws Exception {
    SendEnd xOut = x.table().openSender(y.pid());
    ReceiveEnd yIn = y.table().openReceiver(x.pid());
    SendEnd yOut = y.table().openSender(x.pid());
    ReceiveEnd xIn = x.table().openReceiver(y.pid());
    CompletableFuture<Void> back =
        CompletableFuture.runAsync(
            () -> {
              try {
                for (int i = 0; i < count; i++) {
                  yOut.send("back " + i);
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            threads);
    for (int i = 0; i < count; i++) {
      xOut.send("there " + i);
    }
    for (int i = 0; i < count; i++) {
      assertThat(ChannelDeliveryTest.recv(yIn)).isEqualTo("there " + i);
      assertThat(ChannelDeliveryTest.recv(xIn)).isEqualTo("back " + i);
    }
    back.get(10, TimeUnit.SECONDS);
    xOut.close();
    yOut.close();
  }

  private static void shortConnections(
      InetAddress from, InetSocketAddress to, int count, AtomicInteger done) throws IOException {
    for (int i = 0; i < count; i++) {
      try (Socket s = new Socket()) {
        s.bind(new InetSocketAddress(from, 0));
        s.connect(to, 5_000);
        if (i % 4 != 0) {
          s.setSoLinger(true, 0); // a reset: no TIME_WAIT left behind on this machine
        }
      }
      done.incrementAndGet();
    }
  }

  private static void randomBytes(InetAddress from, InetSocketAddress to, AtomicBoolean flooding)
      throws IOException {
    Random random = new Random(42);
    byte[] bytes = new byte[64 << 10];
    int sent = 0;
    while (flooding.get() || sent < 20) {
      try (Socket s = new Socket()) {
        s.bind(new InetSocketAddress(from, 0));
        s.connect(to, 5_000);
        s.setSoLinger(true, 0);
        random.nextBytes(bytes);
        s.getOutputStream().write(bytes);
      } catch (IOException dropped) {
        // The table hung up mid-write: what it should do.
      }
      sent++;
    }
  }

  private Socket connect(InetAddress from, InetSocketAddress to) throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.bind(new InetSocketAddress(from, 0));
    s.connect(to, 5_000);
    s.setSoTimeout(5_000);
    return s;
  }

  /** Returns 127.0.0.{@code n}; skips the test where it cannot be a source address. */
  private static InetAddress attacker(int n) throws IOException {
    InetAddress a = InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) n});
    try (Socket probe = new Socket()) {
      probe.bind(new InetSocketAddress(a, 0));
    } catch (IOException e) {
      Assumptions.abort("cannot bind to " + a + " here, so no second source address: " + e);
    }
    return a;
  }

  private static void readHello(Socket s) throws IOException {
    byte[] hello = s.getInputStream().readNBytes(Handshake.HEADER);
    assertThat(hello).as("the table's hello").hasSize(Handshake.HEADER);
  }

  /** Returns whether the table closed {@code s} (after its hello, already read). */
  private static boolean dropped(Socket s) {
    try {
      s.setSoTimeout(5_000);
      return s.getInputStream().read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  /** Returns whether {@code s} is still open on the table's side, waiting for its handshake. */
  private static boolean stillOpen(Socket s) throws IOException {
    s.setSoTimeout(100);
    try {
      InputStream in = s.getInputStream();
      return in.read() >= 0; // a byte would be a protocol surprise; still open anyway
    } catch (SocketTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @SuppressWarnings("unchecked")
  private static HandshakeQuota<Connection> pending(LoopbackTables.Table t) {
    return (HandshakeQuota<Connection>)
        TableProbe.field(ChannelTable.class, "handshakes", t.table());
  }

  private static long directMemoryUsed() {
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        return pool.getMemoryUsed();
      }
    }
    return 0;
  }
}
