package dev.deploy.e2e.programs.channels;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * A sender that exits (code 0) with a value its receiver never acknowledged: the receiver, stopped
 * with SIGSTOP meanwhile (its kernel takes the TCP connect, nobody answers the handshake), is
 * resumed once the sender has ended, finds it gone and asks the fabric, which must answer {@code
 * LOST} (a value may be missing), not {@code EXITED}. The parent prints {@code <LINE> <what the
 * receiver saw>}. Pids and OS pids travel in files of a directory the parent makes (the receiver
 * must have no connection before it is stopped), removed at the end. The parent always resumes the
 * receiver. Not a suite program (no {@code EXPECTED}): {@code ExitFatesIT} runs it.
 */
public final class UnfinishedExit {
  /** The start of the parent's line. */
  public static final String LINE = "the receiver saw:";

  static final Resources SMALL = new Resources(128L << 20, 0.05);

  private UnfinishedExit() {}

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.05));
    Path dir = Files.createTempDirectory("deploy-unfinished-");
    Path osPidFile = dir.resolve("receiver.os-pid");
    Pid receiver = spawn(UnfinishedExit::receive, dir.toString(), SMALL).orElseThrow();
    long osPid = Long.parseLong(awaitFile(osPidFile));
    try {
      awaitStopped(osPid);
      Pid sender = spawn(UnfinishedExit::send, encode(receiver), SMALL).orElseThrow();
      try (Receiver<String> fromSender = new Receiver<>(sender)) {
        fromSender.recv(); // it sends nothing: this ends when its process does
      } catch (ChannelException e) {
        // EXITED: the sender drained (gave the stopped receiver up) and ended.
      }
      Files.writeString(dir.resolve("sender.pid.tmp"), encode(sender));
      Files.move(dir.resolve("sender.pid.tmp"), dir.resolve("sender.pid"));
    } finally {
      signal("CONT", osPid);
    }
    try (Receiver<String> report = new Receiver<>(receiver)) {
      System.out.println(LINE + " " + report.recv());
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  /** The receiver: stops itself, then, resumed, receives from the sender named in the file. */
  static void receive(Pid parent, String directory) throws Exception {
    Path dir = Path.of(directory);
    Files.writeString(dir.resolve("os-pid.tmp"), String.valueOf(ProcessHandle.current().pid()));
    Files.move(dir.resolve("os-pid.tmp"), dir.resolve("receiver.os-pid"));
    signal("STOP", ProcessHandle.current().pid()); // the parent resumes us
    Pid sender = decode(awaitFile(dir.resolve("sender.pid")));
    String saw;
    try (Receiver<String> in = new Receiver<>(sender)) {
      saw = "value " + in.recv();
    } catch (ChannelException e) {
      saw = String.valueOf(e.reason());
    }
    try (Sender<String> report = new Sender<>(parent)) {
      report.send(saw);
    }
  }

  /** The sender: one value to the receiver, then its task ends and its process exits. */
  static void send(Pid parent, String receiver) throws Exception {
    try (Sender<String> out = new Sender<>(decode(receiver))) {
      out.send("v");
    }
  }

  private static String encode(Pid p) {
    return HexFormat.of().formatHex(p.host()) + " " + p.port() + " " + p.key();
  }

  private static Pid decode(String s) {
    String[] f = s.strip().split(" ");
    return Pid.of(HexFormat.of().parseHex(f[0]), Integer.parseInt(f[1]), Long.parseLong(f[2]));
  }

  /** Waits (up to 60 s) for {@code file}, written whole by a rename, and returns its text. */
  private static String awaitFile(Path file) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!Files.exists(file)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(file + " did not appear within 60 s");
      }
      Thread.sleep(5);
    }
    return Files.readString(file);
  }

  /** Waits (up to 5 s) until {@code pid} is stopped, as /proc tells it: the stop has landed. */
  private static void awaitStopped(long pid) throws IOException, InterruptedException {
    Path stat = Path.of("/proc", String.valueOf(pid), "stat");
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < deadline) {
      String s = Files.readString(stat);
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
