package dev.deploy.process;

import dev.deploy.Resources;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The command line of a program's JVM, split into the java executable, the JVM options and the rest
 * (main class or {@code -jar}/{@code -m} and the program's arguments), so a spawned process can get
 * the same command with its own resources.
 *
 * <p>Immutable and thread safe.
 */
public final class JvmCommand {
  /** Options whose value is the next argument. */
  private static final Set<String> TAKES_VALUE =
      Set.of(
          "-cp",
          "-classpath",
          "--class-path",
          "-p",
          "--module-path",
          "--upgrade-module-path",
          "--add-modules",
          "--limit-modules",
          "--add-reads",
          "--add-exports",
          "--add-opens",
          "--patch-module",
          "--enable-native-access",
          "--source");

  /** Absolute path of the java executable. */
  private final String java;

  /** JVM options as given, without agents, debuggers and the memory/cpu options we set. */
  private final List<String> options;

  /** From the main class (or -jar, -m) on: the program and its arguments. */
  private final List<String> program;

  JvmCommand(String java, List<String> options, List<String> program) {
    this.java = java;
    this.options = List.copyOf(options);
    this.program = List.copyOf(program);
  }

  /**
   * Returns the command of a program deployed to a cluster: this JVM's java, the program's JVM
   * {@code options}, a class path of this runtime's jar (first, so a program runs with the
   * cluster's version of the library) and then the program's {@code jars}, {@code mainClass} and
   * its {@code arguments}.
   */
  public static JvmCommand deployed(
      List<Path> jars, String mainClass, List<String> arguments, List<String> options) {
    List<String> classPath = new ArrayList<>();
    Path runtime = runtimeJar();
    if (runtime != null) {
      classPath.add(runtime.toString());
    }
    jars.forEach(j -> classPath.add(j.toString()));
    List<String> all = new ArrayList<>(options);
    all.add("-cp");
    all.add(String.join(File.pathSeparator, classPath));
    List<String> program = new ArrayList<>();
    program.add(mainClass);
    program.addAll(arguments);
    return new JvmCommand(currentJava(), all, program);
  }

  /** Returns the jar this runtime was loaded from, or null when it is not a jar. */
  public static Path runtimeJar() {
    try {
      CodeSource source = JvmCommand.class.getProtectionDomain().getCodeSource();
      if (source == null) {
        return null;
      }
      Path p = Path.of(source.getLocation().toURI());
      return p.toString().endsWith(".jar") ? p : null;
    } catch (URISyntaxException | RuntimeException e) {
      return null;
    }
  }

  /** Returns the java executable of this JVM. */
  public static String currentJava() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElseGet(() -> System.getProperty("java.home") + "/bin/java");
  }

  /**
   * Returns the command line of this JVM, as the operating system recorded it (so options from
   * {@code JAVA_TOOL_OPTIONS} and {@code JDK_JAVA_OPTIONS} are not in it: the environment, which
   * children inherit, brings them back).
   *
   * @throws IllegalStateException when this platform does not tell a process its arguments
   */
  public static JvmCommand current() {
    ProcessHandle.Info info = ProcessHandle.current().info();
    String java = info.command().orElseGet(() -> System.getProperty("java.home") + "/bin/java");
    String[] args =
        info.arguments()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "this platform does not tell a JVM its own command line"));
    return parse(java, List.of(args));
  }

  /** Splits {@code args} (the arguments after the executable) into options and program. */
  public static JvmCommand parse(String java, List<String> args) {
    List<String> options = new ArrayList<>();
    int i = 0;
    while (i < args.size()) {
      String arg = args.get(i);
      if (arg.equals("-jar")
          || arg.equals("-m")
          || arg.equals("--module")
          || arg.startsWith("--module=")
          || !arg.startsWith("-")) {
        break;
      }
      if (TAKES_VALUE.contains(arg) && i + 1 < args.size()) {
        options.add(arg);
        options.add(args.get(i + 1));
        i += 2;
        continue;
      }
      if (!dropped(arg)) {
        options.add(arg);
      }
      i++;
    }
    return new JvmCommand(java, options, args.subList(i, args.size()));
  }

  /** Agents, debuggers and the options {@link #forResources} sets itself. */
  private static boolean dropped(String option) {
    return option.startsWith("-agentlib:")
        || option.startsWith("-agentpath:")
        || option.startsWith("-javaagent:")
        || option.startsWith("-Xrunjdwp")
        || option.equals("-Xdebug")
        || option.startsWith("-Xmx")
        || option.startsWith("-Xms")
        || option.startsWith("-XX:MaxHeapSize=")
        || option.startsWith("-XX:InitialHeapSize=")
        || option.startsWith("-XX:ActiveProcessorCount=");
  }

  /**
   * Returns the heap for a process of {@code memory} bytes: three quarters of it, leaving the rest
   * for metaspace, code, threads and direct buffers.
   */
  public static long heapFor(long memory) {
    return Math.max(16L << 20, memory / 4 * 3) >> 20 << 20;
  }

  /**
   * Returns the young generation a JVM with a heap of {@code heap} bytes starts with ({@code
   * -XX:NewSize}): a quarter of the heap, at most 64 MiB. Left to the JVM, a heap starts at 1/64 of
   * the process's memory (16 MiB for 1 GiB) and its young generation at a third of that, so a
   * process receiving large values collected every few values, and each collection moved the value
   * being received (larger than a survivor space) into the old generation, which a full collection
   * then emptied every ten or so: measured, a third of a receiver's time in pauses during a stream
   * of 1 MiB values (docs/benchmarks.md). The young generation still grows as the JVM sees fit, and
   * a program's own {@code -Xmn} or {@code -XX:NewSize} comes after this and wins.
   */
  public static long youngFor(long heap) {
    return Math.max(1L << 20, Math.min(heap / 4, 64L << 20)) >> 20 << 20;
  }

  /** Returns the processor count a JVM with {@code cpu} cores should see: at least 1. */
  public static int processorsFor(double cpu) {
    return (int) Math.max(1, Math.ceil(cpu));
  }

  /** Returns the command line for a process with {@code resources}. */
  public List<String> forResources(Resources resources) {
    return forResources(resources, List.of());
  }

  /** Returns the command line for a process with {@code resources} and the runtime's options. */
  public List<String> forResources(Resources resources, List<String> runtimeOptions) {
    List<String> command = new ArrayList<>(options.size() + program.size() + 8);
    command.add(java);
    command.addAll(runtimeOptions);
    long heap = heapFor(resources.memory());
    command.add("-XX:NewSize=" + (youngFor(heap) >> 20) + "m"); // before the program's own
    command.addAll(options);
    command.add("-Xmx" + (heap >> 20) + "m");
    command.add("-XX:ActiveProcessorCount=" + processorsFor(resources.cpu()));
    command.addAll(program);
    return command;
  }

  /**
   * Returns the command line as given, without the memory and processor options {@link
   * #forResources} adds: for a JVM that only runs up to {@code init} (the cluster's probe), whose
   * heap must not contradict the program's own options.
   */
  public List<String> asGiven() {
    List<String> command = new ArrayList<>(options.size() + program.size() + 1);
    command.add(java);
    command.addAll(options);
    command.addAll(program);
    return command;
  }

  /**
   * Returns {@link #asGiven()} with the heap capped at {@code heapBytes} ({@code -Xmx}, after the
   * program's options, whose own heap options are dropped already): the probe's fixed budget.
   */
  public List<String> asGivenWithHeap(long heapBytes) {
    List<String> command = new ArrayList<>(options.size() + program.size() + 2);
    command.add(java);
    command.addAll(options);
    long heap = Math.max(heapBytes, minHeapBytes()); // never below what the program asks for
    command.add("-Xmx" + Math.max(1, (heap + (1 << 20) - 1) >> 20) + "m");
    command.addAll(program);
    return command;
  }

  /**
   * Returns the smallest heap the program's own options ask for ({@code -Xms}, {@code
   * -XX:MinHeapSize}, {@code -XX:InitialHeapSize}; the last of each wins), or 0: a JVM given a
   * smaller {@code -Xmx} than that does not start.
   */
  public long minHeapBytes() {
    long min = 0;
    for (String o : options) {
      String value = null;
      if (o.startsWith("-Xms")) {
        value = o.substring(4);
      } else if (o.startsWith("-XX:MinHeapSize=")) {
        value = o.substring("-XX:MinHeapSize=".length());
      } else if (o.startsWith("-XX:InitialHeapSize=")) {
        value = o.substring("-XX:InitialHeapSize=".length());
      }
      if (value != null) {
        min = Math.max(min, jvmSize(value));
      }
    }
    return min;
  }

  /** Parses a JVM option's size: digits, then k, m, g or t in either case; 0 when malformed. */
  static long jvmSize(String value) {
    if (value.isEmpty()) {
      return 0;
    }
    char unit = Character.toLowerCase(value.charAt(value.length() - 1));
    int shift =
        switch (unit) {
          case 'k' -> 10;
          case 'm' -> 20;
          case 'g' -> 30;
          case 't' -> 40;
          default -> 0;
        };
    String digits = shift == 0 ? value : value.substring(0, value.length() - 1);
    try {
      long n = Long.parseLong(digits);
      return n < 0 || n > (Long.MAX_VALUE >> shift) ? 0 : n << shift;
    } catch (NumberFormatException e) {
      return 0; // the JVM itself says what is wrong with it
    }
  }

  /** Returns the java executable. */
  public String java() {
    return java;
  }

  /** Returns the kept JVM options. */
  public List<String> options() {
    return options;
  }

  /** Returns the main class (or -jar, -m) and the program's arguments. */
  public List<String> program() {
    return program;
  }

  /** Returns the value of the class path option, if the command has one. */
  public Optional<String> classPath() {
    for (int i = 0; i + 1 < options.size(); i++) {
      String o = options.get(i);
      if (o.equals("-cp") || o.equals("-classpath") || o.equals("--class-path")) {
        return Optional.of(options.get(i + 1));
      }
    }
    for (String o : options) {
      if (o.startsWith("--class-path=")) {
        return Optional.of(o.substring("--class-path=".length()));
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return String.join(" ", forResources(Resources.DEFAULT));
  }
}
