package dev.deploy.k8s.programs;

import dev.deploy.Deploy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Where a process runs, as the programs print it. Not a program. */
final class Here {
  private Here() {}

  /**
   * Returns {@code "<who> on <host> os pid <n> under <ancestors>"}: the host of this process's pid
   * (its pod's IP), its OS pid, and the OS pids of its ancestors, nearest first.
   */
  static String line(String who) {
    List<Long> ancestors = new ArrayList<>();
    Optional<ProcessHandle> p = ProcessHandle.current().parent();
    while (p.isPresent()) {
      ancestors.add(p.get().pid());
      p = p.get().parent();
    }
    return who
        + " on "
        + Deploy.pid().address().getAddress().getHostAddress()
        + " os pid "
        + ProcessHandle.current().pid()
        + " under "
        + ancestors;
  }
}
