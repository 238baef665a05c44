package dev.deploy.e2e.programs.limits;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Spawns a child of {@link #LIMIT} that starts a subprocess (a plain {@code java}, not a deploy
 * process) allocating {@link #SUBPROCESS_BYTES}, more than the child's whole memory; the subprocess
 * is in the child's cgroup, so the kernel kills for the child's limit and the child ends as killed
 * by it. The first process then prints how the child ended and exits 0: the run goes on. Without a
 * cgroup the subprocess gets its memory and the child exits 3 after a while. {@code CgroupIT} runs
 * it; not part of the self-describing suite.
 */
public final class SubprocessOverLimit {
  /** The child's whole memory: what its cgroup allows it and its subprocesses together. */
  public static final long LIMIT = 256L << 20;

  /** What the subprocess allocates and touches. */
  public static final long SUBPROCESS_BYTES = 600L << 20;

  /** The first process's memory: small, so the cluster test places the child elsewhere. */
  public static final long FIRST = 256L << 20;

  private SubprocessOverLimit() {}

  public static void main(String[] args) throws Exception {
    init(new Resources(FIRST, 0.5));
    Pid child = spawn(SubprocessOverLimit::child, 0, new Resources(LIMIT, 1)).orElseThrow();
    try (Receiver<Integer> fromChild = new Receiver<>(child)) {
      fromChild.recv();
    } catch (ChannelException e) {
      System.out.println("the child ended: " + e.reason());
    }
  }

  static void child(Pid parent, Integer ignored) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx1g",
                "-Xlog:disable",
                "-cp",
                System.getProperty("java.class.path"),
                Allocate.class.getName())
            .inheritIO()
            .start();
    int code = p.waitFor();
    // On cgroup v1 the kernel kills only the subprocess; the fabric then kills this JVM too.
    System.out.println("the subprocess ended with " + code + "; still alive");
    TimeUnit.SECONDS.sleep(20);
    System.exit(3);
  }

  /** The subprocess: allocates and touches {@link #SUBPROCESS_BYTES}, then says it could. */
  public static final class Allocate {
    private Allocate() {}

    public static void main(String[] args) {
      List<byte[]> kept = new ArrayList<>();
      int chunk = 8 << 20;
      for (long total = 0; total < SUBPROCESS_BYTES; total += chunk) {
        byte[] b = new byte[chunk];
        for (int i = 0; i < chunk; i += 4096) {
          b[i] = 1; // touch every page: charged to the cgroup
        }
        kept.add(b);
      }
      System.out.println("allocated " + kept.size() * 8 + " MiB: nothing limits this process");
    }
  }
}
