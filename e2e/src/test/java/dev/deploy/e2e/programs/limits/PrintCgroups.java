package dev.deploy.e2e.programs.limits;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Spawns a child that prints its own {@code /proc/self/cgroup} and then that of a subprocess it
 * starts ({@code cat}), separated by a line {@code --}: {@code CgroupIT} checks that the child is
 * in a group of its own ({@code deploy-.../p-...}) by default, that its subprocess is in the same
 * one, and that {@code DEPLOY_CGROUPS=0} leaves both where the run is. Not part of the
 * self-describing suite: the answer depends on the machine.
 */
public final class PrintCgroups {
  private PrintCgroups() {}

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.5));
    Pid child = spawn(PrintCgroups::child, 0, new Resources(128L << 20, 0.5)).orElseThrow();
    try (Receiver<Integer> fromChild = new Receiver<>(child)) {
      fromChild.recv();
    } catch (ChannelException e) {
      // the child ended
    }
  }

  static void child(Pid parent, Integer ignored) throws Exception {
    System.out.print(Files.readString(Path.of("/proc/self/cgroup"), StandardCharsets.US_ASCII));
    System.out.println("--");
    System.out.flush();
    Process cat = new ProcessBuilder("cat", "/proc/self/cgroup").inheritIO().start();
    System.exit(cat.waitFor());
  }
}
