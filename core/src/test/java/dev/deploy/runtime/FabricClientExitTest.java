package dev.deploy.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.wire.Control;
import dev.deploy.wire.Frame;
import dev.deploy.wire.FrameReader;
import dev.deploy.wire.FrameWriter;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process's control connection at its exit: once the exit notice is sent, the reader thread
 * leaves its blocking read, so it does not hold up the JVM's exit (JDK 17 waits up to 300 ms for
 * threads in native code before it exits).
 */
@Timeout(20)
class FabricClientExitTest {
  @Test
  void givenARegisteredProcess_whenExitingAndStopReading_thenTheReaderEndsAndTheNoticeArrives()
      throws Exception {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try (ServerSocket server = new ServerSocket(0, 1, loopback);
        Socket dialled = new Socket(loopback, server.getLocalPort());
        Socket fabricSide = server.accept()) {
      FabricClient client = FabricClient.over(dialled, () -> {});
      FrameReader fromProcess =
          new FrameReader(new BufferedInputStream(fabricSide.getInputStream()));
      FrameWriter toProcess =
          new FrameWriter(new BufferedOutputStream(fabricSide.getOutputStream()));
      Control.Start start = new Control.Start(null, Resources.DEFAULT, null);
      toProcess.write(start.type(), start.encode()); // read by register, after its Hello

      client.register(1, Pid.of(new byte[] {127, 0, 0, 1}, 4242, 7));
      Thread reader = client.readerThread();
      client.exiting(0);
      client.stopReading();
      reader.join(10_000);

      assertThat(reader.isAlive()).as("the reader still waits in its read").isFalse();
      Frame hello = fromProcess.read();
      Frame notice = fromProcess.read();
      assertThat(hello.type()).isEqualTo(new Control.Hello(1, null).type());
      assertThat(notice.type()).isEqualTo(new Control.Exiting(0).type());
    }
  }
}
