package dev.deploy.fabric;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Reads one of a process's output pipes until its end and hands each chunk to the launch. Runs on
 * its own daemon thread; blocks when the launch blocks (the bridge writes slowly), which fills the
 * pipe and so slows the process: that is the back-pressure.
 *
 * <p>While the program's gate is closed (its client is behind) it does not read, so a running
 * process waits on its full pipe. Once the process has exited there is nothing left to slow: it
 * then reads the pipe into memory, up to the {@link OutputBudget}'s bounds (past them the rest
 * stays in the pipe). While it waits at the closed gate it tells the launch the pipe is held, so
 * the launch waits for it instead of giving the pipe up after its grace. When the gate opens it
 * hands over what it held, in order, then reads on; the end of the pipe is reported only after the
 * held output.
 */
final class OutputPump implements Runnable {
  private static final int CHUNK = 64 << 10;

  private final Launch launch;

  /** 1 for stdout, 2 for stderr. */
  private final int fd;

  private final InputStream in;

  /** The program's gate: closed while its bridge holds too much. */
  private final OutputGate gate;

  /** Chunks read while the gate was closed, oldest first; only the pump's thread touches them. */
  private final List<byte[]> held = new ArrayList<>();

  /** Bytes in {@link #held}, all reserved from the gate's budget. */
  private int heldBytes;

  OutputPump(Launch launch, int fd, InputStream in, OutputGate gate) {
    this.launch = launch;
    this.fd = fd;
    this.in = in;
    this.gate = gate;
  }

  @Override
  public void run() {
    Process process = launch.process();
    CompletableFuture<Process> exited =
        process != null ? process.onExit() : CompletableFuture.completedFuture(null);
    exited.thenRun(gate::wake);
    byte[] buffer = new byte[CHUNK];
    try {
      while (true) {
        int room = awaitGate(exited);
        if (room == 0) {
          handOver();
          int n = in.read(buffer);
          if (n <= 0) {
            break;
          }
          launch.onOutput(fd, Arrays.copyOf(buffer, n));
        } else if (!hold(buffer, room)) {
          break;
        }
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
      awaitOpenQuietly();
      handOver();
      launch.onEof(fd);
    }
  }

  /**
   * Returns 0 once the gate is open, else the bytes reserved for holding once the process exited.
   * While it waits at the closed gate the launch knows the pipe is held, not stuck.
   */
  private int awaitGate(CompletableFuture<Process> exited) throws InterruptedException {
    if (gate.isOpen()) {
      return 0;
    }
    launch.onPipeHeld(fd, true);
    try {
      return gate.awaitOpenOrRoom(exited::isDone, heldBytes, CHUNK);
    } finally {
      launch.onPipeHeld(fd, false);
    }
  }

  /**
   * Reads up to {@code room} reserved bytes into the held chunks; returns false at the pipe's end.
   */
  private boolean hold(byte[] buffer, int room) throws IOException {
    int n;
    try {
      n = in.read(buffer, 0, room);
    } catch (IOException e) {
      gate.release(room);
      throw e;
    }
    gate.release(room - Math.max(n, 0));
    if (n <= 0) {
      return false;
    }
    held.add(Arrays.copyOf(buffer, n));
    heldBytes += n;
    return true;
  }

  /** Hands what was held to the launch, in order, and gives its room back. */
  private void handOver() {
    if (held.isEmpty()) {
      return;
    }
    for (byte[] chunk : held) {
      launch.onOutput(fd, chunk);
    }
    held.clear();
    gate.release(heldBytes);
    heldBytes = 0;
  }

  /**
   * Waits for the gate before the held output and the end go out; an interrupt (never sent by the
   * fabric) lets them go at once rather than keep them forever.
   */
  private void awaitOpenQuietly() {
    if (heldBytes == 0 || gate.isOpen()) {
      return;
    }
    launch.onPipeHeld(fd, true);
    try {
      gate.awaitOpen();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      launch.onPipeHeld(fd, false);
    }
  }
}
