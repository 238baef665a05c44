package dev.deploy.e2e.tester;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How to run a program: extra environment, JVM options for the bridge's {@code java} command (the
 * runtime passes them on to every process), program arguments, the output format, a timeout, and
 * whether to run from a throw-away copy of the compiled classes. A program that needs any of these
 * declares {@code static final RunOptions RUN = RunOptions.defaults().env("DEPLOY_CAPACITY", "1GiB
 * 1");} next to its {@code EXPECTED}.
 *
 * <p>Immutable; JDK only (programs' JVMs build it in static initialisers).
 */
public final class RunOptions {
  /** How the bridge prints. */
  public enum Format {
    /** {@code DEPLOY_FORMAT=json}: stdout is parsed into a {@link ProcessTree}. */
    JSON,
    /** No {@code DEPLOY_FORMAT}: stdout and stderr are kept as bytes. */
    HUMAN
  }

  /** The environment variable that names the throw-away class directory of a run. */
  public static final String DISPOSABLE_CLASSES = "E2E_DISPOSABLE_CLASSES";

  private final Map<String, String> env;
  private final List<String> jvmOptions;
  private final List<String> args;
  private final Duration timeout;
  private final Format format;
  private final boolean disposableClasses;

  private RunOptions(
      Map<String, String> env,
      List<String> jvmOptions,
      List<String> args,
      Duration timeout,
      Format format,
      boolean disposableClasses) {
    this.env = Collections.unmodifiableMap(env);
    this.jvmOptions = List.copyOf(jvmOptions);
    this.args = List.copyOf(args);
    this.timeout = timeout;
    this.format = format;
    this.disposableClasses = disposableClasses;
  }

  /** JSON format, no extra environment, options or arguments, 60 s timeout. */
  public static RunOptions defaults() {
    return new RunOptions(
        new LinkedHashMap<>(), List.of(), List.of(), Duration.ofSeconds(60), Format.JSON, false);
  }

  /** Sets an environment variable for the bridge (and so, for every process). */
  public RunOptions env(String name, String value) {
    Map<String, String> more = new LinkedHashMap<>(env);
    more.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
    return new RunOptions(more, jvmOptions, args, timeout, format, disposableClasses);
  }

  /** Adds JVM options to the bridge's command line ({@code "-Xmx96m"}). */
  public RunOptions jvm(String... options) {
    List<String> more = new ArrayList<>(jvmOptions);
    more.addAll(List.of(options));
    return new RunOptions(env, more, args, timeout, format, disposableClasses);
  }

  /** Adds program arguments. */
  public RunOptions args(String... arguments) {
    List<String> more = new ArrayList<>(args);
    more.addAll(List.of(arguments));
    return new RunOptions(env, jvmOptions, more, timeout, format, disposableClasses);
  }

  /** The whole tree is killed and the run fails after {@code limit}. */
  public RunOptions timeout(Duration limit) {
    return new RunOptions(env, jvmOptions, args, limit, format, disposableClasses);
  }

  /** The human format: no {@code DEPLOY_FORMAT}, output kept as bytes. */
  public RunOptions human() {
    return new RunOptions(env, jvmOptions, args, timeout, Format.HUMAN, disposableClasses);
  }

  /**
   * Runs from a copy of the compiled test classes in a temporary directory, deleted after the run,
   * whose path is in {@link #DISPOSABLE_CLASSES}: the program may delete its own classes.
   */
  public RunOptions disposableClasses() {
    return new RunOptions(env, jvmOptions, args, timeout, format, true);
  }

  /** Extra environment. */
  public Map<String, String> env() {
    return env;
  }

  /** Extra JVM options. */
  public List<String> jvmOptions() {
    return jvmOptions;
  }

  /** Program arguments. */
  public List<String> args() {
    return args;
  }

  /** The run's time limit. */
  public Duration timeout() {
    return timeout;
  }

  /** The output format. */
  public Format format() {
    return format;
  }

  /** Whether to run from a throw-away copy of the classes. */
  public boolean hasDisposableClasses() {
    return disposableClasses;
  }

  @Override
  public String toString() {
    return "RunOptions[env="
        + env
        + ", jvm="
        + jvmOptions
        + ", args="
        + args
        + ", timeout="
        + timeout
        + ", format="
        + format
        + (disposableClasses ? ", disposable classes" : "")
        + "]";
  }
}
