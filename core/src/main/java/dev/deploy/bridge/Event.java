package dev.deploy.bridge;

import dev.deploy.Pid;

/**
 * What the bridge hears about a process: its spawn, a chunk of its output, the end of one of its
 * output streams, and its end. A process has one {@link Spawned} before any other event and its
 * {@link Exit} after the {@link Eof} of both fd 1 and fd 2.
 */
public sealed interface Event {
  /** Returns the process this event is about. */
  Pid pid();

  /** A process now exists; {@code parent} is null for the first process of a run. */
  record Spawned(Pid pid, Pid parent) implements Event {}

  /** Bytes the process wrote to fd 1 (stdout) or fd 2 (stderr), exactly as written. */
  record Output(Pid pid, int fd, byte[] data) implements Event {}

  /** The process's fd 1 or fd 2 reached its end. */
  record Eof(Pid pid, int fd) implements Event {}

  /** The process ended. */
  record Exit(Pid pid, ExitStatus status) implements Event {}
}
