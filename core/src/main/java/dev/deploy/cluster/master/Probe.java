package dev.deploy.cluster.master;

import dev.deploy.Resources;
import dev.deploy.process.CgroupGroup;
import dev.deploy.process.CgroupLimits;
import dev.deploy.process.Env;
import dev.deploy.process.JvmCommand;
import dev.deploy.process.ProcessFence;
import dev.deploy.runtime.ProcessRuntime;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Learns what a deployed program's first process needs: starts its {@code main} once with {@code
 * DEPLOY_ROLE=probe}, where {@code init(resources)} prints the resources and exits at once, so the
 * master can place the real first process on a machine with that room.
 *
 * <p>The probe runs the user's code, so it is confined like a process: a heap of {@link
 * #HEAP_BYTES}, its own session and process group with a parent-death signal ({@link
 * ProcessFence}), a cgroup of {@link #MEMORY_BYTES} where the fabric makes cgroups, and its whole
 * group (and cgroup) killed when it is done or timed out.
 */
final class Probe {
  /** How long a program's main may take to reach init. */
  static final long TIMEOUT_SECONDS = 60;

  /** The probe JVM's heap: a small fixed budget, the program's main only runs up to init. */
  static final long HEAP_BYTES = 256L << 20;

  /** The probe JVM's cgroup memory limit, where cgroups are on: its heap and the JVM's own. */
  static final long MEMORY_BYTES = 512L << 20;

  /** Probes started by this JVM, naming their cgroups. */
  private static final AtomicLong PROBES = new AtomicLong();

  /** The most output kept from the probing JVM, per stream. */
  private static final int KEEP = 64 << 10;

  private Probe() {}

  /**
   * Runs the probe (blocking, up to {@link #TIMEOUT_SECONDS}).
   *
   * @throws ProbeException saying in one sentence why the program did not tell its resources
   */
  static Resources run(JvmCommand command, java.util.Map<String, String> environment)
      throws ProbeException {
    // The program's own JVM options with a small heap of ours after them: the probe runs the
    // program's main, which is the user's code, confined like any process of the fabric.
    List<String> argv = command.asGivenWithHeap(HEAP_BYTES);
    Optional<CgroupLimits> cgroups = CgroupLimits.detected();
    CgroupGroup group = null;
    if (cgroups.isPresent()) {
      group =
          cgroups
              .get()
              .create(
                  "probe-" + Long.toHexString(PROBES.incrementAndGet()),
                  Math.max(MEMORY_BYTES, command.minHeapBytes() + (256L << 20)),
                  1)
              .orElse(null);
      if (group == null) {
        throw new ProbeException("cannot make a cgroup for the probe JVM (see the master's log)");
      }
      argv = group.wrap(argv);
    }
    ProcessBuilder builder = new ProcessBuilder(argv);
    builder.environment().keySet().removeIf(Env::isInternal);
    builder.environment().putAll(environment);
    builder.environment().put(Env.ROLE, ProcessRuntime.PROBE_ROLE);
    builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    ProcessFence fence = ProcessFence.shared();
    Process process;
    try {
      process = fence.start(builder);
    } catch (IOException e) {
      if (group != null) {
        group.close();
      }
      throw new ProbeException("cannot start " + command.java() + ": " + e.getMessage());
    }
    try {
      CompletableFuture<byte[]> out = drain(process.getInputStream());
      CompletableFuture<byte[]> err = drain(process.getErrorStream());
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new ProbeException(
            "the program's main did not call init() within " + TIMEOUT_SECONDS + " s");
      }
      // What main started before init may hold the pipes: it goes first, then the pumps end.
      fence.ended(process);
      if (group != null) {
        group.kill();
      }
      String stdout = new String(joined(out), StandardCharsets.UTF_8);
      String stderr = new String(joined(err), StandardCharsets.UTF_8).strip();
      Resources r = parse(stdout);
      if (r != null && process.exitValue() == 0) {
        return r;
      }
      String said = stderr.isEmpty() ? stdout.strip() : stderr;
      String[] lines = said.split("\n");
      String last =
          String.join(
                  " / ",
                  java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 6), lines.length))
              .strip();
      throw new ProbeException(
          "the program exited with code "
              + process.exitValue()
              + " before it called init()"
              + (last.isEmpty() ? "" : ": " + last));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProbeException("interrupted while starting the program");
    } finally {
      fence.kill(process); // with its process group, on a timeout too
      fence.ended(process);
      if (group != null) {
        group.close(); // and whatever left the group
      }
    }
  }

  /** What a pump read, waiting a few seconds at most for its end. */
  private static byte[] joined(CompletableFuture<byte[]> pump) {
    try {
      return pump.get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      return new byte[0];
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new byte[0];
    }
  }

  /** Returns the resources of the last {@code deploy-init} line, or null. */
  static Resources parse(String stdout) {
    Resources found = null;
    for (String line : stdout.split("\n")) {
      if (line.startsWith(ProcessRuntime.PROBE_PREFIX)) {
        String[] parts = line.substring(ProcessRuntime.PROBE_PREFIX.length()).strip().split(" ");
        try {
          found = new Resources(Long.parseLong(parts[0]), Double.parseDouble(parts[1]));
        } catch (RuntimeException e) {
          found = null;
        }
      }
    }
    return found;
  }

  private static CompletableFuture<byte[]> drain(InputStream in) {
    CompletableFuture<byte[]> f = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              ByteArrayOutputStream kept = new ByteArrayOutputStream();
              byte[] buffer = new byte[8192];
              try (in) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                  if (kept.size() < KEEP) {
                    kept.write(buffer, 0, Math.min(n, KEEP - kept.size()));
                  }
                }
              } catch (IOException ignored) {
                // The process ended; what was read is what there is.
              }
              f.complete(kept.toByteArray());
            },
            "deploy-probe-output");
    t.setDaemon(true);
    t.start();
    return f;
  }

  /** The program did not tell its resources; the message says why in one sentence. */
  static final class ProbeException extends Exception {
    private static final long serialVersionUID = 1L;

    ProbeException(String message) {
      super(message);
    }
  }
}
