package dev.deploy.fabric;

import dev.deploy.bridge.EventSink;
import dev.deploy.process.JvmCommand;

/**
 * A program a fabric runs processes of: one local run, or one deployment on a cluster.
 *
 * @param id the number the master's orders name it by
 * @param command the command line of its JVMs (java, options, class path, main class, arguments)
 * @param sink where its processes' events go: its bridge
 * @param stdinForMain whether its first process reads this JVM's stdin (a local run)
 * @param environment variables its processes get on top of the fabric's own
 */
public record Program(
    long id,
    JvmCommand command,
    EventSink sink,
    boolean stdinForMain,
    java.util.Map<String, String> environment) {
  /** A program whose processes get the fabric's environment as it is. */
  public Program(long id, JvmCommand command, EventSink sink, boolean stdinForMain) {
    this(id, command, sink, stdinForMain, java.util.Map.of());
  }

  /** Copies the environment. */
  public Program {
    environment = java.util.Map.copyOf(environment);
  }
}
