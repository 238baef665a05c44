package dev.deploy.e2e.programs.silence;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import java.io.IOException;

/**
 * A child frozen with SIGSTOP for {@link #FROZEN_MILLIS} while its parent waits for its answer: the
 * parent prints how its wait ended ({@code answered}, or the channel's reason, {@code LOST}) and
 * after how long, as {@code <LINE> <how> <millis>}. Whether a frozen process is lost depends on the
 * run's silence limit ({@code DEPLOY_SILENCE_LIMIT}): below the freeze it is, above it the child
 * answers once it runs again. The parent stops and resumes the child by its own pid, and always
 * resumes it. Not a suite program (no {@code EXPECTED}): {@code SilenceLimitIT} runs it.
 */
public final class FrozenChild {
  /** How long the child stays stopped. */
  public static final long FROZEN_MILLIS = 4_000;

  /** The start of the parent's line. */
  public static final String LINE = "after the stop:";

  static final Resources SMALL = new Resources(128L << 20, 0.05);

  private FrozenChild() {}

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.05));
    Pid child = spawn(FrozenChild::answer, 0, SMALL).orElseThrow();
    try (Sender<Integer> out = new Sender<>(child);
        Receiver<Long> back = new Receiver<>(child)) {
      out.send(1);
      long osPid = back.recv(); // the pair is up, and this is whom to stop
      signal("STOP", osPid);
      awaitStopped(osPid);
      long stopped = System.nanoTime();
      Thread resume =
          new Thread(
              () -> {
                try {
                  Thread.sleep(FROZEN_MILLIS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } finally {
                  signal("CONT", osPid);
                }
              });
      resume.start();
      String how;
      try {
        out.send(2);
        back.recv(); // once the child runs again, unless it was counted lost before
        how = "answered";
      } catch (ChannelException e) {
        how = String.valueOf(e.reason());
      }
      long millis = (System.nanoTime() - stopped) / 1_000_000;
      System.out.println(LINE + " " + how + " " + millis);
      resume.join();
    }
  }

  /** The child: says its pid, answers once more, then waits for the parent's end. */
  static void answer(Pid parent, Integer ignored) throws Exception {
    try (Receiver<Integer> in = new Receiver<>(parent);
        Sender<Long> back = new Sender<>(parent)) {
      in.recv();
      back.send(ProcessHandle.current().pid());
      in.recv();
      back.send(0L);
      in.recv(); // until the parent closes its end
    } catch (ChannelException e) {
      // The parent is done with us (EXITED), or counted us lost while we were stopped.
    }
  }

  /** Waits (up to 5 s) until {@code pid} is stopped, as /proc tells it: the stop has landed. */
  private static void awaitStopped(long pid) throws IOException, InterruptedException {
    java.nio.file.Path stat = java.nio.file.Path.of("/proc", String.valueOf(pid), "stat");
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < deadline) {
      String s = java.nio.file.Files.readString(stat);
      char state = s.charAt(s.lastIndexOf(')') + 2);
      if (state == 'T' || state == 't') {
        return;
      }
      Thread.sleep(1);
    }
    throw new IllegalStateException("pid " + pid + " was not stopped 5 s after SIGSTOP");
  }

  private static void signal(String signal, long pid) {
    try {
      int status =
          new ProcessBuilder("kill", "-" + signal, String.valueOf(pid))
              .redirectErrorStream(true)
              .start()
              .waitFor();
      if (status != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " exited " + status);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run kill -" + signal + " " + pid, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted sending " + signal + " to " + pid, e);
    }
  }
}
