package dev.deploy.runtime;

import dev.deploy.ChannelException.Reason;
import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.Task;
import dev.deploy.channel.ChannelTable;
import dev.deploy.channel.ReceiveEnd;
import dev.deploy.channel.SendEnd;
import dev.deploy.codec.Codec;
import dev.deploy.codec.LambdaCodec;
import dev.deploy.io.IoLoop;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.Credential;
import dev.deploy.security.FrameProtection;
import dev.deploy.security.Handshake;
import dev.deploy.security.Nonces;
import dev.deploy.wire.Control;
import dev.deploy.wire.Frame;
import dev.deploy.wire.FrameReader;
import dev.deploy.wire.FrameWriter;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * The training run of a class-data-sharing archive: a JVM started with {@code
 * -XX:ArchiveClassesAtExit} runs this main, which walks the path of a spawned process (handshake,
 * control messages, the I/O loop, a channel between two tables, the codec and a lambda task), so
 * every class that path loads is in the archive and later spawns map them instead of loading them.
 * Not API; started by {@code dev.deploy.process.CdsArchive}.
 */
public final class CdsTraining {
  private CdsTraining() {}

  record Sample(int index, String text, List<Integer> numbers, Map<String, Long> map) {}

  /**
   * Classes of a spawned process's way to its task that the training cannot run (they join a real
   * run): loaded, not initialised, so the archive holds them too.
   */
  static final List<String> SPAWN_PATH =
      List.of(
          "dev.deploy.Deploy",
          "dev.deploy.SpawnException",
          "dev.deploy.runtime.ProcessRuntime",
          "dev.deploy.runtime.ProcessRuntime$1",
          "dev.deploy.runtime.ProcessRuntime$2",
          "dev.deploy.runtime.ProcessRuntime$3",
          "dev.deploy.runtime.ProcessRuntime$4",
          "dev.deploy.runtime.ProcessRuntime$Warm",
          "dev.deploy.runtime.ProcessRuntime$Channels",
          "dev.deploy.runtime.FabricClient",
          "dev.deploy.runtime.FabricClient$1",
          "dev.deploy.runtime.ExitNotice",
          "dev.deploy.runtime.ExitNotice$1",
          "dev.deploy.runtime.ExitNotice$2",
          "dev.deploy.Sender",
          "dev.deploy.Receiver");

