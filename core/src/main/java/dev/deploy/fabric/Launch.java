package dev.deploy.fabric;

import dev.deploy.Pid;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventSink;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.master.LaunchException;
import dev.deploy.master.LaunchOrder;
import dev.deploy.master.Launched;
import dev.deploy.process.CgroupGroup;
import dev.deploy.process.ProcessFence;
import dev.deploy.wire.Control;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One process a fabric started, from its launch to its exit: the fabric is its monitor. Output that
 * arrives before the process registers is held (bounded) so its {@code Spawned} event comes first;
 * a process that dies before registering fails its launch with its own stderr as the reason. The
 * exit is reported once both pipes ended and the control connection closed, so the last output and
 * the exit notice are never lost; while the program's output is paused (its client is behind) the
 * pumps hold an exited process's last output and the exit waits for them (see {@link OutputPump}).
 *
 * <p>Thread safe: pump, control and exit threads call it; its state is under one lock, and it emits
 * events under that lock so a process's events keep their order.
 */
final class Launch {
  /** Output held before registration; pumps wait when it is full. */
  private static final int PRELUDE_LIMIT = 1 << 20;

  /** How long the pipes may stay open after the process exited (a grandchild holding them). */
  private static final long PIPE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

  /** How long the control connection may stay open after the process exited. */
  private static final long CONTROL_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

  enum State {
    STARTING,
    /** A pool JVM registered and waits inside init for a task; the run does not see it yet. */
    WARM,
    RUNNING,
    ENDED
  }

  final long id;

  /** What to run; a pool JVM gets its real order when it is handed out. Guarded by lock. */
  private LaunchOrder order;

  /** True for a JVM started for the warm pool: silent until {@link #activate}. */
  final boolean warm;

  private final EventSink sink;
  private final ReentrantLock lock = new ReentrantLock();

  /** Signalled on every state, eof or control change. */
  private final Condition changed = lock.newCondition();

  /** Guarded by lock. */
  private State state = State.STARTING;

  /** Set once, when the process registers; guarded by lock. */
  private Pid pid;

  /** Set once, right after the process starts. */
  private volatile Process process;

  /**
   * The spawn a pool JVM runs as soon as it registers, set when a spawn took it while it was still
   * starting; null otherwise. Guarded by lock.
   */
  private LaunchOrder claimed;

  /** Set by kill(): a process started after it is killed at once. Guarded by lock. */
  private boolean killed;

  /** The process's cgroup, set with the process; null when the machine gives none. */
  private volatile CgroupGroup group;

  /** Output before registration, per fd (index 1, 2); guarded by lock. */
  private final ByteArrayOutputStream[] prelude = {
    null, new ByteArrayOutputStream(), new ByteArrayOutputStream()
  };

  /** Whether fd 1, 2 reached their end; guarded by lock. */
  private final boolean[] eof = new boolean[3];

  /**
   * Whether the pump of fd 1, 2 waits at its program's closed gate (the client is behind): such a
   * pipe is held, not stuck, so the exit waits for it without a deadline. Guarded by lock.
   */
  private final boolean[] pipeHeld = new boolean[3];

  /** The registered control connection, or null; guarded by lock. */
  private ControlSession control;

  /** True while a registered control connection is open; guarded by lock. */
  private boolean controlOpen;

  /** The signal the process said it exits by, 0 for its own exit, -1 for no notice. */
  private int exitingSignal = -1;

  /** Why the launch failed before registering, when the fabric decided it; guarded by lock. */
  private String failure;

  final CompletableFuture<Launched> launched = new CompletableFuture<>();
  private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();

  /** How long the pipes may stay open after the exit: {@link #PIPE_GRACE_NANOS}; a test's own. */
  private final long pipeGraceNanos;

  Launch(long id, LaunchOrder order, EventSink sink, boolean warm) {
    this(id, order, sink, warm, PIPE_GRACE_NANOS);
  }

  /**
   * As the other constructor, giving the pipes {@code pipeGraceNanos} after the exit; for tests.
   */
  Launch(long id, LaunchOrder order, EventSink sink, boolean warm, long pipeGraceNanos) {
    this.pipeGraceNanos = pipeGraceNanos;
    this.id = id;
    this.order = order;
    this.sink = sink;
    this.warm = warm;
  }

