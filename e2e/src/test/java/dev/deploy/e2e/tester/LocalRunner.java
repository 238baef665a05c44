package dev.deploy.e2e.tester;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a program as a user runs a local program: {@code java <jvm options> -cp
 * <deploy.jar>:<test-classes> <Program> <args>} with {@code DEPLOY_FORMAT=json} (unless the human
 * format is asked for) and the options' environment. The inherited environment loses every {@code
 * DEPLOY_*} variable and the JVM option variables ({@code JAVA_TOOL_OPTIONS} and the like, whose
 * "Picked up" notice would land on stderr).
 *
 * <p>Paths come from the system properties {@code deploy.jar} and {@code deploy.programs}, which
 * failsafe sets. Keeps every program it started and kills what is left of them on {@link #close()};
 * {@link ProcessCleanup} does that after each test. Used by one test thread.
 */
public final class LocalRunner implements Runner, AutoCloseable {
  private static final List<String> DROPPED_VARIABLES =
      List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

  private final Path deployJar;
  private final Path classes;
  private final List<RunningProgram> started = new ArrayList<>();

  /** A runner for the jar and classes failsafe names. */
  public LocalRunner() {
    this(deployJar(), programClasses());
  }

  /** A runner for {@code deployJar} and the compiled programs under {@code classes}. */
  public LocalRunner(Path deployJar, Path classes) {
    this.deployJar = deployJar;
    this.classes = classes;
  }

  /** The built {@code cli/target/deploy.jar}, from the {@code deploy.jar} property. */
  public static Path deployJar() {
    return existing("deploy.jar", "cli/target/deploy.jar (build it with mvn package)");
  }

  /** The compiled test classes holding the programs, from the {@code deploy.programs} property. */
  public static Path programClasses() {
    return existing("deploy.programs", "e2e/target/test-classes");
  }

  private static Path existing(String property, String what) {
    String value = System.getProperty(property);
    if (value == null) {
      throw new IllegalStateException(
          "system property "
              + property
              + " is not set: run the end-to-end tests with mvn verify,"
              + " which points it at "
              + what);
    }
    Path path = Path.of(value).toAbsolutePath().normalize();
    if (!Files.exists(path)) {
      throw new IllegalStateException(property + "=" + path + " does not exist: build " + what);
    }
    return path;
  }

  @Override
  public String name() {
    return "local";
  }

  @Override
  public RunningProgram start(Class<?> program, RunOptions options) {
    Path disposable = options.hasDisposableClasses() ? copyOfClasses() : null;
    Path classPath = disposable != null ? disposable : classes;
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(options.jvmOptions());
    command.add("-cp");
    command.add(deployJar + File.pathSeparator + classPath);
    command.add(program.getName());
    command.addAll(options.args());
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("DEPLOY_") || DROPPED_VARIABLES.contains(name));
    if (options.format() == RunOptions.Format.JSON) {
      env.put("DEPLOY_FORMAT", "json");
    }
    env.putAll(options.env());
    if (disposable != null) {
      env.put(RunOptions.DISPOSABLE_CLASSES, disposable.toString());
    }
    RunningProgram running =
        RunningProgram.start(builder, program.getName(), name(), options, disposable);
    started.add(running);
    return running;
  }

  /** Copies the compiled test classes to a new temporary directory. */
  private Path copyOfClasses() {
    try {
      Path target = Files.createTempDirectory("deploy-e2e-classes-");
      try (var paths = Files.walk(classes)) {
        for (Path source : (Iterable<Path>) paths::iterator) {
          Path copy = target.resolve(classes.relativize(source).toString());
          if (Files.isDirectory(source)) {
            Files.createDirectories(copy);
          } else {
            Files.copy(source, copy, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + classes + " to a temporary directory", e);
    }
  }

  /** Kills whatever is left of every program this runner started. */
  @Override
  public void close() {
    CloseAll.closeAll(started);
  }
}
