package dev.deploy.e2e.programs.channels;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import dev.deploy.e2e.programs.SelfSignal;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.RunOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A child killed with SIGKILL while its parent talks to it over shared memory (the default between
 * processes of one machine): the parent's sends end with LOST, as over TCP, and the pair leaves
 * nothing behind: no mapping in the parent once the channel ended, no file under {@code /dev/shm}.
 * The parent finds the pair's file among its own mappings, so it checks exactly its own pair even
 * while other programs use shared memory on the machine.
 */
public final class ShmKilledIsLost {
  static final Resources SMALL = new Resources(128L << 20, 0.05);

  static final RunOptions RUN = RunOptions.defaults().env("DEPLOY_SHM", "1");

  static final Expect EXPECTED =
      Expect.process()
          .exit(0)
          .stdout(
              "over shared memory: true\n"
                  + "sends ended: LOST\n"
                  + "mapping left: false\n"
                  + "file left: false\n")
          .child(Expect.process().killedBy("SIGKILL"));

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.05));
    Pid child = spawn(ShmKilledIsLost::receiveThenDie, 100, SMALL).orElseThrow();
    List<String> mapped = List.of();
    String ended = "no end";
    try (Sender<Integer> out = new Sender<>(child);
        Receiver<String> back = new Receiver<>(child)) {
      int i = 0;
      for (; i < 100; i++) {
        out.send(i);
      }
      back.recv(); // the child has our first hundred: the pair is up
      mapped = shmMappings();
      System.out.println("over shared memory: " + !mapped.isEmpty());
      while (true) {
        out.send(i++); // until the child, a hundred values on, kills itself
      }
    } catch (ChannelException e) {
      ended = String.valueOf(e.reason());
    }
    System.out.println("sends ended: " + ended);
    // The transport unmaps on the I/O thread right after the connection ended; allow it a moment.
    long deadline = System.nanoTime() + 5_000_000_000L;
    List<String> left = shmMappings();
    while (left.stream().anyMatch(mapped::contains) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      left = shmMappings();
    }
    System.out.println("mapping left: " + left.stream().anyMatch(mapped::contains));
    System.out.println(
        "file left: " + mapped.stream().anyMatch(name -> Files.exists(Path.of(name))));
  }

  /** The files under /dev/shm this process maps now (their names, " (deleted)" dropped). */
  static List<String> shmMappings() throws Exception {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines
          .filter(l -> l.contains("/dev/shm/deploy-"))
          .map(l -> l.substring(l.indexOf("/dev/shm/")).replace(" (deleted)", "").trim())
          .distinct()
          .toList();
    }
  }

  static void receiveThenDie(Pid parent, Integer count) throws Exception {
    Receiver<Integer> in = new Receiver<>(parent);
    Sender<String> back = new Sender<>(parent);
    for (int i = 0; i < count; i++) {
      in.recv();
    }
    back.send("ready");
    for (int i = 0; i < count; i++) {
      in.recv(); // the parent is sending when we die
    }
    SelfSignal.send("KILL");
  }
}
