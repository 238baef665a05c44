package dev.deploy.e2e.tester;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The command-line tools of {@code deploy.jar} ({@code java -jar deploy.jar <command> ...}) for the
 * cluster's tests: their command lines, the environment they run with, {@link #keygen} and {@link
 * #run}, which runs one to its end. Stateless.
 */
public final class Tool {
  private static final List<String> DROPPED_VARIABLES =
      List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

  private Tool() {}

  /** What a tool printed and how it ended; {@code exitCode} is null when it timed out. */
  public record Result(List<String> command, Integer exitCode, String stdout, String stderr) {
    /** The command, exit code and output, for failure messages. */
    public String context() {
      return "command: "
          + String.join(" ", command)
          + "\nexit: "
          + (exitCode == null ? "(timed out, killed)" : exitCode)
          + "\nstdout: "
          + Printable.text(stdout, 4000)
          + "\nstderr: "
          + Printable.text(stderr, 4000)
          + "\n";
    }
  }

  /** {@code java -jar <deploy.jar> <args>}, a mutable list. */
  public static List<String> command(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(LocalRunner.deployJar().toString());
    command.addAll(List.of(args));
    return command;
  }

  /**
   * The test JVM's environment without any {@code DEPLOY_*} variable (a tool must get its key and
   * format from its command line) nor the JVM option variables (whose "Picked up" notice lands on
   * stderr), as {@link LocalRunner} runs programs.
   */
  public static Map<String, String> environment() {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeIf(name -> name.startsWith("DEPLOY_") || DROPPED_VARIABLES.contains(name));
    return env;
  }

  /** Writes a new cluster key to {@code file} with {@code deploy.jar keygen}; returns the file. */
  public static Path keygen(Path file) {
    Result r = run(Duration.ofSeconds(60), "keygen", file.toString());
    if (r.exitCode() == null || r.exitCode() != 0) {
      throw new IllegalStateException("keygen failed:\n" + r.context());
    }
    return file;
  }

  /**
   * Runs {@code java -jar deploy.jar <args>} with {@link #environment()} and stdin at its end until
   * it exits; after {@code timeout} it is killed with its descendants and the result has no exit
   * code.
   */
  public static Result run(Duration timeout, String... args) {
    return exec(timeout, command(args), null, Map.of());
  }

  /**
   * Runs {@code command} in {@code directory} (null: this one) with {@link #environment()} plus
   * {@code extra} and stdin at its end until it exits; after {@code timeout} it is killed with its
   * descendants and the result has no exit code.
   */
  public static Result exec(
      Duration timeout, List<String> command, Path directory, Map<String, String> extra) {
    ProcessBuilder builder = new ProcessBuilder(command);
    if (directory != null) {
      builder.directory(directory.toFile());
    }
    builder.environment().clear();
    builder.environment().putAll(environment());
    builder.environment().putAll(extra);
    Process process;
    try {
      process = builder.start();
      process.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
    CompletableFuture<String> out = drain(process.getInputStream());
    CompletableFuture<String> err = drain(process.getErrorStream());
    Integer code = null;
    try {
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        code = process.exitValue();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (code == null) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    }
    return new Result(command, code, out.join(), err.join());
  }

  private static CompletableFuture<String> drain(InputStream in) {
    CompletableFuture<String> text = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              ByteArrayOutputStream bytes = new ByteArrayOutputStream();
              try (in) {
                in.transferTo(bytes);
              } catch (IOException e) {
                // Killed: what came so far is the answer.
              }
              text.complete(bytes.toString(UTF_8));
            },
            "e2e-tool-output");
    t.setDaemon(true);
    t.start();
    return text;
  }
}
