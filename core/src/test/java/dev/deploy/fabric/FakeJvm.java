package dev.deploy.fabric;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A {@link Process} for the fabric's tests that starts nothing and is safe to kill: its pid is this
 * JVM's own (which {@code ProcessFence} never signals as a group), it has no descendants, and a
 * kill only completes its exit with 137. Its pipes hold the bytes it was given and then end. Thread
 * safe.
 */
final class FakeJvm extends Process {
  private final InputStream stdout;
  private final InputStream stderr;
  private final CompletableFuture<Process> exited = new CompletableFuture<>();
  private volatile int code;

  /** A process that wrote {@code stdout} and {@code stderr}, and will write nothing more. */
  FakeJvm(byte[] stdout, byte[] stderr) {
    this.stdout = new ByteArrayInputStream(stdout);
    this.stderr = new ByteArrayInputStream(stderr);
  }

  /** A process that writes nothing. */
  FakeJvm() {
    this(new byte[0], new byte[0]);
  }

  /** A process that already exited with {@code code}. */
  static FakeJvm exited(int code) {
    FakeJvm p = new FakeJvm();
    p.exit(code);
    return p;
  }

  /** Ends the process with {@code exitCode}; later calls change nothing. */
  void exit(int exitCode) {
    if (!exited.isDone()) {
      code = exitCode;
      exited.complete(this);
    }
  }

  /** Returns whether the process was killed (or ended) by now. */
  boolean ended() {
    return exited.isDone();
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
    } catch (ExecutionException e) {
      throw new AssertionError("never completed exceptionally", e);
    }
    return code;
  }

  @Override
  public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
    try {
      exited.get(timeout, unit);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new AssertionError("never completed exceptionally", e);
    }
  }

  @Override
  public int exitValue() {
    if (!exited.isDone()) {
      throw new IllegalThreadStateException("the fake JVM has not exited");
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

  @Override
  public long pid() {
    return ProcessHandle.current().pid(); // never signalled as a group by ProcessFence
  }

  @Override
  public Stream<ProcessHandle> descendants() {
    return Stream.empty();
  }

  @Override
  public Stream<ProcessHandle> children() {
    return Stream.empty();
  }
}
