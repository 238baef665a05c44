package dev.deploy.cli;

import dev.deploy.cli.slurm.SbatchScript;
import dev.deploy.cli.slurm.SlurmQuery;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code deploy slurm submit}: from a login node, writes a batch script that runs {@code deploy
 * slurm run} with the program, submits it with {@code sbatch --parsable}, copies the job's output
 * files to this terminal as they grow until the job ends, and exits with the program's exit code;
 * Ctrl-C cancels the job. The output files, the program's class path and deploy.jar must be on a
 * file system the job's first node sees at the same paths (a shared home or project directory).
 */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Submit a program as a Slurm batch job (one fabric per node) and print its output here"
          + " as it runs; exit with the program's exit code. Ctrl-C cancels the job.",
      "",
      "The job's output stays in <output-dir>/deploy-<job id>.out and .err. The program's class"
          + " path, deploy.jar and <output-dir> must be on a file system the nodes share."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:every process exited 0 (or --dry-run)",
      "n:the program's exit code",
      "1:sbatch refused the job, or the job ended without saying its code",
      "2:the arguments are wrong"
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  deploy slurm submit -N 4 -c 8 --mem 32G -t 1:00:00 app.jar com.example.Main -- in"
    })
final class SlurmSubmitCommand implements Callable<Integer> {
  private static final String NAME = "deploy slurm submit";

  @Option(
      names = {"-N", "--nodes"},
      paramLabel = "<n>",
      description = "Nodes (default: 1).")
  int nodes = 1;

  @Option(
      names = {"-c", "--cpus-per-node"},
      paramLabel = "<cpus>",
      description = "Processors per node (default: 1).")
  int cpus = 1;

  @Option(
      names = "--mem",
      paramLabel = "<size>",
      description = "Memory per node, as sbatch takes it (like 8G; default: Slurm's).")
  String memory;

  @Option(
      names = {"-t", "--time"},
      paramLabel = "<time>",
      description = "Time limit, as sbatch takes it.")
  String time;

  @Option(
      names = {"-p", "--partition"},
      paramLabel = "<partition>",
      description = "Partition.")
  String partition;

  @Option(
      names = "--sbatch-arg",
      paramLabel = "<arg>",
      description = "Another sbatch option for the script, like --sbatch-arg=--account=abc.")
  List<String> sbatchArguments = new ArrayList<>();

  @Option(names = "--dry-run", description = "Print the batch script and exit.")
  boolean dryRun;

  @Option(
      names = "--output-dir",
      paramLabel = "<dir>",
      description = "Where the job's output files go (default: this directory).")
  Path outputDir;

  @Option(names = "--interface", paramLabel = "<name>", description = "As deploy slurm run's.")
  String networkInterface;

  @Option(names = "--verbose", description = "Say more, and print stack traces of errors.")
  boolean verbose;

  @Mixin ProgramArguments arguments;

  @Override
  public Integer call() {
    return Main.guard(NAME, verbose, this::run);
  }

  /** Builds the script's plan from the options. */
  SbatchScript.Plan plan() throws CommandException {
    ProgramArguments.Program program;
    String formatName;
    try {
      program = arguments.program(NAME);
      formatName = arguments.formatName();
    } catch (IllegalArgumentException e) {
      throw new CommandException(e.getMessage(), 2);
    }
    if (nodes < 1) {
      throw new CommandException("-N must be at least 1, not " + nodes, 2);
    }
    if (cpus < 1) {
      throw new CommandException("-c must be at least 1, not " + cpus, 2);
    }
    for (String a : sbatchArguments) {
      if (a.contains("\n") || !a.startsWith("-")) {
        throw new CommandException(
            "--sbatch-arg \"" + a + "\" is not one sbatch option like --account=abc", 2);
      }
    }
    Path dir = (outputDir != null ? outputDir : Path.of("")).toAbsolutePath().normalize();
    String base = dir.resolve("deploy-%j").toString();
    if (!base.matches("[^\"$`\\\\\\n]+")) {
      throw new CommandException(
          "the output directory " + dir + " has a character a batch script cannot quote", 2);
    }
    List<String> run = new ArrayList<>();
    if (formatName != null) {
      run.add("--format=" + formatName);
    }
    if (networkInterface != null) {
      run.add("--interface=" + networkInterface);
    }
    arguments.jvmOptions().forEach(o -> run.add("--jvm-option=" + o));
    arguments.environment().forEach(e -> run.add("--env=" + e));
    run.add(absoluteClassPath(program.classPath()));
    if (program.mainClass() != null) {
      run.add(program.mainClass());
    }
    run.add("--");
    run.addAll(program.arguments());
    String jobName =
        "deploy-"
            + (program.mainClass() != null
                    ? program.mainClass().substring(program.mainClass().lastIndexOf('.') + 1)
                    : Path.of(program.classPath().split(java.io.File.pathSeparator)[0])
                        .getFileName()
                        .toString())
                .replaceAll("[^A-Za-z0-9_.-]", "_");
    return new SbatchScript.Plan(
        nodes,
        cpus,
        Optional.ofNullable(memory),
        Optional.ofNullable(time),
        Optional.ofNullable(partition),
        sbatchArguments,
        base,
        jobName,
        SlurmRunCommand.javaExecutable(),
        SlurmRunCommand.deployJar(),
        run);
  }

