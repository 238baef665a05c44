package dev.deploy.process;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The fence on this machine: skipped where util-linux's setsid or setpriv is missing. */
@Timeout(30)
class ProcessFenceTest {
  /** Says "ready" once running (its parent-death signal set), then sleeps. */
  private static final List<String> READY_THEN_SLEEP =
      List.of("/bin/sh", "-c", "echo ready; exec sleep 30");

  private final ProcessFence fence = ProcessFence.shared();

  /** Every process a test started, and every pid it learnt of; killed after it. */
  private final List<Process> started = new ArrayList<>();

  private final List<Long> pids = new ArrayList<>();

  @AfterEach
  void killStarted() throws InterruptedException {
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    for (Process p : started) {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void givenStartFromAThreadThatEnds_whenThatThreadEnded_thenTheProcessStillRuns()
      throws Exception {
    assumeTrue(fence.parentDeathSignal(), "no setpriv --pdeathsig here: nothing to check");

    Process p = onThreadThatEnds(() -> fence.start(new ProcessBuilder(READY_THEN_SLEEP)));

    assertThat(p.waitFor(500, TimeUnit.MILLISECONDS))
        .as("killed with its forking thread")
        .isFalse();
  }

  @Test
  void givenPdeathsigForkedByAThreadThatEnds_whenThatThreadEnded_thenKilled() throws Exception {
    assumeTrue(fence.parentDeathSignal(), "no setpriv --pdeathsig here: nothing to check");

    // Why the fence forks on a thread of its own: the signal follows the forking thread.
    Process p = onThreadThatEnds(() -> new ProcessBuilder(fence.wrap(READY_THEN_SLEEP)).start());

    assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void givenGrandchildIgnoringSigterm_whenKill_thenWholeGroupGone() throws Exception {
    assumeTrue(fence.groups(), "no setsid here: processes share the fabric's group");
    Process p = start("trap '' TERM; sleep 300 >/dev/null 2>&1 & echo $!; wait");
    long grandchild = firstLine(p);

    fence.kill(p);

    awaitGone(grandchild);
    assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void givenProcessThatLeftAnOrphanInItsGroup_whenEnded_thenOrphanKilled() throws Exception {
    assumeTrue(fence.groups(), "no setsid here: processes share the fabric's group");
    Process p = start("sleep 300 >/dev/null 2>&1 & echo $!");
    long orphan = firstLine(p);
    assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
    assertThat(ProcessHandle.of(orphan)).isPresent();

    fence.ended(p);

    awaitGone(orphan);
  }

  @Test
  void givenReaperHoldingAGroup_whenItsStdinEnds_thenTheGroupIsKilledAndForgottenOnesAreNot()
      throws Exception {
    assumeTrue(fence.groups(), "no setsid here: processes share the fabric's group");
    Process held = start("sleep 300");
    Process forgotten = start("sleep 300");
    String setsid = ProcessFence.find("setsid").orElseThrow();
    Process reaper = new ProcessBuilder(setsid, "/bin/sh", "-c", ProcessFence.REAPER).start();
    started.add(reaper);

    try (OutputStream in = reaper.getOutputStream()) {
      String lines = "+ " + held.pid() + "\n+ " + forgotten.pid() + "\n- " + forgotten.pid() + "\n";
      in.write(lines.getBytes(StandardCharsets.US_ASCII));
    } // as when this JVM dies: the kernel closes the pipe

    assertThat(held.waitFor(5, TimeUnit.SECONDS)).isTrue();
    assertThat(reaper.waitFor(5, TimeUnit.SECONDS)).isTrue();
    assertThat(forgotten.isAlive()).isTrue();
  }

  /** Starts {@code script} under /bin/sh through the fence. */
  private Process start(String script) throws Exception {
    Process p = fence.start(new ProcessBuilder("/bin/sh", "-c", script));
    started.add(p);
    return p;
  }

  private long firstLine(Process p) throws Exception {
    BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
    long pid = Long.parseLong(r.readLine().strip());
    pids.add(pid);
    return pid;
  }

  private static void awaitGone(long pid) {
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive() || isZombie(pid)).orElse(true));
  }

  private static boolean isZombie(long pid) {
    return ProcStat.of(pid).isEmpty() || readState(pid) == 'Z';
  }

  private static char readState(long pid) {
    try {
      String s = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
      return s.charAt(s.lastIndexOf(')') + 2);
    } catch (java.io.IOException e) {
      return 'X';
    }
  }

  /**
   * Runs {@code start} on a new thread, which ends once the process said it runs (so its
   * parent-death signal is set before); waits for that thread to end and returns the process.
   */
  private Process onThreadThatEnds(Callable start) throws Exception {
    CompletableFuture<Process> f = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                Process p = start.call();
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
                f.complete(p);
              } catch (Exception e) {
                f.completeExceptionally(e);
              }
            });
    t.start();
    t.join();
    Process p = f.get(5, TimeUnit.SECONDS);
    started.add(p);
    return p;
  }

  @Test
  void givenAGroupStarted_whenEndReaper_thenTheReaperIsGoneAndTheGroupKilled() throws Exception {
    String setsid = ProcessFence.find("setsid").orElse(null);
    assumeTrue(setsid != null, "no setsid here: no reaper");
    ProcessFence own = new ProcessFence(setsid, null);
    Process sleeper = own.start(new ProcessBuilder("sleep", "30"));
    started.add(sleeper);
    Process reaper = own.reaperProcess();
    assertThat(reaper).isNotNull();
    started.add(reaper);
    // Its group exists only once setsid ran in the child and exec'd sleep; a reaper told to end
    // before that would kill a group not made yet (a JVM's exit comes long after its starts).
    dev.deploy.testing.Awaits.await()
        .until(
            () ->
                sleeper.info().command().map(c -> c.endsWith("sleep")).orElse(false)
                    || !sleeper.isAlive());

    own.endReaper(10_000);

    assertThat(reaper.isAlive()).as("the reaper (a thread waits for it in native code)").isFalse();
    assertThat(sleeper.waitFor(10, TimeUnit.SECONDS)).as("its group killed").isTrue();
    assertThat(own.reaperProcess()).isNull();
  }

  @Test
  void givenAnExecutableNamingTheOption_whenScanned_thenFound(@TempDir Path dir) throws Exception {
    Path with = dir.resolve("with");
    Path without = dir.resolve("without");
    byte[] head = {0x7f, 'E', 'L', 'F', 0, 1, 2};
    Files.write(with, concat(head, " --pdeathsig keep|clear|<signame>\0".getBytes(UTF_8)));
    Files.write(without, concat(head, " --reuid <user>\0--pdeath".getBytes(UTF_8)));

    assertThat(ProcessFence.namesOption(with, ProcessFence.PDEATHSIG)).isTrue();
    assertThat(ProcessFence.namesOption(without, ProcessFence.PDEATHSIG)).isFalse();
    assertThat(ProcessFence.namesOption(dir.resolve("missing"), ProcessFence.PDEATHSIG)).isFalse();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private interface Callable {
    Process call() throws Exception;
  }
}
