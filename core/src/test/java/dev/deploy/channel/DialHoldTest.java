package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.testing.LoopbackTables;
import dev.deploy.testing.ManualClock;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A first dial waits while an accepted connection has not said whose it is: it may be the remote's
 * own (a spawned task's first send to its parent, while the parent's Receiver is dialling it), and
 * two handshakes on busy cores, one then dropped by the tie-break, cost the first value ~5 ms. The
 * wait ends when that connection identifies itself or ends, or after {@link
 * ChannelTable#HOLD_DIAL_NANOS} on the loop's clock (a manual one here, so nothing is timed).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DialHoldTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final LoopbackTables tables = new LoopbackTables();
  private final ManualClock clock = new ManualClock();
  private LoopbackTables.Table a;

  /** The port of a remote "B" that never answers: a dial to it shows in its backlog. */
  private ServerSocketChannel bPort;

  /** B's pid: its key is small, so A (a random key) never rejects B's connection in a tie-break. */
  private Pid b;

  @BeforeEach
  void setUp() throws Exception {
    a = tables.add(LoopbackTables.spec().clock(clock));
    bPort = ServerSocketChannel.open().bind(new InetSocketAddress(LoopbackTables.LOOPBACK, 0));
    bPort.configureBlocking(false);
    b =
        Pid.of(
            LoopbackTables.LOOPBACK.getAddress(),
            ((InetSocketAddress) bPort.getLocalAddress()).getPort(),
            7);
  }

  @AfterEach
  void tearDown() throws Exception {
    bPort.close();
    tables.close();
  }

  @Test
  void givenAnAcceptedConnectionNotYetIdentified_whenASenderOpens_thenItTakesThatOneAndNeverDials()
      throws Exception {
    try (RawPeer fromB = RawPeer.connect(a.pid()).handshake(tables.key(), true)) {
      a.table().openSender(b);
      fromB.ident(b);

      assertThat(fromB.readFrame().type()).as("A's answer to B's IDENT").isEqualTo(Frames.ACCEPT);
      TableProbe.Link link = TableProbe.link(a.table(), a.loop(), b);
      assertThat(link).as("A's connection with B").isNotNull();
      assertThat(link.remote()).as("B's own connection").isEqualTo(fromB.localAddress());
      assertThat(TableProbe.dialling(a.table(), a.loop(), b)).isFalse();
      assertThat(bPort.accept()).as("a connection A dialled to B").isNull();
    }
  }

  @Test
  void givenTheAcceptedConnectionEndsUnidentified_whenTheSenderWaits_thenItDialsAtOnce()
      throws Exception {
    RawPeer stranger = RawPeer.connect(a.pid()).handshake(tables.key(), true);
    a.table().openSender(b);
    stranger.close();

    bPort.configureBlocking(true);
    try (RawPeer dialled = RawPeer.accept(bPort)) {
      assertThat(dialled.localAddress()).isNotNull(); // the clock never moved
    }
  }

  @Test
  void givenTheAcceptedConnectionStaysSilent_whenTheHoldPasses_thenItDials() throws Exception {
    try (RawPeer silent = RawPeer.connect(a.pid())) {
      await()
          .atMost(WAIT)
          .until(() -> TableProbe.onLoop(a.loop(), () -> unidentified(a.table())) == 1);
      a.table().openSender(b);
      TableProbe.onLoop(a.loop(), () -> 0); // the dial was looked at, and held
      assertThat(bPort.accept()).as("dialled while held").isNull();

      clock.advance(Duration.ofNanos(ChannelTable.HOLD_DIAL_NANOS));
      a.wake();

      bPort.configureBlocking(true);
      try (RawPeer dialled = RawPeer.accept(bPort)) {
        assertThat(dialled.localAddress()).isNotNull();
      }
    }
  }

  private static int unidentified(ChannelTable table) {
    try {
      java.lang.reflect.Field f = ChannelTable.class.getDeclaredField("unidentified");
      f.setAccessible(true);
      return f.getInt(table);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void givenATableThatOfferedOnce_whenAskedForASpare_thenOnlyFromTheSecondOfferOn() {
    // A task that sends its result dials once: a spare would cost it 2 MiB and a file at exit.
    assertThat(ChannelTable.sparesAfter(1)).isFalse();
    assertThat(ChannelTable.sparesAfter(2)).isTrue();
    assertThat(ChannelTable.sparesAfter(50)).isTrue();
  }
}