  /** Each entry of {@code classPath} as an absolute path: the job may start elsewhere. */
  static String absoluteClassPath(String classPath) {
    List<String> out = new ArrayList<>();
    for (String entry : classPath.split(java.io.File.pathSeparator, -1)) {
      out.add(entry.isEmpty() ? entry : Path.of(entry).toAbsolutePath().normalize().toString());
    }
    return String.join(java.io.File.pathSeparator, out);
  }

  private int run() throws CommandException {
    SbatchScript.Plan plan = plan();
    String script = SbatchScript.text(plan);
    if (dryRun) {
      System.out.print(script);
      return 0;
    }
    Path file;
    try {
      file = Files.createTempFile("deploy-sbatch", ".sh");
      Files.writeString(file, script);
    } catch (IOException e) {
      throw new CommandException("cannot write the batch script: " + e.getMessage());
    }
    String job;
    try {
      job = submit(file);
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // A temporary file.
      }
    }
    System.err.println(NAME + ": submitted job " + job);
    SlurmQuery slurm = new SlurmQuery();
    CountDownLatch streamed = new CountDownLatch(1);
    Thread cancel =
        new Thread(
            () -> {
              slurm.cancel(job);
              try {
                streamed.await(15, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "deploy-slurm-cancel");
    Runtime.getRuntime().addShutdownHook(cancel);
    try {
      return stream(job, plan.outputBase(), slurm);
    } finally {
      streamed.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(cancel);
      } catch (IllegalStateException e) {
        // Shutting down: the hook cancels the job.
      }
    }
  }

  private static String submit(Path script) throws CommandException {
    ProcessBuilder b = new ProcessBuilder("sbatch", "--parsable", script.toString());
    b.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p;
    try {
      p = b.start();
    } catch (IOException e) {
      throw new CommandException(
          "cannot run sbatch (" + e.getMessage() + "): is this a Slurm login node?");
    }
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
        throw new CommandException(
            "sbatch refused the job: " + (err.isEmpty() ? "exit " + p.exitValue() : err));
      }
      String id = out.lines().reduce((a, b2) -> b2).orElse(out);
      int semicolon = id.indexOf(';');
      return semicolon < 0 ? id : id.substring(0, semicolon);
    } catch (IOException e) {
      throw new CommandException("cannot read what sbatch said: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommandException("interrupted while sbatch ran");
    } finally {
      p.destroyForcibly();
    }
  }

  /**
   * Copies the job's {@code .out} to stdout and {@code .err} to stderr as they grow, until the job
   * ended; returns the program's exit code from the {@code .exit} file, else Slurm's.
   */
  private static int stream(String job, String base, SlurmQuery slurm) throws CommandException {
    Tail out = new Tail(SbatchScript.file(base, job, ".out"), System.out);
    Tail err = new Tail(SbatchScript.file(base, job, ".err"), System.err);
    Path exitFile = SbatchScript.file(base, job, ".exit");
    Optional<SlurmQuery.JobState> last = Optional.empty();
    long nextCheck = 0;
    while (true) {
      out.copy();
      err.copy();
      if (System.nanoTime() - nextCheck >= 0) {
        nextCheck = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        Optional<SlurmQuery.JobState> state = slurm.job(job);
        if (state.isPresent()) {
          last = state;
        }
        if (state.isEmpty() || !state.get().active()) {
          break;
        }
      }
      pause(200);
    }
    // The files of a shared file system may lag the job's end.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!Files.exists(exitFile) && System.nanoTime() - deadline < 0) {
      pause(200);
    }
    out.copy();
    err.copy();
    try {
      String text = Files.readString(exitFile).trim();
      if (text.matches("\\d{1,3}")) {
        return Integer.parseInt(text);
      }
    } catch (IOException e) {
      // The script did not get to write it: cancelled, timed out, or failed.
    }
    String why = last.map(s -> s.state()).orElse("unknown");
    System.err.println(
        NAME
            + ": job "
            + job
            + " ended ("
            + why
            + ") before the program said its exit code"
            + (why.equals("TIMEOUT") ? ": it reached its time limit (-t)" : ""));
    return last.filter(s -> s.exitCode() != 0).map(SlurmQuery.JobState::exitCode).orElse(1);
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A file copied to a stream from where the last copy stopped; for one thread. */
  private static final class Tail {
    private final Path file;
    private final OutputStream to;
    private long offset;

    Tail(Path file, OutputStream to) {
      this.file = file;
      this.to = to;
    }

    void copy() {
      if (!Files.exists(file)) {
        return;
      }
      try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
        if (f.length() <= offset) {
          return;
        }
        f.seek(offset);
        byte[] buffer = new byte[65536];
        int n;
        while ((n = f.read(buffer)) > 0) {
          to.write(buffer, 0, n);
          offset += n;
        }
        to.flush();
      } catch (IOException e) {
        // Try again at the next copy.
      }
    }
  }
}