  public static void main(String[] args) throws Exception {
    for (String name : SPAWN_PATH) {
      try {
        Class.forName(name, false, CdsTraining.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        // Renamed since (CdsTrainingTest says so): the archive is only missing that class.
      }
    }
    Credential key = new Credential(ClusterKey.generate().forDeployment(1), 1);
    InetAddress loopback = InetAddress.getLoopbackAddress();

    // The control connection: blocking handshake and frames.
    try (ServerSocket server = new ServerSocket(0, 8, loopback)) {
      CompletableFuture<Void> accepted =
          CompletableFuture.runAsync(
              () -> {
                try (Socket s = server.accept()) {
                  Handshake.acceptor(
                          Handshake.Role.FABRIC,
                          Handshake.Acceptance.daemon(
                              Handshake.Role.PROCESS,
                              key.key(),
                              (InetSocketAddress) s.getLocalSocketAddress(),
                              List.of()),
                          FrameProtection.Mode.INTEGRITY)
                      .run(
                          new BufferedInputStream(s.getInputStream()),
                          new BufferedOutputStream(s.getOutputStream()));
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      try (Socket s = new Socket(loopback, server.getLocalPort())) {
        Handshake.dialer(
                Handshake.Role.PROCESS,
                key.key(),
                0,
                Handshake.Role.FABRIC,
                Handshake.target((InetSocketAddress) s.getRemoteSocketAddress()),
                FrameProtection.Mode.INTEGRITY)
            .run(
                new BufferedInputStream(s.getInputStream()),
                new BufferedOutputStream(s.getOutputStream()));
      }
      accepted.join();
    }

    Codec codec = Codec.standard();
    Pid a = pid(loopback);
    Task<Sample> task = CdsTraining::task;
    Sample sample = new Sample(1, "x", List.of(1, 2), Map.of("k", 1L));
    byte[] blob = LambdaCodec.encodeTask(task, sample, codec);
    LambdaCodec.DecodedTask decoded = LambdaCodec.decodeTask(blob, codec);
    String greeting = "hi";
    Task<Integer> capturing = (parent, arg) -> System.out.print(greeting + arg);
    LambdaCodec.decodeTask(LambdaCodec.encodeTask(capturing, 3, codec), codec);
    for (Object value :
        new Object[] {1, 2L, "s", new byte[] {1}, a, Optional.of(1), List.of("a"), sample}) {
      byte[] bytes = codec.encode(value);
      codec.decode(bytes, 0, bytes.length);
    }
    ByteArrayOutputStream frames = new ByteArrayOutputStream();
    FrameWriter writer = new FrameWriter(frames);
    for (Control c :
        List.<Control>of(
            new Control.Hello(1, a),
            new Control.Start(a, Resources.DEFAULT, blob),
            new Control.SpawnRequest(1, Resources.DEFAULT, blob, false),
            Control.SpawnReply.started(1, a),
            new Control.FateQuery(1, a),
            new Control.FateReply(1, true),
            new Control.Exiting(0))) {
      writer.write(c.type(), c.encode());
    }
    FrameReader reader = new FrameReader(new ByteArrayInputStream(frames.toByteArray()));
    Frame f;
    while ((f = reader.read()) != null) {
      Control.decode(f);
    }

    Pid pa = channelRoundTrip(key, codec, loopback, sample);
    ((Task<Sample>) decoded.task()).run(pa, sample);
  }

  /**
   * Opens a channel between two throwaway tables of this JVM over {@code host}, on a loop of their
   * own, sends {@code values} and two small values through it (blocking and async), closes and
   * drains it: the path of a process's first message (listener, dial, handshake with its HMAC,
   * frames, credit, the codec for those values, the loop's timers), loaded and run once. Returns
   * the sending table's pid.
   */
  static Pid channelRoundTrip(Credential key, Codec codec, InetAddress host, Object... values)
      throws Exception {
    return channelRoundTrip(NEVER, key, codec, host, values);
  }

  /** Never stops a round trip early. */
  private static final BooleanSupplier NEVER =
      new BooleanSupplier() {
        @Override
        public boolean getAsBoolean() {
          return false;
        }
      };

  /**
   * Like {@link #channelRoundTrip(Credential, Codec, InetAddress, Object...)}, but gives up between
   * its steps once {@code stop} says so (a pool JVM whose task arrived: its own first message is
   * the warm-up now, and this one only takes the cores from it); returns null then.
   */
  static Pid channelRoundTrip(
      BooleanSupplier stop, Credential key, Codec codec, InetAddress host, Object... values)
      throws Exception {
    if (stop.getAsBoolean()) {
      return null;
    }
    IoLoop loop = new IoLoop(System::nanoTime);
    loop.start("deploy-io-warmup");
    try (ServerSocketChannel la = ServerSocketChannel.open().bind(new InetSocketAddress(host, 0));
        ServerSocketChannel lb = ServerSocketChannel.open().bind(new InetSocketAddress(host, 0))) {
      Pid pa =
          Pid.of(
              host.getAddress(),
              ((InetSocketAddress) la.getLocalAddress()).getPort(),
              Nonces.nextLong());
      Pid pb =
          Pid.of(
              host.getAddress(),
              ((InetSocketAddress) lb.getLocalAddress()).getPort(),
              Nonces.nextLong());
      ChannelTable ta =
          new ChannelTable(
              pa, key, loop, codec, la, p -> CompletableFuture.completedFuture(Reason.LOST));
      ChannelTable tb =
          new ChannelTable(
              pb, key, loop, codec, lb, p -> CompletableFuture.completedFuture(Reason.LOST));
      ta.start();
      tb.start();
      SendEnd out = ta.openSender(pb);
      ReceiveEnd in = tb.openReceiver(pa);
      for (Object value : values) {
        out.send(value);
        in.recv(Long.MAX_VALUE);
        if (stop.getAsBoolean()) {
          return null;
        }
      }
      out.send(1);
      in.recv(Long.MAX_VALUE);
      out.sendAsync(2L).join();
      in.recvAsync().join();
      out.close();
      ta.drain();
      try {
        in.recv(Long.MAX_VALUE);
      } catch (dev.deploy.ChannelException expected) {
        // The sender closed: EXITED.
      }
      in.close();
      return pa;
    } finally {
      loop.close();
    }
  }

  private static Pid pid(InetAddress host) {
    return Pid.of(host.getAddress(), 1, Nonces.nextLong());
  }

  private static void task(Pid parent, Sample sample) {
    // A task's body: nothing to do in training.
  }
}
