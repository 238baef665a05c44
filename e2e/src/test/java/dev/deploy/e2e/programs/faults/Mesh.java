package dev.deploy.e2e.programs.faults;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.pid;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fault suite's program: the main process (3 GiB, so only on the master's machine of the
 * suite's cluster) spawns {@code n} children ({@code args[0]}) sized so that the three 2 GiB
 * workers take them round-robin, tells each every child's pid, and every child then sends a stream
 * of {@code count} values ({@code args[1]}; 0: until the channel breaks) of {@code size} bytes
 * ({@code args[3]}, at least 8: the value's index, then zeros) every {@code gap} ms ({@code
 * args[2]}) to every other child. The streams start once the file {@code args[4]} exists (every
 * host of the suite shares this machine's file system), so the test can set a fault up between the
 * children's start and the first value. Lines, each with the wall clock of its machine in ms
 * ({@code at}), which the test compares with its own (every host is this one machine):
 *
 * <ul>
 *   <li>{@code child <i> on <host> os pid <n>}: a child is up;
 *   <li>{@code first <i> -> <j>}: child j took the first value of child i;
 *   <li>{@code stream <i> -> <j>: <k> in order, end <EXITED|LOST|...> at <ms>}: the stream from i
 *       ended; {@code k} values came, each the one after the last;
 *   <li>{@code stream <i> -> <j>: value <v> after <k>}: a value came out of order (lost or
 *       duplicated), and the stream stopped there;
 *   <li>{@code child <i>: ended <reason> at <ms>} on the main process.
 * </ul>
 *
 * Exits 0 once every child ended; a child exits once each of its streams in and out ended.
 */
public final class Mesh {
  private static final long MIB = 1L << 20;

  public static void main(String[] args) throws Exception {
    init(new Resources(3072 * MIB, 0.05));
    int n = Integer.parseInt(args[0]);
    String stream = args[1] + " " + args[2] + " " + args[3];
    long perChild = (2048 / ((n + 2) / 3)) * MIB;
    List<Pid> children = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int index = i;
      children.add(
          spawn(Mesh::child, i + " " + stream, new Resources(perChild, 0.05))
              .orElseThrow(() -> new IllegalStateException("no room for child " + index)));
    }
    Path gate = Path.of(args[4]);
    while (!Files.exists(gate)) {
      Thread.sleep(20);
    }
    for (Pid child : children) {
      try (Sender<List<Pid>> peers = new Sender<>(child)) {
        peers.send(children);
      }
    }
    for (int i = 0; i < n; i++) {
      try (Receiver<String> from = new Receiver<>(children.get(i))) {
        from.recv();
        System.out.println("child " + i + ": ended done at " + System.currentTimeMillis());
      } catch (ChannelException e) {
        System.out.println(
            "child " + i + ": ended " + e.reason() + " at " + System.currentTimeMillis());
      }
    }
  }

  static void child(Pid parent, String arguments) throws Exception {
    String[] a = arguments.split(" ");
    int me = Integer.parseInt(a[0]);
    long count = Long.parseLong(a[1]);
    long gap = Long.parseLong(a[2]);
    int size = Math.max(8, Integer.parseInt(a[3]));
    String host = pid().address().getAddress().getHostAddress();
    System.out.println("child " + me + " on " + host + " os pid " + ProcessHandle.current().pid());
    List<Pid> peers;
    try (Receiver<List<Pid>> from = new Receiver<>(parent)) {
      peers = from.recv();
    }
    List<Thread> threads = new ArrayList<>();
    for (int j = 0; j < peers.size(); j++) {
      if (j == me) {
        continue;
      }
      Pid peer = peers.get(j);
      int other = j;
      threads.add(new Thread(() -> send(me, other, peer, count, gap, size)));
      threads.add(new Thread(() -> receive(other, me, peer)));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    try (Sender<String> done = new Sender<>(parent)) {
      done.send("done");
    }
  }

  private static void send(int me, int to, Pid peer, long count, long gap, int size) {
    try (Sender<byte[]> out = new Sender<>(peer)) {
      for (long v = 0; count == 0 || v < count; v++) {
        byte[] value = new byte[size];
        ByteBuffer.wrap(value).putLong(v);
        out.send(value);
        if (gap > 0) {
          Thread.sleep(gap);
        }
      }
    } catch (ChannelException e) {
      // The stream broke: its receiver says how far it came.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void receive(int from, int me, Pid peer) {
    long k = 0;
    String name = "stream " + from + " -> " + me + ": ";
    try (Receiver<byte[]> in = new Receiver<>(peer)) {
      while (true) {
        long v = ByteBuffer.wrap(in.recv()).getLong();
        if (v != k) {
          System.out.println(name + "value " + v + " after " + k);
          return;
        }
        if (k == 0) {
          System.out.println("first " + from + " -> " + me);
        }
        k++;
      }
    } catch (ChannelException e) {
      System.out.println(
          name + k + " in order, end " + e.reason() + " at " + System.currentTimeMillis());
    }
  }
}
