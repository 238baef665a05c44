package dev.deploy.fabric;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads one of a process's output pipes until its end and hands each chunk to the launch. Runs on
 * its own daemon thread; blocks when the launch blocks (the bridge writes slowly), which fills the
 * pipe and so slows the process: that is the back-pressure.
 */
final class OutputPump implements Runnable {
  private static final int CHUNK = 64 << 10;

  private final Launch launch;

  /** 1 for stdout, 2 for stderr. */
  private final int fd;

  private final InputStream in;

  /** The program's gate: closed while its bridge holds too much. */
  private final OutputGate gate;

  OutputPump(Launch launch, int fd, InputStream in, OutputGate gate) {
    this.launch = launch;
    this.fd = fd;
    this.in = in;
    this.gate = gate;
  }

  @Override
  public void run() {
    byte[] buffer = new byte[CHUNK];
    try {
      int n;
      while (true) {
        gate.awaitOpen();
        if ((n = in.read(buffer)) <= 0) {
          break;
        }
        launch.onOutput(fd, Arrays.copyOf(buffer, n));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // The pipe was closed under us (the process is gone and a grandchild held it): its end.
    } finally {
      try {
        in.close();
      } catch (IOException ignored) {
        // Nothing more to read either way.
      }
      launch.onEof(fd);
    }
  }
}
