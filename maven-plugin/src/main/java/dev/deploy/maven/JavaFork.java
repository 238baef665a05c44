package dev.deploy.maven;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;

/**
 * A JVM the plugin forks: its output goes straight to Maven's (so deploy sees a terminal where
 * Maven has one), Maven's end (Ctrl-C) ends it, and an exit code other than 0 fails the build.
 *
 * <p>Not thread safe: one mojo runs one fork at a time.
 */
final class JavaFork {
  private final String what;
  private final List<String> command;
  private final File directory;
  private final Map<String, String> environment;

  /**
   * A fork of {@code command}, named {@code what} in errors, in {@code directory} with {@code
   * environment} on top of Maven's.
   */
  JavaFork(String what, List<String> command, File directory, Map<String, String> environment) {
    this.what = what;
    this.command = List.copyOf(command);
    this.directory = directory;
    this.environment = Map.copyOf(environment);
  }

  /** Returns the java executable of the JDK that runs Maven. */
  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Returns the command line. */
  List<String> command() {
    return command;
  }

  /**
   * Runs the fork to its end.
   *
   * @throws MojoFailureException when it exits with a code other than 0, naming the code
   * @throws MojoExecutionException when it cannot start
   */
  void run() throws MojoExecutionException, MojoFailureException {
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO().directory(directory);
    builder.environment().putAll(environment);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new MojoExecutionException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
    // SIGTERM, not SIGKILL: deploy's own hook then stops every process of the run.
    Thread stop = new Thread(process::destroy, "deploy-maven-plugin-stop");
    Runtime.getRuntime().addShutdownHook(stop);
    int code;
    try {
      code = process.waitFor();
    } catch (InterruptedException e) {
      process.destroy();
      Thread.currentThread().interrupt();
      throw new MojoExecutionException(what + " was interrupted", e);
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(stop);
      } catch (IllegalStateException e) {
        // Maven is shutting down: the hook stops the fork.
      }
    }
    if (code != 0) {
      throw new MojoFailureException(what + " exited with " + code);
    }
  }
}
