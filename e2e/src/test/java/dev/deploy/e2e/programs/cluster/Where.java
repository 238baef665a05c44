package dev.deploy.e2e.programs.cluster;

import dev.deploy.Pid;

/** Where a process runs, as the cluster's programs print it. Not a program. */
final class Where {
  private Where() {}

  /** The host of {@code pid}'s address: its machine's loopback address, like 127.0.0.2. */
  static String host(Pid pid) {
    return pid.address().getAddress().getHostAddress();
  }
}
