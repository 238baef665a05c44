package dev.deploy.process;

import dev.deploy.logging.Loggers;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;

/**
 * Keeps what a fabric starts from outliving it: every process it launches (and the cluster's probe)
 * starts through {@link #start}, which on Linux with util-linux puts it in a session and process
 * group of its own ({@code setsid}) with a parent-death signal ({@code setpriv --pdeathsig KILL}),
 * forks it from the JVM's {@link ForkThread} (the signal follows the forking thread), and tells the
 * JVM's reaper about its group. {@link #kill} and {@link #ended} SIGKILL the whole group: a
 * grandchild that ignores SIGTERM or double-forked inside the group goes too.
 *
 * <p>The <b>reaper</b> is one {@code /bin/sh} per JVM (its {@code $0} is {@link #REAPER_NAME}), a
 * child of the JVM in a session of its own (Ctrl-C does not reach it), reading {@code + <group>}
 * and {@code - <group>} lines on its stdin. When this JVM dies, even of SIGKILL, the kernel closes
 * the pipe; the reaper reads its end and SIGKILLs every group still listed. (A parent-death signal
 * alone would kill the processes the fabric started but not their children, which are re-parented
 * to init.)
 *
 * <p><b>Where it falls back</b>, said once in the log: without {@code setsid} (macOS, BSD)
 * processes share the fabric's group, and a kill reaches the process and its descendants as Java
 * sees them; without {@code setpriv --pdeathsig} (util-linux before 2.33, non-Linux) nothing kills
 * a process when the fabric dies but its own control connection ending; without {@code /bin/sh} no
 * reaper.
 *
 * <p>One per JVM ({@link #shared()}); thread safe.
 */
public final class ProcessFence {
  private static final Logger log = Loggers.get(ProcessFence.class);

  /** How long {@link #killGroup} keeps finding and killing members before it gives up. */
  private static final long KILL_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(2);

  /** The reaper: collects groups, SIGKILLs those left when its stdin ends. Ignores signals. */
  static final String REAPER =
      "trap '' INT HUP TERM QUIT PIPE; g=' ';"
          + " while read -r op pg; do case $op in"
          + " +) g=\"$g$pg \" ;;"
          + " -) case $g in *\" $pg \"*) g=\"${g%% $pg *} ${g#* $pg }\" ;; esac ;;"
          + " esac; done;"
          + " for pg in $g; do kill -s KILL -- -$pg 2>/dev/null; done";

  /**
   * The reaper's {@code $0}, last on its command line. It must stay the JVM's own child: Java
   * closes a child's stdin pipe when that child exits, so a reaper behind {@code setsid --fork}
   * would read its end at once.
   */
  public static final String REAPER_NAME = "deploy-reaper";

  private static final ProcessFence SHARED = detect();

  /** {@code setsid} from util-linux, or null when missing. */
  private final String setsid;

  /** {@code setpriv} that knows {@code --pdeathsig}, or null when missing. */
  private final String setpriv;

  private final ForkThread forks = new ForkThread("deploy-fork");

  /** Guards the reaper's pipe; a write never waits long (the reaper only reads). */
  private final ReentrantLock reaperLock = new ReentrantLock();

  /** The reaper's stdin; null before the first start, or when there is no reaper. */
  private OutputStream reaper;

  /** The reaper process; null when there is none. Guarded by reaperLock. */
  private Process reaperProcess;

  /** Whether starting the reaper was tried; guarded by reaperLock. */
  private boolean reaperTried;

  ProcessFence(String setsid, String setpriv) {
    this.setsid = setsid;
    this.setpriv = setpriv;
  }

  /** Returns this JVM's fence. */
  public static ProcessFence shared() {
    return SHARED;
  }

  /** Returns whether processes get a session and process group of their own. */
  public boolean groups() {
    return setsid != null;
  }

  /** Returns whether processes die of SIGKILL when the fabric's JVM dies. */
  public boolean parentDeathSignal() {
    return setpriv != null;
  }

  /**
   * Returns {@code command} as the fence starts it: behind {@code setsid} and {@code setpriv
   * --pdeathsig KILL --}, each of which replaces itself with what follows (the pid stays the
   * command's).
   */
  public List<String> wrap(List<String> command) {
    List<String> out = new ArrayList<>(command.size() + 5);
    if (setsid != null) {
      out.add(setsid);
    }
    if (setpriv != null) {
      out.add(setpriv);
      out.add("--pdeathsig");
      out.add("KILL");
      out.add("--");
    }
    out.addAll(command);
    return out;
  }

  /**
   * Starts {@code builder}'s command fenced: wrapped ({@link #wrap}), forked by the fork thread,
   * its group handed to the reaper. The builder's command is replaced by the wrapped one.
   *
   * @throws IOException when the process cannot be started
   */
  public Process start(ProcessBuilder builder) throws IOException {
    builder.command(wrap(builder.command()));
    ensureReaper();
    Process process = forks.start(builder);
    if (setsid != null) {
      tell("+ " + process.pid());
    }
    return process;
  }