  /** Returns the order (for a pool JVM, the resources it was started with until handed out). */
  LaunchOrder order() {
    lock.lock();
    try {
      return order;
    } finally {
      lock.unlock();
    }
  }

  /** Returns the state. */
  State state() {
    lock.lock();
    try {
      return state;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The JVM started. Returns false when the launch was killed before it had a process: then the
   * process is killed now, and its exit is reported as usual.
   */
  boolean started(Process process, CgroupGroup group) {
    lock.lock();
    try {
      this.group = group;
      this.process = process;
      if (!killed) {
        return true;
      }
    } finally {
      lock.unlock();
    }
    kill();
    return false;
  }

  /** Returns the process's cgroup, or null when it runs without one. */
  CgroupGroup group() {
    return group;
  }

  /** Returns the process, once started. */
  Process process() {
    return process;
  }

  /** Returns the future of the process's end; completes only for a registered process. */
  CompletableFuture<ExitStatus> exitFuture() {
    return exit;
  }

  /** Returns the pid, or null before registration. */
  Pid pid() {
    lock.lock();
    try {
      return pid;
    } finally {
      lock.unlock();
    }
  }

  /** Pump thread: a chunk of fd 1 or 2. */
  void onOutput(int fd, byte[] data) {
    lock.lock();
    try {
      while ((state == State.STARTING || state == State.WARM)
          && preludeSize() + data.length > PRELUDE_LIMIT) {
        changed.awaitUninterruptibly();
      }
      if (eof[fd]) {
        return;
      }
      if (state == State.RUNNING) {
        sink.onEvent(new Event.Output(pid, fd, data));
      } else if (prelude[fd].size() < PRELUDE_LIMIT) {
        prelude[fd].write(data, 0, Math.min(data.length, PRELUDE_LIMIT - prelude[fd].size()));
      }
    } finally {
      lock.unlock();
    }
  }

  /** Call only when holding lock. */
  private int preludeSize() {
    return prelude[1].size() + prelude[2].size();
  }

  /** Pump thread: fd 1 or 2 ended. */
  void onEof(int fd) {
    lock.lock();
    try {
      if (eof[fd]) {
        return;
      }
      eof[fd] = true;
      if (state == State.RUNNING) {
        sink.onEvent(new Event.Eof(pid, fd));
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Pump thread: the pump of {@code fd} waits (or stops waiting) at its program's closed gate. The
   * exit then waits for the pipe as long as it is held: the gate opens when the client reads on,
   * and when the program is removed (the client went away).
   */
  void onPipeHeld(int fd, boolean held) {
    lock.lock();
    try {
      pipeHeld[fd] = held;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Control thread: the process registered as {@code registered}. Emits its Spawned event, then the
   * output it wrote so far, then tells it what to run. Returns false when the launch is no longer
   * waiting for a registration (a second Hello, or it already failed).
   */
  boolean onHello(ControlSession session, Pid registered) {
    lock.lock();
    try {
      if (state != State.STARTING) {
        return false;
      }
      pid = registered;
      control = session;
      controlOpen = true;
      if (warm && claimed == null) {
        state = State.WARM; // waits inside init, unseen, until a spawn takes it
        changed.signalAll();
        return true;
      }
      if (claimed != null) {
        order = claimed; // a spawn took it while it started: it runs that at once
      }
      state = State.RUNNING;
      emitStart();
    } finally {
      lock.unlock();
    }
    launched.complete(new Launched(registered, exit));
    if (!warm) {
      sink.onLaunchSettled(); // a pool JVM's start was never counted as pending
    }
    return true;
  }

  /**
   * Spawn thread: gives this pool JVM, still starting, the spawn {@code real} to run as soon as it
   * registers; {@link #launched} then completes for that spawn. Returns false when it is not a pool
   * JVM that is still starting and unclaimed (it registered, ended or was killed meanwhile).
   */
  boolean claim(LaunchOrder real) {
    lock.lock();
    try {
      if (!warm || state != State.STARTING || claimed != null || killed) {
        return false;
      }
      claimed = real;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Spawn thread: hands this pool JVM the spawn {@code real}. Emits its Spawned event and what it
   * wrote while waiting, then sends it the task. Returns false when it is no longer waiting (it
   * died meanwhile); the caller then starts a JVM the usual way.
   */
  boolean activate(LaunchOrder real) {
    Pid registered;
    lock.lock();
    try {
      if (state != State.WARM) {
        return false;
      }
      order = real;
      state = State.RUNNING;
      registered = pid;
      emitStart();
    } finally {
      lock.unlock();
    }
    launched.complete(new Launched(registered, exit));
    return true;
  }

  /** Call only when holding lock: the Spawned event, the held output, then the task. */
  private void emitStart() {
    sink.onEvent(new Event.Spawned(pid, order.parent(), order.resources(), null));
    for (int fd = 1; fd <= 2; fd++) {
      if (prelude[fd].size() > 0) {
        sink.onEvent(new Event.Output(pid, fd, prelude[fd].toByteArray()));
        prelude[fd].reset();
      }
      if (eof[fd]) {
        sink.onEvent(new Event.Eof(pid, fd));
      }
    }
    changed.signalAll();
    control.send(new Control.Start(order.parent(), order.resources(), order.task()));
  }

  /** Control thread: the process said how it is exiting. */
  void onExiting(int signal) {
    lock.lock();
    try {
      exitingSignal = signal;
    } finally {
      lock.unlock();
    }
  }

  /** Control thread: the process's channel totals; passed on while it runs. */
  void onChannelStats(Control.ChannelStats stats) {
    lock.lock();
    try {
      if (state == State.RUNNING) {
        sink.onEvent(
            new Event.ChannelStats(
                pid,
                stats.valuesSent(),
                stats.bytesSent(),
                stats.valuesReceived(),
                stats.bytesReceived()));
      }
    } finally {
      lock.unlock();
    }
  }

  /** Control thread: the registered control connection closed. */
  void onControlClosed(ControlSession session) {
    lock.lock();
    try {
      if (control == session) {
        controlOpen = false;
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Timer thread: the process took too long to register; kill it and say why. */
  void onRegistrationTimeout(long seconds) {
    lock.lock();
    try {
      if (state != State.STARTING) {
        return;
      }
      failure = "the process did not call init() within " + seconds + " s of its start";
    } finally {
      lock.unlock();
    }
    kill();
  }

  /** Launch thread: the process could not be started at all. */
  void onStartFailed(String reason) {
    lock.lock();
    try {
      state = State.ENDED;
    } finally {
      lock.unlock();
    }
    // Settled before the spawner hears of it, so whoever waits on the failure sees the books right.
    if (!warm) {
      sink.onLaunchSettled();
    }
    launched.completeExceptionally(new LaunchException(reason));
  }

  /**
   * Exit thread: the process ended. Waits (bounded) for both pipes and the control connection to
   * end, then reports the exit, or fails the launch when the process never registered.
   */
  void onProcessExit() {
    Process p = process;
    lock.lock();
    ExitStatus status;
    String failed = null;
    try {
      if (!awaitPipes(pipeGraceNanos)) {
        lock.unlock();
        try {
          closeQuietly(p);
        } finally {
          lock.lock();
        }
        if (!awaitPipes(pipeGraceNanos)) {
          // A grandchild still holds a pipe and a blocked read cannot be interrupted: end the
          // stream here; the pump's late chunks are dropped.
          for (int fd = 1; fd <= 2; fd++) {
            if (!eof[fd]) {
              eof[fd] = true;
              if (state == State.RUNNING) {
                sink.onEvent(new Event.Eof(pid, fd));
              }
            }
          }
        }
      }
      awaitNanos(() -> !controlOpen, CONTROL_GRACE_NANOS);
      status = statusOf(p.exitValue(), exitingSignal);
      CgroupGroup g = group;
      if (status.kind() == ExitStatus.Kind.KILLED
          && status.value() == 9
          && g != null
          && g.oomKilled()) {
        // Read before the fabric closes (removes) the group; the limit is what the spawn asked.
        status = ExitStatus.killedByMemoryLimit(order.resources().memory());
      }
      if (state == State.RUNNING) {
        state = State.ENDED;
        sink.onEvent(new Event.Exit(pid, status));
      } else if (state == State.STARTING) {
        state = State.ENDED;
        failed = failure != null ? failure : startFailure(status);
      } else if (state == State.WARM) {
        state = State.ENDED; // a pool JVM that nobody took: the run never saw it
        changed.signalAll();
        return;
      } else {
        return;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (failed != null) {
      launched.completeExceptionally(new LaunchException(failed));
      if (!warm) {
        sink.onLaunchSettled();
      }
    } else {
      exit.complete(status);
    }
  }

  /**
   * Call only when holding lock. Waits until both pipes ended; returns false when they did not
   * within {@code nanos}. The time runs only while no pipe is held at a closed gate: a paused
   * client's pipes are waited for as long as the pause lasts, so their output is never given up.
   */
  private boolean awaitPipes(long nanos) {
    long left = nanos;
    while (!(eof[1] && eof[2])) {
      if ((pipeHeld[1] && !eof[1]) || (pipeHeld[2] && !eof[2])) {
        try {
          changed.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return eof[1] && eof[2];
        }
        continue;
      }
      if (left <= 0) {
        return false;
      }
      try {
        left = changed.awaitNanos(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return eof[1] && eof[2];
      }
    }
    return true;
  }

  /** Call only when holding lock. Returns whether the condition came true in time. */
  private boolean awaitNanos(java.util.function.BooleanSupplier done, long nanos) {
    long left = nanos;
    while (!done.getAsBoolean()) {
      if (left <= 0) {
        return false;
      }
      try {
        left = changed.awaitNanos(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return done.getAsBoolean();
      }
    }
    return true;
  }

  /** Call only when holding lock. The reason a process that never registered gives. */
  private String startFailure(ExitStatus status) {
    String stderr = new String(prelude[2].toByteArray(), StandardCharsets.UTF_8).strip();
    String stdout = new String(prelude[1].toByteArray(), StandardCharsets.UTF_8).strip();
    String said = !stderr.isEmpty() ? stderr : stdout;
    String how =
        status.kind() == ExitStatus.Kind.KILLED
            ? "was killed by signal " + status.value()
            : "exited with code " + status.value();
    if (status.kind() == ExitStatus.Kind.EXITED
        && status.value() == CgroupGroup.NOT_CONFINED_EXIT
        && stderr.contains(CgroupGroup.NOT_CONFINED)) {
      // The cgroup wrapper refused to run it unconfined: its line says which file failed.
      return "the process was not started: "
          + stderr.substring(stderr.indexOf(CgroupGroup.NOT_CONFINED)).lines().findFirst().get();
    }
    String reason = said.isEmpty() ? "" : ": " + lastLines(said, 6);
    return "the new JVM " + how + " before it called init()" + reason;
  }

  private static String lastLines(String text, int n) {
    String[] lines = text.split("\n");
    int from = Math.max(0, lines.length - n);
    return String.join(" / ", java.util.Arrays.copyOfRange(lines, from, lines.length)).strip();
  }

  /**
   * The status of a process that exited with {@code code}: an exit notice tells its own exit from a
   * signal; without one (SIGKILL, a crash) a code over 128 is 128 + the signal.
   */
  static ExitStatus statusOf(int code, int exitingSignal) {
    if (exitingSignal > 0) {
      return ExitStatus.killed(exitingSignal);
    }
    if (exitingSignal < 0 && code > 128 && code < 128 + 65) {
      return ExitStatus.killed(code - 128);
    }
    return ExitStatus.exited(code);
  }

  /**
   * Kills the process, its process group, its descendants and its cgroup, at once, with SIGKILL; a
   * launch whose JVM is not started yet is killed as soon as it is.
   */
  void kill() {
    Process p;
    lock.lock();
    try {
      killed = true;
      p = process;
    } finally {
      lock.unlock();
    }
    if (p != null) {
      ProcessFence.shared().kill(p); // its process group, then what Java sees under it
      CgroupGroup g = group;
      if (g != null) {
        g.kill(); // and whatever left the group but not the cgroup
      }
    }
  }

  private static void closeQuietly(Process p) {
    try {
      p.getInputStream().close();
    } catch (IOException ignored) {
      // Closing only to end the pump.
    }
    try {
      p.getErrorStream().close();
    } catch (IOException ignored) {
      // Closing only to end the pump.
    }
  }

  @Override
  public String toString() {
    Pid p = pid();
    return "launch " + Long.toHexString(id) + (p == null ? "" : " (" + p + ")");
  }
}
