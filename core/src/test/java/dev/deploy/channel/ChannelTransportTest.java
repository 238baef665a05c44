package dev.deploy.channel;

import static dev.deploy.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.ChannelException;
import dev.deploy.ChannelException.Reason;
import dev.deploy.io.Connection;
import dev.deploy.io.ShmFile;
import dev.deploy.io.ShmTransport;
import dev.deploy.io.Transport;
import dev.deploy.testing.LoopbackTables;
import dev.deploy.wire.Frame;
import dev.deploy.wire.MessageOut;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Which transport carries a pair: shared memory between tables of one machine when {@code
 * deploy.shm=0} is not set (the build runs the channel suite both ways), TCP otherwise; never a
 * file left in {@code /dev/shm}, a killed remote still LOST, and an offer naming a path refused.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ChannelTransportTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final LoopbackTables tables = new LoopbackTables();

  @AfterEach
  void tearDown() {
    tables.close();
  }

  @Test
  void givenTwoTablesOnOneMachine_whenAChannelOpens_thenSharedMemoryCarriesItWhenTurnedOn()
      throws Exception {
    List<Path> before = shmFiles();
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());

    out.send("over whichever transport");

    assertThat(in.recv(Long.MAX_VALUE)).isEqualTo("over whichever transport");
    Transport ab = TableProbe.transport(a.table(), b.pid());
    Transport ba = TableProbe.transport(b.table(), a.pid());
    assertThat(ab instanceof ShmTransport)
        .as("shared memory on a's side")
        .isEqualTo(ShmFile.enabled());
    assertThat(ba instanceof ShmTransport)
        .as("shared memory on b's side")
        .isEqualTo(ShmFile.enabled());
    assertThat(shmFiles()).as("no file left under /dev/shm once both mapped it").isEqualTo(before);
  }

  @Test
  void givenSharedMemory_whenTheRemoteIsKilled_thenLostAfterItsValues() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    for (int i = 0; i < 100; i++) {
      out.send(i);
    }
    await().atMost(WAIT).until(() -> TableProbe.queuedBytes(b.table(), a.pid()) > 0);
    a.kill();

    for (int i = 0; i < 100; i++) {
      assertThat(in.recv(Long.MAX_VALUE)).isEqualTo(i);
    }
    try {
      in.recv(Long.MAX_VALUE);
      throw new AssertionError("recv after the remote was killed returned");
    } catch (ChannelException e) {
      assertThat(e.reason()).isEqualTo(Reason.LOST);
    }
  }

  @Test
  void givenOfferNamingAPath_whenDialled_thenAcceptedOverTcpAndNothingOpened() throws Exception {
    LoopbackTables.Table a = tables.add();
    try (RawPeer raw = RawPeer.connect(a.pid())) {
      raw.handshake(tables.key(), true);
      raw.frame(
          Frames.SHM_OFFER,
          new MessageOut()
              .string(ShmFile.bootId() == null ? "" : ShmFile.bootId())
              .string("../../etc/passwd")
              .toByteArray());
      raw.ident(RawPeer.fakePid());

      Frame answer = raw.readFrame();

      assertThat(answer.type()).isEqualTo(Frames.ACCEPT);
      assertThat(answer.payload()).as("TCP: no shared memory").isEmpty();
    }
  }

  @Test
  void givenSharedMemory_whenLargeValuesStream_thenEachArrivesWhole() throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    byte[] value = new byte[3 << 20];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) (i * 31);
    }
    for (int round = 0; round < 8; round++) {
      out.send(value);
      assertThat((byte[]) in.recv(Long.MAX_VALUE)).isEqualTo(value);
    }
  }

  /**
   * A closed pair's mapping is undone when its connection ends, not left to a later collection:
   * there each one costs the JVM's reference-handler thread a {@code munmap}, and a few hundred of
   * them delayed every weak reference's enqueueing past what the Reactive Streams TCK's §3.13
   * waits.
   */
  @Test
  void givenSharedMemory_whenTheRemoteIsKilled_thenTheSurvivorUnmapsThePairAtOnce()
      throws Exception {
    Assumptions.assumeTrue(ShmFile.enabled(), "shared memory is off in this run");
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());
    out.send(1);
    assertThat(in.recv(Long.MAX_VALUE)).isEqualTo(1);
    // Held here, so a collection cannot unmap them for the transports: they must do it.
    ShmTransport ab = (ShmTransport) TableProbe.transport(a.table(), b.pid());
    ShmTransport ba = (ShmTransport) TableProbe.transport(b.table(), a.pid());
    String pair = "/dev/shm/" + TableProbe.shmName(ba) + " (deleted)";
    assertThat(shmMappings())
        .as("the pair's file, mapped by each side")
        .filteredOn(pair::equals)
        .hasSize(2);

    a.kill(); // the killed side's mapping goes with it, as a process's does

    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(shmMappings())
                    .as("mappings of the pair once its connection ended")
                    .doesNotContain(pair));
    assertThat(List.of(ab, ba)).doesNotContainNull();
  }

  /** The {@code /dev/shm/deploy-*} files this JVM maps now, one entry per mapping. */
  private static List<String> shmMappings() throws Exception {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines
          .filter(l -> l.contains("/dev/shm/deploy-"))
          .map(l -> l.substring(l.indexOf("/dev/shm/")))
          .toList();
    }
  }

  private static List<Path> shmFiles() throws Exception {
    Path dir = Path.of("/dev/shm");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("deploy-")).sorted().toList();
    }
  }

  static Connection tcp(Transport t) {
    return TableProbe.tcp(t);
  }
}
