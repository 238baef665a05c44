package dev.deploy.fabric;

import dev.deploy.Pid;
import dev.deploy.logging.Loggers;
import dev.deploy.security.AuthenticationException;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.FrameProtection;
import dev.deploy.security.Handshake;
import dev.deploy.wire.Control;
import dev.deploy.wire.Frame;
import dev.deploy.wire.FrameReader;
import dev.deploy.wire.FrameWriter;
import dev.deploy.wire.ProtocolException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.slf4j.Logger;

/**
 * The fabric's end of one process's control connection, once its {@link #handshake} passed: binds
 * it to its launch by the Hello, then serves the process's spawn requests and exit notice until the
 * connection ends. Runs on its own thread; {@link #send} may be called from any thread.
 */
final class ControlSession implements Runnable {
  private static final Logger log = Loggers.get(ControlSession.class);

  /** An authenticated connection must say Hello within this many milliseconds. */
  static final int HELLO_TIMEOUT_MILLIS = 10_000;

  private final Fabric fabric;
  private final Socket socket;

  /** The handshake the process passed on {@link #socket}; done. */
  private final Handshake handshake;

  /** Set once the session started; written under its own lock. */
  private volatile FrameWriter writer;

  ControlSession(Fabric fabric, Socket socket, Handshake handshake) {
    this.fabric = fabric;
    this.socket = socket;
    this.handshake = handshake;
  }

  @Override
  public void run() {
    Launch launch = null;
    String peer = String.valueOf(socket.getRemoteSocketAddress());
    try (socket) {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(HELLO_TIMEOUT_MILLIS);
      BufferedInputStream in = new BufferedInputStream(socket.getInputStream());
      BufferedOutputStream out = new BufferedOutputStream(socket.getOutputStream());
      FrameProtection protection = handshake.protection();
      long deployment = handshake.deployment();
      writer = new FrameWriter(out, protection);
      FrameReader reader = new FrameReader(in, protection);
      Frame first = reader.read();
      if (first == null) {
        return;
      }
      if (!(Control.decode(first) instanceof Control.Hello hello)) {
        throw new ProtocolException(
            "the first control message is type " + first.type() + ", not Hello");
      }
      launch = fabric.launchOf(hello.launchId());
      if (launch != null && launch.order().program() != deployment) {
        throw new ProtocolException(
            "a process of deployment "
                + Long.toHexString(deployment)
                + " named launch "
                + Long.toHexString(hello.launchId())
                + " of another deployment");
      }
      if (launch == null || !launch.onHello(this, hello.pid())) {
        if (launch != null
            ? launch.state() == Launch.State.ENDED
            : fabric.lateHello(hello.launchId())) {
          // Written just before its process was killed (a pool JVM at the run's end), read after.
          log.debug("the Hello of launch {} came after its process ended", hello.launchId());
          return;
        }
        throw new ProtocolException(
            "Hello for launch " + Long.toHexString(hello.launchId()) + " that is not waiting");
      }
      socket.setSoTimeout(0);
      Pid pid = hello.pid();
      fabric.onRegistered(pid, launch);
      Frame frame;
      while ((frame = reader.read()) != null) {
        Control message = Control.decode(frame);
        if (message instanceof Control.SpawnRequest request) {
          fabric.onSpawnRequest(this, launch, pid, request);
        } else if (message instanceof Control.FateQuery query) {
          fabric.onFateQuery(this, pid, query);
        } else if (message instanceof Control.ChannelStats stats) {
          launch.onChannelStats(stats);
        } else if (message instanceof Control.Exiting exiting) {
          launch.onExiting(exiting.signal());
          fabric.onUnfinished(pid, exiting.unfinished());
        } else {
          throw new ProtocolException("a process sent a " + message.getClass().getSimpleName());
        }
      }
    } catch (SocketTimeoutException e) {
      log.warn("dropped a connection from {}: it did not say Hello in time", peer);
    } catch (ProtocolException e) {
      log.warn(
          "dropped the control connection of {}: {}",
          launch != null ? launch : peer,
          e.getMessage());
    } catch (IOException e) {
      // The process ended or the connection broke: its exit is reported from its status.
    } catch (RuntimeException e) {
      log.warn("dropped the control connection of {} after an internal error", peer, e);
    } finally {
      if (launch != null) {
        launch.onControlClosed(this);
        Pid pid = launch.pid();
        if (pid != null) {
          fabric.onControlClosed(pid);
        }
      }
    }
  }

  /**
   * Returns the control port's handshake for an accepted {@code socket}: it takes processes that
   * prove the key of a deployment {@code fabric} runs, derived from {@code key}, and meant the
   * address the connection was accepted on.
   */
  static Handshake handshake(Fabric fabric, ClusterKey key, Socket socket) {
    return Handshake.acceptor(
        Handshake.Role.FABRIC,
        acceptance(fabric, key, socket),
        FrameProtection.wish(
            FrameProtection.configured(), socket.getLocalAddress(), socket.getInetAddress()));
  }

  private static Handshake.Acceptance acceptance(Fabric fabric, ClusterKey key, Socket socket) {
    byte[] self = Handshake.target((java.net.InetSocketAddress) socket.getLocalSocketAddress());
    return new Handshake.Acceptance() {
      @Override
      public ClusterKey keyFor(Handshake.Role role, long id) throws AuthenticationException {
        if (role != Handshake.Role.PROCESS) {
          throw new AuthenticationException(
              "a " + role + " dialled the control port, which takes processes only");
        }
        if (!fabric.hasProgram(id)) {
          throw new AuthenticationException(
              "the peer names deployment "
                  + Long.toHexString(id)
                  + ", which this fabric does not run");
        }
        return key.forDeployment(id);
      }

      @Override
      public void checkTarget(byte[] target) throws AuthenticationException {
        if (!java.util.Arrays.equals(target, self)) {
          throw new AuthenticationException(
              "the peer meant another listener than this fabric's control port");
        }
      }
    };
  }

  /** Sends a message; a failure means the process is gone, which the reader will see. */
  void send(Control message) {
    FrameWriter w = writer;
    if (w == null) {
      return;
    }
    try {
      w.write(message.type(), message.encode());
    } catch (IOException e) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // Closing a broken socket.
      }
    }
  }
}
