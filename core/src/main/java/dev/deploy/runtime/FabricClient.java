package dev.deploy.runtime;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.channel.ChannelCounters;
import dev.deploy.security.Credential;
import dev.deploy.security.FrameProtection;
import dev.deploy.security.Handshake;
import dev.deploy.util.PendingRequests;
import dev.deploy.wire.Control;
import dev.deploy.wire.Frame;
import dev.deploy.wire.FrameReader;
import dev.deploy.wire.FrameWriter;
import dev.deploy.wire.ProtocolException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A process's end of its control connection to the fabric that launched it: registers, asks for
 * spawns, and tells how it exits. If the connection ends, the fabric (and so the run) is gone, and
 * this process halts at once: nothing outlives its run.
 *
 * <p>One reader thread, and one that reports the channel totals once {@link #reportChannels} was
 * called; {@link #spawn} and {@link #exiting} may be called from any thread.
 */
final class FabricClient {
  private final Socket socket;
  private final FrameReader reader;
  private final FrameWriter writer;
  private final AtomicLong requests = new AtomicLong();

  /** Spawn requests waiting for their reply, by request id. */
  private final PendingRequests<Control.SpawnReply> pending = new PendingRequests<>();

  /** Fate queries waiting for their reply, by request id: true for a clean exit. */
  private final PendingRequests<Boolean> fates = new PendingRequests<>();

  /** How often the channel totals are reported while they change. */
  static final long STATS_MILLIS = 5_000;

  /** Guards {@link #counters} and {@link #reported}, so reports go out in the order taken. */
  private final ReentrantLock statsLock = new ReentrantLock();

  /** The channels whose totals are reported; null until {@link #reportChannels}. */
  private ChannelCounters counters;

  /** The totals last reported. */
  private long[] reported = new long[4];

  /** Set when this process itself is exiting, so the connection's end is expected. */
  private volatile boolean exiting;

  /** What happens when the connection ends while this process is not exiting: a halt. */
  private final Runnable lost;

  /** Halts this JVM at once: its run is over. Not a lambda (see {@link #register}). */
  private static final Runnable HALT =
      new Runnable() {
        @Override
        public void run() {
          Runtime.getRuntime().halt(1);
        }
      };

  /** A client over a connected {@code socket}; {@code lost} runs if the fabric goes (tests). */
  FabricClient(Socket socket, FrameReader reader, FrameWriter writer, Runnable lost) {
    this.socket = socket;
    this.reader = reader;
    this.writer = writer;
    this.lost = lost;
  }

  /** The reader thread, once {@link #register} started it; for tests. */
  private volatile Thread readerThread;

  /**
   * Returns a client over {@code socket}, connected and past its handshake, frames unprotected;
   * {@code lost} runs if the fabric goes (tests).
   */
  static FabricClient over(Socket socket, Runnable lost) throws IOException {
    return new FabricClient(
        socket,
        new FrameReader(new BufferedInputStream(socket.getInputStream())),
        new FrameWriter(new BufferedOutputStream(socket.getOutputStream())),
        lost);
  }

  /** Returns the reader thread; null before {@link #register} returned. */
  Thread readerThread() {
    return readerThread;
  }

  /** Dials the fabric and runs the handshake, proving the deployment's key. */
  static FabricClient connect(InetSocketAddress fabric, Credential key) throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(fabric, 10_000);
      BufferedInputStream in = new BufferedInputStream(socket.getInputStream());
      BufferedOutputStream out = new BufferedOutputStream(socket.getOutputStream());
      socket.setSoTimeout(10_000); // a fabric that accepts and stays silent must not hang us
      Handshake handshake =
          Handshake.dialer(
              Handshake.Role.PROCESS,
              key.key(),
              key.deployment(),
              Handshake.Role.FABRIC,
              Handshake.target((InetSocketAddress) socket.getRemoteSocketAddress()),
              FrameProtection.wish(
                  FrameProtection.configured(), socket.getLocalAddress(), socket.getInetAddress()));
      FrameProtection protection = handshake.run(in, out);
      socket.setSoTimeout(0);
      return new FabricClient(
          socket, new FrameReader(in, protection), new FrameWriter(out, protection), HALT);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Says Hello and returns what to run; then starts the reader thread.
   *
   * @throws IOException when the fabric refuses or the connection ends
   */
  Control.Start register(long launchId, Pid pid) throws IOException {
    Control.Hello hello = new Control.Hello(launchId, pid);
    writer.write(hello.type(), hello.encode());
    // No timeout: a JVM of the fabric's warm pool waits here until a spawn takes it; if the
    // fabric dies, the connection ends and so does the wait.
    Frame frame = reader.read();
    dev.deploy.logging.StartTrace.mark("process: start read");
    if (frame == null) {
      throw new IOException("the fabric closed the connection instead of answering Hello");
    }
    if (!(Control.decode(frame) instanceof Control.Start start)) {
      throw new ProtocolException("the fabric answered Hello with type " + frame.type());
    }
    // Not a method reference: the first lambda a JVM links costs it ~20 ms, and a JVM of the
    // warm pool gets here only when a spawn is waiting for it.
    Thread thread =
        new Thread(
            new Runnable() {
              @Override
              public void run() {
                readLoop();
              }
            },
            "deploy-control");
    thread.setDaemon(true);
    readerThread = thread;
    thread.start();
    return start;
  }

  private void readLoop() {
    try {
      Frame frame;
      while ((frame = reader.read()) != null) {
        Control message = Control.decode(frame);
        if (message instanceof Control.SpawnReply reply) {
          pending.complete(reply.requestId(), reply);
        } else if (message instanceof Control.FateReply reply) {
          fates.complete(reply.requestId(), reply.exited());
        } else {
          throw new ProtocolException("the fabric sent control message type " + frame.type());
        }
      }
    } catch (IOException e) {
      if (!exiting) {
        System.err.println("deploy: lost the connection to the fabric: " + e.getMessage());
      }
    }
    if (!exiting) {
      // The run is over or its monitor died: nobody would see this process's output or exit.
      lost.run();
    }
  }

  /** Sends a spawn request; the future completes with the fabric's reply. */
  CompletableFuture<Control.SpawnReply> spawn(Resources resources, byte[] task, boolean wait) {
    long id = requests.incrementAndGet();
    CompletableFuture<Control.SpawnReply> reply = pending.expect(id);
    Control.SpawnRequest request = new Control.SpawnRequest(id, resources, task, wait);
    try {
      writer.write(request.type(), request.encode());
    } catch (IOException e) {
      pending.forget(id, e);
    }
    return reply;
  }

  /** Asks how {@code pid} ended; completes true for its own exit, false for a death. */
  CompletableFuture<Boolean> fate(Pid pid) {
    long id = requests.incrementAndGet();
    CompletableFuture<Boolean> reply = fates.expect(id);
    Control.FateQuery query = new Control.FateQuery(id, pid);
    try {
      writer.write(query.type(), query.encode());
    } catch (IOException e) {
      fates.forget(id, e);
    }
    return reply;
  }

  /**
   * Reports the totals of {@code channels} to the fabric every {@link #STATS_MILLIS} while they
   * change, from a daemon thread, and once more in {@link #exiting}.
   */
  void reportChannels(ChannelCounters channels) {
    statsLock.lock();
    try {
      counters = channels;
    } finally {
      statsLock.unlock();
    }
    Thread thread =
        new Thread(
            new Runnable() {
              @Override
              public void run() {
                while (!exiting) {
                  LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(STATS_MILLIS));
                  sendChannelStats();
                }
              }
            },
            "deploy-channel-stats");
    thread.setDaemon(true);
    thread.start();
  }

  /** Sends the channel totals if they changed since the last report. */
  void sendChannelStats() {
    statsLock.lock();
    try {
      if (counters == null || exiting) {
        return; // after the exit notice nothing more is counted
      }
      long[] now = counters.totals();
      if (java.util.Arrays.equals(now, reported)) {
        return;
      }
      Control.ChannelStats stats = new Control.ChannelStats(now[0], now[1], now[2], now[3]);
      writer.write(stats.type(), stats.encode());
      reported = now;
    } catch (IOException e) {
      // The fabric is gone; the reader halts this process.
    } finally {
      statsLock.unlock();
    }
  }

  /**
   * Ends the reader thread's wait, after {@link #exiting}: the input side of the connection is shut
   * down, so its blocking read returns. Writing stays possible.
   */
  void stopReading() {
    try {
      socket.shutdownInput();
    } catch (IOException e) {
      // Already closed: the reader has ended.
    }
  }

  /**
   * Tells the fabric this process is exiting, by a signal when {@code signal} > 0, after its
   * channel totals.
   */
  void exiting(int signal) {
    exiting(signal, List.of());
  }

  /**
   * Tells the fabric this process is exiting, by a signal when {@code signal} > 0, after its
   * channel totals, and which remotes did not acknowledge everything it sent them.
   */
  void exiting(int signal, List<Pid> unfinished) {
    sendChannelStats();
    exiting = true;
    Control.Exiting notice = new Control.Exiting(signal, unfinished);
    try {
      writer.write(notice.type(), notice.encode());
    } catch (IOException e) {
      // The fabric is gone; nobody to tell.
    }
  }
}
