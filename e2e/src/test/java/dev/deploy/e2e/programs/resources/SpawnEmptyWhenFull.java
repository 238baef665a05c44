package dev.deploy.e2e.programs.resources;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.RunOptions;
import java.util.List;
import java.util.Optional;

/**
 * On a 1 GiB machine whose first process takes 256 MiB, a spawn of 512 MiB starts and a second one,
 * while the first child lives, answers {@code Optional.empty()}; so does a spawn larger than the
 * whole machine, which is not an error. The first child stays until the parent, done spawning,
 * tells it to go.
 */
public final class SpawnEmptyWhenFull {
  static final Resources HALF_GIB = new Resources(512L << 20, 0.05);

  static final RunOptions RUN = RunOptions.defaults().env("DEPLOY_CAPACITY", "1GiB 1");

  static final Expect EXPECTED =
      Expect.process()
          .stdout("first spawn: started\nsecond spawn: empty\nhuge spawn: empty\n")
          .child(Expect.process().stdout("first child\n"));

  public static void main(String[] args) throws ChannelException {
    init(new Resources(256L << 20, 0.05));
    Optional<Pid> first = spawn(SpawnEmptyWhenFull::stay, "first child", HALF_GIB);
    System.out.println("first spawn: " + (first.isPresent() ? "started" : "empty"));
    Optional<Pid> second = spawn(SpawnEmptyWhenFull::stay, "second child", HALF_GIB);
    System.out.println("second spawn: " + (second.isPresent() ? "started" : "empty"));
    Optional<Pid> huge = spawn(SpawnEmptyWhenFull::stay, "huge child", new Resources(4L << 40, 1));
    System.out.println("huge spawn: " + (huge.isPresent() ? "started" : "empty"));
    for (Optional<Pid> child : List.of(first, second, huge)) {
      if (child.isPresent()) {
        try (Sender<String> go = new Sender<>(child.get())) {
          go.send("go");
        }
      }
    }
  }

  /** Prints {@code name}, then holds its room until the parent says go (or ends). */
  static void stay(Pid parent, String name) throws ChannelException {
    System.out.println(name);
    try (Receiver<String> go = new Receiver<>(parent)) {
      go.recv();
    }
  }
}
