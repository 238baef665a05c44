package dev.deploy.fabric;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventSink;
import dev.deploy.process.JvmCommand;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.FrameProtection;
import dev.deploy.security.Handshake;
import dev.deploy.testing.Tricklers;
import dev.deploy.wire.Control;
import dev.deploy.wire.FrameReader;
import dev.deploy.wire.FrameWriter;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fabric's control port under 300 sockets that trickle a hello a byte at a time: a process still
 * authenticates and is heard at once, and the sockets cost no thread each.
 */
@Timeout(30)
class ControlPortFloodTest {
  private static final long PROGRAM = 0x5eed;
  private final ClusterKey key = ClusterKey.generate();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private static final class NoSink implements EventSink {
    @Override
    public void onEvent(Event event) {}

    @Override
    public void onLaunchPending() {}

    @Override
    public void onLaunchSettled() {}
  }

  @Test
  void givenThreeHundredTricklers_whenAProcessDials_thenItIsHeardAtOnceOnFewThreads()
      throws Exception {
    Fabric fabric = new Fabric(key, InetAddress.getLoopbackAddress(), 0);
    open.add(fabric);
    fabric.addProgram(
        new Program(
            PROGRAM,
            JvmCommand.parse("java", List.of("-cp", "none", "Main")),
            new NoSink(),
            false));
    InetSocketAddress port =
        new InetSocketAddress(fabric.address().getHostString(), fabric.address().getPort());
    int before = Tricklers.liveThreads();
    open.add(Tricklers.open(port, 300, Duration.ofSeconds(2)));

    long start = System.nanoTime();
    Socket socket = new Socket();
    open.add(socket);
    socket.connect(port, 5_000);
    socket.setSoTimeout(5_000);
    BufferedInputStream in = new BufferedInputStream(socket.getInputStream());
    BufferedOutputStream out = new BufferedOutputStream(socket.getOutputStream());
    FrameProtection protection =
        Handshake.dialer(
                Handshake.Role.PROCESS,
                key.forDeployment(PROGRAM),
                PROGRAM,
                Handshake.Role.FABRIC,
                Handshake.target(port),
                FrameProtection.Mode.NONE)
            .run(in, out);
    Control.Hello hello = new Control.Hello(1, Pid.of(new byte[] {127, 0, 0, 1}, 1, 1));
    new FrameWriter(out, protection).write(hello.type(), hello.encode());

    // No launch waits for that Hello: the session reads it and closes the connection.
    assertThat(new FrameReader(in, protection).read()).isNull();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(Tricklers.liveThreads() - before).isLessThanOrEqualTo(4);
  }
}