  /**
   * Kills {@code process}'s group, then the process and the descendants Java sees, with SIGKILL,
   * and forgets the group. For a process that runs; its exit follows.
   */
  public void kill(Process process) {
    killGroup(process.pid());
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /**
   * The process exited: kills what is left in its group (SIGKILL) and forgets the group. Its pid
   * cannot have been reused as a group id while a member of its group lives.
   */
  public void ended(Process process) {
    killGroup(process.pid());
    if (setsid != null) {
      tell("- " + process.pid());
    }
  }

  /**
   * SIGKILLs every process of group {@code group} (in session {@code group}: the group {@code
   * setsid} made), again until none is left or 2 s passed. Nothing when there are no groups.
   */
  void killGroup(long group) {
    if (setsid == null || group == ProcessHandle.current().pid()) {
      return;
    }
    long deadline = System.nanoTime() + KILL_TIMEOUT_NANOS;
    while (true) {
      List<Long> members = ProcStat.members(group, group);
      if (members.isEmpty()) {
        return;
      }
      for (long pid : members) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      if (System.nanoTime() - deadline > 0) {
        log.warn("process group {} still has pids {} after SIGKILL", group, members);
        return;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  /** Starts the reaper once, where there are groups to reap. */
  private void ensureReaper() {
    reaperLock.lock();
    try {
      if (reaperTried || setsid == null) {
        return;
      }
      reaperTried = true;
      ProcessBuilder b =
          new ProcessBuilder(setsid, "/bin/sh", "-c", REAPER, REAPER_NAME)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD);
      try {
        reaperProcess = b.start();
        reaper = reaperProcess.getOutputStream();
      } catch (IOException e) {
        log.warn(
            "no reaper ({}): processes started here may outlive this JVM if it is killed",
            e.getMessage());
      }
    } finally {
      reaperLock.unlock();
    }
  }

  /**
   * Ends the reaper now, as this JVM's end would (it SIGKILLs the groups still listed), and waits
   * up to {@code millis} for it to be gone. For a JVM's last shutdown hook, once every process it
   * started has ended: the JDK's thread that waits for the reaper sits in native code, and JDK 17
   * holds a JVM's exit up to 300 ms for such threads. Later starts run without a reaper.
   */
  public void endReaper(long millis) {
    Process p;
    reaperLock.lock();
    try {
      reaperTried = true;
      p = reaperProcess;
      reaperProcess = null;
      if (reaper != null) {
        try {
          reaper.close();
        } catch (IOException e) {
          // Gone already.
        }
        reaper = null;
      }
    } finally {
      reaperLock.unlock();
    }
    if (p == null) {
      return;
    }
    try {
      if (!p.waitFor(millis, TimeUnit.MILLISECONDS)) {
        log.debug("the reaper has not ended after {} ms", millis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Returns the reaper process; null before the first start, or after {@link #endReaper}. */
  Process reaperProcess() {
    reaperLock.lock();
    try {
      return reaperProcess;
    } finally {
      reaperLock.unlock();
    }
  }

  private void tell(String line) {
    reaperLock.lock();
    try {
      if (reaper == null) {
        return;
      }
      reaper.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
      reaper.flush();
    } catch (IOException e) {
      log.warn("the reaper is gone ({}): processes may outlive this JVM", e.getMessage());
      reaper = null;
    } finally {
      reaperLock.unlock();
    }
  }

  /** Finds {@code setsid} and a {@code setpriv} with {@code --pdeathsig}; logs what is missing. */
  private static ProcessFence detect() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    if (!os.startsWith("linux")) {
      log.info(
          "processes are not fenced on {}: no own process group, no parent-death signal;"
              + " a kill reaches a process and its descendants only",
          System.getProperty("os.name"));
      return new ProcessFence(null, null);
    }
    String setsid = find("setsid").orElse(null);
    String setpriv = find("setpriv").filter(ProcessFence::knowsPdeathsig).orElse(null);
    if (setsid == null || setpriv == null) {
      log.warn(
          "processes are fenced only in part: {}{}(install util-linux)",
          setsid == null
              ? "no setsid, so no process group of their own (a kill reaches a"
                  + " process and its descendants only); "
              : "",
          setpriv == null ? "no setpriv --pdeathsig, so they do not die with this JVM; " : "");
    }
    return new ProcessFence(setsid, setpriv);
  }

  /** What a {@code setpriv} that takes the option has in its usage text. */
  static final String PDEATHSIG = "--pdeathsig";

  /** The largest executable {@link #namesOption} reads. */
  static final long MAX_EXECUTABLE_BYTES = 8L << 20;

  /**
   * Returns whether the file {@code executable} (at most {@link #MAX_EXECUTABLE_BYTES}) contains
   * the ASCII text {@code option}; false when it cannot be read.
   */
  static boolean namesOption(Path executable, String option) {
    byte[] needle = option.getBytes(StandardCharsets.US_ASCII);
    byte[] bytes;
    try {
      if (Files.size(executable) > MAX_EXECUTABLE_BYTES) {
        return false;
      }
      bytes = Files.readAllBytes(executable);
    } catch (IOException | RuntimeException e) {
      return false;
    }
    outer:
    for (int i = 0; i + needle.length <= bytes.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (bytes[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** Returns the executable {@code name} on the PATH, or in /usr/bin or /bin. */
  static Optional<String> find(String name) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    dirs.addAll(List.of("/usr/bin", "/bin"));
    for (String d : dirs) {
      if (d.isEmpty()) {
        continue;
      }
      Path p = Path.of(d, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p.toString());
      }
    }
    return Optional.empty();
  }

  /**
   * Returns whether {@code setpriv} takes {@code --pdeathsig} (util-linux 2.33 and later): its
   * usage text names the option (read from the file, no process started: a run's first process
   * waits for this), else, when the file does not say, what running it with the option answers.
   */
  private static boolean knowsPdeathsig(String setpriv) {
    if (namesOption(Path.of(setpriv), PDEATHSIG)) {
      return true;
    }
    try {
      Process p =
          new ProcessBuilder(setpriv, "--pdeathsig", "KILL", "--", "true")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
