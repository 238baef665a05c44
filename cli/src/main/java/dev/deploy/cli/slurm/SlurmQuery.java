package dev.deploy.cli.slurm;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Asks Slurm's own tools ({@code scontrol}, {@code squeue}) what they know of nodes and jobs, each
 * call bounded by a timeout: a node's {@code RealMemory} and {@code NodeAddr}, a job's state and
 * exit code. A tool that is missing, fails or times out gives an empty answer. Stateless; thread
 * safe.
 */
public final class SlurmQuery implements SlurmAllocation.RealMemory {
  private static final long TIMEOUT_SECONDS = 15;

  /** The output of a tool that ended with status 0, or empty. */
  static Optional<String> run(List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p;
    try {
      p = builder.start();
    } catch (IOException e) {
      return Optional.empty();
    }
    try (InputStream in = p.getInputStream()) {
      byte[] out = in.readNBytes(1 << 20);
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return Optional.empty();
      }
      return p.exitValue() == 0 ? Optional.of(new String(out, UTF_8)) : Optional.empty();
    } catch (IOException e) {
      p.destroyForcibly();
      return Optional.empty();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Returns the value of {@code field=} in {@code scontrol show}'s output, or empty. */
  static Optional<String> field(String text, String field) {
    Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(field) + "=(\\S*)").matcher(text);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  private static Optional<String> showNode(String node) {
    return run(List.of("scontrol", "show", "node", node));
  }

  @Override
  public OptionalLong mebibytes(String node) {
    Optional<String> v = showNode(node).flatMap(t -> field(t, "RealMemory"));
    return v.isPresent() && v.get().matches("\\d{1,12}")
        ? OptionalLong.of(Long.parseLong(v.get()))
        : OptionalLong.empty();
  }

  /** Returns the address Slurm reaches {@code node} at ({@code NodeAddr}), or empty. */
  public Optional<String> nodeAddress(String node) {
    return showNode(node).flatMap(t -> field(t, "NodeAddr")).filter(a -> !a.isEmpty());
  }

  /** A job as {@code scontrol show job} tells it: its state and {@code ExitCode=code:signal}. */
  public record JobState(String state, int exitCode, int signal) {
    /** Returns whether the job has not ended yet (pending, running, suspended, completing...). */
    public boolean active() {
      return List.of(
              "PENDING",
              "CONFIGURING",
              "RUNNING",
              "SUSPENDED",
              "COMPLETING",
              "REQUEUED",
              "RESIZING",
              "SIGNALING",
              "STAGE_OUT")
          .contains(state);
    }
  }

  /** Returns job {@code id}'s state, or empty when Slurm no longer (or never) knew it. */
  public Optional<JobState> job(String id) {
    Optional<String> text = run(List.of("scontrol", "show", "job", id));
    if (text.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> state = field(text.get(), "JobState");
    if (state.isEmpty()) {
      return Optional.empty();
    }
    int code = 0;
    int signal = 0;
    Optional<String> exit = field(text.get(), "ExitCode");
    if (exit.isPresent() && exit.get().matches("\\d+:\\d+")) {
      String[] parts = exit.get().split(":");
      code = Integer.parseInt(parts[0]);
      signal = Integer.parseInt(parts[1]);
    }
    return Optional.of(new JobState(state.get(), code, signal));
  }

  /** Cancels job (or step) {@code id}; returns whether scancel said yes. */
  public boolean cancel(String id) {
    List<String> command = new ArrayList<>(List.of("scancel", "--quiet", id));
    return run(command).isPresent();
  }
}
