package dev.deploy.runtime;

import java.util.Optional;

/**
 * Recognises a program started by a launcher whose JVM a spawned process cannot repeat: a local run
 * starts every process with this JVM's own command line ({@code process.JvmCommand}), which brings
 * back the class path, not a class loader built at run time nor a thread of someone else's JVM.
 * Maven's {@code exec:java} runs {@code main} on a thread of Maven's JVM with its own class loader;
 * the single-file source launcher ({@code java Main.java}) compiles into memory; a Spring Boot fat
 * jar loads nested jars with its own class loader. Each case gets one sentence that names it and
 * says how to start the program instead.
 *
 * <p>Stateless; called once, from {@code init} in the JVM the user started.
 */
final class ForeignLauncher {
  /** What to use instead, for the sentences. */
  private static final String PLUGIN = "mvn dev.deploy:deploy-maven-plugin:run";

  private ForeignLauncher() {}

  /**
   * Returns why this JVM cannot start the program's processes, if it cannot: looks at the current
   * thread, the class loader of the class that called {@code init} and this library's own.
   */
  static Optional<String> problemOfThisJvm() {
    Thread thread = Thread.currentThread();
    ThreadGroup group = thread.getThreadGroup();
    ClassLoader system = ClassLoader.getSystemClassLoader();
    String foreign = null;
    for (ClassLoader loader :
        new ClassLoader[] {callerLoader(), ForeignLauncher.class.getClassLoader()}) {
      if (!rebuildable(loader, system)) {
        foreign = loader.getClass().getName();
        break;
      }
    }
    return problem(
        thread.getName(),
        group == null ? null : group.getName(),
        foreign,
        System.getProperty("sun.java.command", ""));
  }

  /**
   * Returns why a program cannot be started again, or empty when it can.
   *
   * @param threadName the thread that called {@code init}
   * @param groupName its thread group's name, null when it has ended
   * @param foreignLoader the class name of a class loader that loaded the program or the library
   *     and that the class path of a new JVM does not bring back; null when there is none
   * @param javaCommand the JVM's {@code sun.java.command}: its main class and arguments
   */
  static Optional<String> problem(
      String threadName, String groupName, String foreignLoader, String javaCommand) {
    String loader = foreignLoader == null ? "" : foreignLoader;
    boolean mainThread = threadName.equals("main") && "main".equals(groupName);
    if (loader.startsWith("org.codehaus.mojo.exec")
        || javaCommand.startsWith("org.codehaus.plexus.classworlds")) {
      String main = threadName.endsWith(".main()") ? threadName.replace(".main()", "") : "<Main>";
      return Optional.of(
          "init() runs inside Maven's own JVM (mvn exec:java runs main on Maven's thread \""
              + threadName
              + "\" with a class loader a new JVM cannot rebuild), so its processes could not be"
              + " started: run the program with "
              + PLUGIN
              + " -Ddeploy.mainClass="
              + main
              + ", with exec:exec, or with java -cp");
    }
    if (loader.startsWith("com.sun.tools.javac.launcher")) {
      return Optional.of(
          "init() runs in a program started by the single-file source launcher (java Main.java),"
              + " whose classes are compiled in memory where a new JVM cannot load them: compile"
              + " it (javac -cp deploy.jar -d classes Main.java) and run java -cp"
              + " deploy.jar:classes Main");
    }
    if (loader.startsWith("org.springframework.boot.loader")) {
      return Optional.of(
          "init() runs in a Spring Boot fat jar, whose nested jars only its own class loader ("
              + loader
              + ") can load, not a new JVM's class path: run the program with java -cp and its"
              + " jars (or "
              + PLUGIN
              + ") instead of java -jar on the fat jar");
    }
    if (!mainThread) {
      return Optional.of(
          "init() was called on thread \""
              + threadName
              + "\", not on the JVM's main thread, so the launcher that started this program is"
              + " not one deploy can repeat for its processes: call it first in main() and start"
              + " the program with java -cp, java -jar or "
              + PLUGIN);
    }
    if (foreignLoader != null) {
      return Optional.of(
          "init() runs in classes loaded by "
              + foreignLoader
              + ", not from the JVM's class path, so a new JVM started like this one could not"
              + " load them: start the program with java -cp <its class path> <main class>");
    }
    return Optional.empty();
  }

  /** Returns whether a JVM with this one's class path loads what {@code loader} loaded. */
  static boolean rebuildable(ClassLoader loader, ClassLoader system) {
    for (ClassLoader l = system; l != null; l = l.getParent()) {
      if (l == loader) {
        return true;
      }
    }
    return loader == null;
  }

  /** Returns the class loader of the first caller outside the library's entry points. */
  private static ClassLoader callerLoader() {
    return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
        .walk(
            frames ->
                frames
                    .map(StackWalker.StackFrame::getDeclaringClass)
                    .filter(
                        c ->
                            !c.getName().equals("dev.deploy.Deploy")
                                && !c.getPackageName().equals("dev.deploy.runtime"))
                    .findFirst()
                    .map(Class::getClassLoader)
                    .orElse(ClassLoader.getSystemClassLoader()));
  }
}
