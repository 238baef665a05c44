package dev.deploy.e2e.tester;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Slurm jobs of one test ({@code salloc ... deploy slurm run} or {@code deploy slurm submit}),
 * each a process of this JVM whose output is collected as it comes, and, on {@link #close()}, every
 * job they made cancelled by its id ({@code scancel}) and every process seen under them killed by
 * pid. {@link SlurmCleanup} gives each test one. Used by one test thread; the output is read by a
 * thread per stream.
 */
public final class SlurmJobs implements AutoCloseable {
  private static final Pattern GRANTED =
      Pattern.compile("(?:Granted job allocation|submitted job) (\\d+)");

  private final List<Job> jobs = new ArrayList<>();

  /** A started command and what it printed so far. */
  public static final class Job {
    private final List<String> command;
    private final Process process;
    private final StringBuffer out = new StringBuffer();
    private final StringBuffer err = new StringBuffer();
    private final Set<ProcessHandle> seen = new LinkedHashSet<>();

    Job(List<String> command, Process process) {
      this.command = command;
      this.process = process;
      read(process.getInputStream(), out);
      read(process.getErrorStream(), err);
    }

    /** What it wrote on stdout so far. */
    public String stdout() {
      return out.toString();
    }

    /** What it wrote on stderr so far. */
    public String stderr() {
      return err.toString();
    }

    /** The job id salloc or deploy slurm submit printed, or null before it did. */
    public String jobId() {
      Matcher m = GRANTED.matcher(err);
      return m.find() ? m.group(1) : null;
    }

    /** The command's process. */
    public Process process() {
      return process;
    }

    /** The command, its output so far and whether it ended, for failure messages. */
    public String context() {
      return "command: "
          + String.join(" ", command)
          + "\nexit: "
          + (process.isAlive() ? "(running)" : process.exitValue())
          + "\nstdout: "
          + Printable.text(stdout(), 4000)
          + "\nstderr: "
          + Printable.text(stderr(), 6000)
          + "\n";
    }

    /** Remembers every process under the command now, to kill whatever is left at the end. */
    public List<ProcessHandle> underneath() {
      List<ProcessHandle> now = process.descendants().toList();
      seen.addAll(now);
      return now;
    }

    /** Waits for the command's exit; returns its code, or null after {@code timeout}. */
    public Integer await(Duration timeout) {
      underneath();
      try {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
            ? process.exitValue()
            : null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }

    private static void read(InputStream in, StringBuffer to) {
      Thread t =
          new Thread(
              () -> {
                byte[] buffer = new byte[8192];
                int n;
                try (in) {
                  while ((n = in.read(buffer)) > 0) {
                    to.append(new String(buffer, 0, n, UTF_8));
                  }
                } catch (IOException e) {
                  // Ended.
                }
              },
              "e2e-slurm-output");
      t.setDaemon(true);
      t.start();
    }
  }

  /**
   * Starts {@code command} with the tools' environment ({@link Tool#environment()}) plus {@code
   * extra}.
   */
  public Job start(List<String> command, Map<String, String> extra) {
    ProcessBuilder b = new ProcessBuilder(command);
    b.environment().clear();
    b.environment().putAll(Tool.environment());
    b.environment().putAll(extra);
    b.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    try {
      Job job = new Job(command, b.start());
      jobs.add(job);
      return job;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
  }

  /**
   * {@code salloc <sallocOptions> java -jar deploy.jar deploy slurm run <programs> <main>}, in the
   * human format: stdout is the program's own lines.
   */
  public Job salloc(List<String> sallocOptions, Class<?> program, Map<String, String> extra) {
    List<String> command = new ArrayList<>();
    command.add("salloc");
    command.addAll(sallocOptions);
    command.addAll(
        Tool.command(
            "deploy", "slurm", "run", LocalRunner.programClasses().toString(), program.getName()));
    return start(command, withHuman(extra));
  }

  /** {@code java -jar deploy.jar deploy slurm submit <options> <programs> <main>}. */
  public Job submit(List<String> options, Class<?> program, Path outputDir) {
    List<String> args = new ArrayList<>(List.of("deploy", "slurm", "submit"));
    args.addAll(options);
    args.add("--output-dir");
    args.add(outputDir.toString());
    args.add(LocalRunner.programClasses().toString());
    args.add(program.getName());
    return start(Tool.command(args.toArray(String[]::new)), withHuman(Map.of()));
  }

  private static Map<String, String> withHuman(Map<String, String> extra) {
    Map<String, String> env = new java.util.HashMap<>(extra);
    env.putIfAbsent("DEPLOY_FORMAT", "human");
    return env;
  }

  /** Runs {@code command} to its end (at most 30 s); returns its stdout, or "" when it failed. */
  public static String output(String... command) {
    Tool.Result r = Tool.exec(Duration.ofSeconds(30), List.of(command), null, Map.of());
    return r.exitCode() != null && r.exitCode() == 0 ? r.stdout() : "";
  }

  /** Whether Slurm answers here: {@code sinfo} lists a node. */
  public static boolean slurmAnswers() {
    try {
      return !output("sinfo", "-h", "-N", "-o", "%N").isBlank();
    } catch (UncheckedIOException e) {
      return false; // no sinfo
    }
  }

  @Override
  public void close() {
    for (Job j : jobs) {
      String id = j.jobId();
      if (id != null) {
        Tool.exec(Duration.ofSeconds(30), List.of("scancel", id), null, Map.of());
      }
      j.underneath();
      for (ProcessHandle h : j.seen) {
        h.destroyForcibly();
      }
      j.process.descendants().forEach(ProcessHandle::destroyForcibly);
      j.process.destroyForcibly();
      try {
        j.process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
