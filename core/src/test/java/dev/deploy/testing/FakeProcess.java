package dev.deploy.testing;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Process} that runs nothing: its stdout and stderr are the bytes it was given, as a pipe
 * holds them once the writer closed its end, and it exits when the test calls {@link #exit(int)}.
 * {@link #unread(int)} tells how much of a pipe is still unread. Thread safe.
 */
public final class FakeProcess extends Process {
  private final ByteArrayInputStream stdout;
  private final ByteArrayInputStream stderr;
  private final CompletableFuture<Process> exited = new CompletableFuture<>();
  private volatile int code;

  /** A process that wrote {@code stdout} and {@code stderr}, and will write nothing more. */
  public FakeProcess(byte[] stdout, byte[] stderr) {
    this.stdout = new ByteArrayInputStream(stdout);
    this.stderr = new ByteArrayInputStream(stderr);
  }

  /** A process that writes nothing. */
  public FakeProcess() {
    this(new byte[0], new byte[0]);
  }

  /** A process that already exited with {@code code}. */
  public static FakeProcess exited(int code) {
    FakeProcess p = new FakeProcess();
    p.exit(code);
    return p;
  }

  /** Ends the process with {@code exitCode}; later calls change nothing. */
  public void exit(int exitCode) {
    if (!exited.isDone()) {
      code = exitCode;
      exited.complete(this);
    }
  }

  /** Returns whether the process was killed (or ended) by now. */
  public boolean ended() {
    return exited.isDone();
  }

  /** Returns the bytes of fd 1 or 2 nobody has read yet. */
  public int unread(int fd) {
    return (fd == 1 ? stdout : stderr).available();
  }

  @Override
  public OutputStream getOutputStream() {
    return OutputStream.nullOutputStream();
  }

  @Override
  public InputStream getInputStream() {
    return stdout;
  }

  @Override
  public InputStream getErrorStream() {
    return stderr;
  }

  @Override
  public int waitFor() throws InterruptedException {
    try {
      exited.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("never completed exceptionally", e);
    }
    return code;
  }

  @Override
  public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
    try {
      exited.get(timeout, unit);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("never completed exceptionally", e);
    }
  }

  @Override
  public int exitValue() {
    if (!exited.isDone()) {
      throw new IllegalThreadStateException("the fake process has not exited");
    }
    return code;
  }

  @Override
  public boolean isAlive() {
    return !exited.isDone();
  }

  @Override
  public CompletableFuture<Process> onExit() {
    return exited;
  }

  @Override
  public void destroy() {
    exit(143);
  }

  @Override
  public Process destroyForcibly() {
    exit(137);
    return this;
  }

  /** This JVM's own pid, which {@code ProcessFence} never signals as a group: safe to "kill". */
  @Override
  public long pid() {
    return ProcessHandle.current().pid();
  }

  @Override
  public java.util.stream.Stream<ProcessHandle> descendants() {
    return java.util.stream.Stream.empty();
  }

  @Override
  public java.util.stream.Stream<ProcessHandle> children() {
    return java.util.stream.Stream.empty();
  }
}
