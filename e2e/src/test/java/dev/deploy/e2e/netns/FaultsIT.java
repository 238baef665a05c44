package dev.deploy.e2e.netns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.e2e.tester.Run;
import dev.deploy.e2e.tester.RunOptions;
import dev.deploy.e2e.tester.RunningProgram;
import dev.deploy.e2e.tester.Tool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The cluster's promises under faults between machines: each test makes five machines of network
 * namespaces ({@link Network}: master {@code m}, workers {@code w1..w3}, client {@code c}), starts
 * a {@link NetCluster} on them, runs {@link dev.deploy.e2e.programs.faults.Mesh} (children on the
 * workers streaming values to each other), injects one fault (a partition, packet loss, a slow
 * link, a frozen or killed daemon, a link down) and checks what the cluster promises, at the
 * default 10 s silence limit. Every test records its figures ({@link Figures}), printed as a table
 * at the end.
 *
 * <p>Needs root, iproute2, util-linux's nsenter, nftables, iptables and tc: skipped without them
 * (failed under {@code CI=true}). Everything a test made is removed after it, passed or failed
 * ({@link MachinesCleanup}), and by shutdown hooks if the JVM exits first.
 */
@ExtendWith(MachinesCleanup.class)
class FaultsIT {
  /** The silence limit of links and channels (io.Connection, cluster.link.LinkConnection). */
  private static final long SILENCE_MILLIS = 10_000;

  /**
   * The earliest a silence can be seen after a cut: the silence counts from the last byte read,
   * which may be a ping (one a second) read up to a second before the cut.
   */
  private static final long EARLIEST = SILENCE_MILLIS - 1_500;

  /** The latest: the limit, the check's period and a loaded 2-core machine's delays. */
  private static final long LATEST = SILENCE_MILLIS + 2_500;

  private static final Pattern CHILD = Pattern.compile("child (\\d+) on (\\S+) os pid (\\d+)");
  private static final Pattern FIRST = Pattern.compile("first (\\d+) -> (\\d+)");
  private static final Pattern END =
      Pattern.compile("stream (\\d+) -> (\\d+): (\\d+) in order, end (\\w+) at (\\d+)");
  private static final Pattern CHILD_END = Pattern.compile("child (\\d+): ended (\\w+) at (\\d+)");
  private static final Pattern DISORDER =
      Pattern.compile("stream (\\d+) -> (\\d+): value (\\d+) after (\\d+)");

  @AfterAll
  static void printFigures() {
    Figures.print();
  }

  // ----- partitions

  @Test
  @Timeout(180)
  void givenTwoWorkersStreaming_whenPartitioned_thenEachSeesTheOtherLostAtTheSilenceLimit(
      Machines machines) {
    NetCluster cluster = machines.start();
    MeshRun mesh = MeshRun.start(cluster, 2, 0, 5, 8);
    mesh.go();
    mesh.awaitAllFirst();

    long cut = System.currentTimeMillis();
    cluster.network().partition(mesh.host(0), mesh.host(1));

    mesh.awaitEnds(2, Duration.ofSeconds(30));
    Run run = mesh.run().await(Duration.ofSeconds(60));
    long detection = mesh.ends().stream().mapToLong(e -> e.at - cut).max().orElseThrow();
    Figures.record(
        "partition between two workers",
        Figures.seconds(detection),
        mesh.disorders(),
        left(cluster));
    assertThat(mesh.ends()).as(run.context()).allMatch(e -> e.reason.equals("LOST"));
    assertThat(mesh.disorders()).as(run.context()).isZero();
    assertThat(detection).as(run.context()).isBetween(EARLIEST, LATEST);
    assertThat(run.exitCode()).as(run.context()).isZero();
  }

  @Test
  @Timeout(180)
  void givenTwoWorkersStreaming_whenPartitionHealsWithin3s_thenNothingLostNorDuplicated(
      Machines machines) {
    NetCluster cluster = machines.start();
    MeshRun mesh = MeshRun.start(cluster, 2, 1500, 2, 8);
    mesh.go();
    mesh.awaitAllFirst();

    cluster.network().partition(mesh.host(0), mesh.host(1));
    hold(Duration.ofSeconds(3));
    cluster.network().heal(mesh.host(0));

    Run run = mesh.run().await(Duration.ofSeconds(90));
    Figures.record(
        "partition healed after 3 s (1,500 values each way)",
        "no LOST (" + mesh.delivered() + " of 3000 delivered)",
        mesh.disorders(),
        left(cluster));
    mesh.assertAllDelivered(run, 1500);
  }

  // ----- loss

  @Test
  @Timeout(180)
  void givenThirtyPercentLossOnAWorkersLink_when2000ValuesEachWay_thenAllArriveInOrder(
      Machines machines) {
    NetCluster cluster = machines.start();
    MeshRun mesh = MeshRun.start(cluster, 2, 2000, 0, 8);
    cluster.network().loss(mesh.host(0), 0.3, true);
    long start = System.currentTimeMillis();
    mesh.go();

    Run run = mesh.run().await(Duration.ofSeconds(120));
    Figures.record(
        "30 % loss both ways on a worker's link (2,000 values each way)",
        "no LOST ("
            + mesh.delivered()
            + " of 4000 in "
            + Figures.seconds(System.currentTimeMillis() - start)
            + ")",
        mesh.disorders(),
        left(cluster));
    mesh.assertAllDelivered(run, 2000);
  }

  /**
   * The false-LOST rate: 9 children, 3 per worker, each streaming to the 8 others for 15 s (a value
   * every 150 ms): 54 streams cross machines, each over two links that drop 30 % of what they
   * receive (so 30 % each way), and 18 stay on one machine. Each cross-machine stream is one "run"
   * of the false-LOST count; what the workers receive from the master is spared.
   *
   * <p>Asserted: no value is duplicated or reordered, none is missing behind {@code EXITED}, and
   * every stream ends. Recorded, not asserted (a rate, measured over runs in docs/reliability.md):
   * the false-LOST count, 0–7 per run before stalled connections were re-dialled and resumed (TCP's
   * back-off held a segment past the 10 s silence limit), 0 in every run since.
   */
  @Test
  @Timeout(240)
  void givenThirtyPercentLossOnEveryWorker_when54StreamsRun15s_thenNoneReorderedAndFalseLostCounted(
      Machines machines) {
    NetCluster cluster = machines.start();
    MeshRun mesh = MeshRun.start(cluster, 9, 100, 150, 8);
    for (String w : NetCluster.WORKERS) {
      // Between workers only: the workers' links to the master (and the children's channels to
      // the main process there) stay clean, so a worker is not lost as a whole and every child's
      // end is counted.
      cluster.network().loss(w, 0.3, false, NetCluster.MASTER);
    }
    mesh.go();

    Run run = mesh.run().await(Duration.ofSeconds(150));
    List<End> crossing =
        mesh.ends().stream().filter(e -> !mesh.host(e.from).equals(mesh.host(e.to))).toList();
    long beforeFirst =
        crossing.stream().filter(e -> e.reason.equals("LOST") && e.count == 0).count();
    long midStream = crossing.stream().filter(e -> e.reason.equals("LOST") && e.count > 0).count();
    // A stream that ends EXITED short of its values lost them without saying so (see
    // docs/reliability.md: a handshake that timed out on the sender's side).
    List<End> cut =
        mesh.ends().stream().filter(e -> e.reason.equals("EXITED") && e.count < 100).toList();
    // The same on the children's channels to the main process: EXITED before their "done".
    long doneMissing =
        mesh.matches(CHILD_END).stream().filter(m -> m.group(2).equals("EXITED")).count();
    long silentlyLost = cut.stream().mapToLong(e -> 100 - e.count).sum() + doneMissing;
    Figures.record(
        "30 % loss each way between workers, " + crossing.size() + " streams of 15 s",
        (beforeFirst + midStream)
            + " false LOST ("
            + beforeFirst
            + " before the first value, "
            + midStream
            + " mid-stream); "
            + (cut.size() + doneMissing)
            + " of 81 ended EXITED short of their values",
        mesh.disorders() + silentlyLost,
        left(cluster));
    assertThat(crossing).as(run.context()).hasSizeGreaterThanOrEqualTo(50);
    // Not its exit code: a child whose channel to the main process was falsely LOST exits 1.
    assertThat(run.exitCode()).as(run.context()).isNotNull();
    assertThat(mesh.disorders()).as(run.context()).isZero();
    assertThat(mesh.ends()).as(run.context()).hasSize(72);
    // EXITED promises that nothing the sender sent is missing; a false LOST is counted, not this.
    assertThat(silentlyLost).as("values missing behind EXITED\n" + run.context()).isZero();
  }

  // ----- frozen machines

  @Test
  @Timeout(180)
  void givenAWorkerFrozen3s_whenThawed_thenNothingLost(Machines machines) {
    NetCluster cluster = machines.start();
    MeshRun mesh = MeshRun.start(cluster, 2, 1500, 2, 8);
    mesh.go();
    mesh.awaitAllFirst();

    List<ProcessHandle> frozen = freeze(cluster, mesh.host(0));
    hold(Duration.ofSeconds(3));
    signal("CONT", frozen);

    Run run = mesh.run().await(Duration.ofSeconds(90));
    Figures.record(
        "a worker frozen 3 s (SIGSTOP)",
        "no LOST (" + mesh.delivered() + " of 3000 delivered)",
        mesh.disorders(),
        left(cluster));
    mesh.assertAllDelivered(run, 1500);
  }

  @Test
  @Timeout(180)
  void givenAWorkerFrozen20s_whenThawed_thenLostAtTheSilenceLimitAndItsProcessKilled(
      Machines machines) {
    NetCluster cluster = machines.start();
    MeshRun mesh = MeshRun.start(cluster, 2, 0, 5, 8);
    mesh.go();
    mesh.awaitAllFirst();
    String frozenHost = mesh.host(0);
    ProcessHandle child = ProcessHandle.of(mesh.osPid(0)).orElseThrow();

    long stop = System.currentTimeMillis();
    List<ProcessHandle> frozen = freeze(cluster, frozenHost);
    try {
      mesh.awaitEnds(1, Duration.ofSeconds(30));
      hold(Duration.ofMillis(Math.max(0, stop + 20_000 - System.currentTimeMillis())));
    } finally {
      signal("CONT", frozen);
    }
    long thaw = System.currentTimeMillis();
    awaitGone(List.of(child), Duration.ofSeconds(15));
    long killed = System.currentTimeMillis() - thaw;

    Run run = mesh.run().await(Duration.ofSeconds(60));
    End end = mesh.ends().get(0);
    long detection = end.at - stop;
    Figures.record(
        "a worker frozen 20 s (SIGSTOP)",
        "LOST after "
            + Figures.seconds(detection)
            + ", its process killed "
            + killed
            + " ms after SIGCONT",
        mesh.disorders(),
        left(cluster));
    assertThat(end.to).as(run.context()).isEqualTo(1);
    assertThat(end.reason).as(run.context()).isEqualTo("LOST");
    assertThat(detection).as(run.context()).isBetween(EARLIEST, LATEST);
    assertThat(killed).as(run.context()).isLessThan(2_000);
    assertThat(mesh.disorders()).as(run.context()).isZero();
  }

  // ----- the master

  @Test
  @Timeout(180)
  void givenARun_whenTheMasterIsKilled_thenEveryProcessEndsWithin1s(Machines machines) {
    NetCluster cluster = machines.start();
    MeshRun mesh = MeshRun.start(cluster, 3, 0, 50, 8);
    mesh.go();
    mesh.awaitAllFirst();
    List<ProcessHandle> own = cluster.master().processes();
    List<ProcessHandle> children = mesh.children();
    assertThat(own).hasSize(1); // the main process
    assertThat(children).hasSize(3);

    long kill = System.currentTimeMillis();
    cluster.master().killAlone();
    long childrenGone = awaitGone(children, Duration.ofSeconds(15)) - kill;
    long ownGone = awaitGone(own, Duration.ofSeconds(15)) - kill;

    Run run = mesh.run().await(Duration.ofSeconds(30));
    Figures.record(
        "the master killed (SIGKILL)",
        "workers' processes gone after "
            + childrenGone
            + " ms, the master's own after "
            + ownGone
            + " ms; deploy exit "
            + run.exitCode(),
        "-",
        left(cluster));
    assertThat(childrenGone).as(run.context()).isLessThan(1_000);
    assertThat(ownGone).as(run.context()).isLessThan(1_000);
    assertThat(run.exitCode()).as(run.context()).isNotNull().isNotZero();
  }

  @Test
  @Timeout(180)
  void givenARun_whenTheMastersMachineVanishes_thenFabricsKillTheirProcessesAndDeployFails(
      Machines machines) {
    NetCluster cluster = machines.start();
    MeshRun mesh = MeshRun.start(cluster, 3, 0, 50, 8);
    mesh.go();
    mesh.awaitAllFirst();
    Vanished v = vanish(cluster, mesh, NetCluster.MASTER, mesh.children());
    long gone = v.gone();
    Run run = v.run();
    long exited = v.exited();

    Figures.record(
        "the master's link down (process alive)",
        "workers' processes gone after "
            + Figures.seconds(gone)
            + "; deploy exit "
            + run.exitCode()
            + " after "
            + Figures.seconds(exited),
        "-",
        left(cluster) - cluster.master().processes().size());
    assertThat(gone).as(run.context()).isBetween(EARLIEST, LATEST);
    assertThat(run.exitCode()).as(run.context()).isNotNull().isNotZero();
    assertThat(exited).as(run.context()).isLessThan(SILENCE_MILLIS + 2_500);
  }

  /** What followed a machine's vanishing: when the watched processes were gone, and the run. */
  private record Vanished(long gone, Run run, long exited) {}

  /**
   * Sets {@code host}'s link down, then waits for {@code watched} to be gone and for the run to
   * end; the times are milliseconds after the link went down.
   */
  private static Vanished vanish(
      NetCluster cluster, MeshRun mesh, String host, List<ProcessHandle> watched) {
    long down = System.currentTimeMillis();
    cluster.network().link(host, false);
    long gone = awaitGone(watched, Duration.ofSeconds(30)) - down;
    Run run = mesh.run().await(Duration.ofSeconds(30));
    return new Vanished(gone, run, run.duration().toMillis() - (down - mesh.startedAt()));
  }

  // ----- the client

  @Test
  @Timeout(180)
  void givenARun_whenTheDeployClientsMachineVanishes_thenTheRunIsStoppedAndDeploySaysWhy(
      Machines machines) {
    NetCluster cluster = machines.start();
    MeshRun mesh = MeshRun.start(cluster, 3, 0, 50, 8);
    mesh.go();
    mesh.awaitAllFirst();
    Vanished v = vanish(cluster, mesh, "c", cluster.processes());
    long gone = v.gone();
    Run run = v.run();
    long exited = v.exited();

    Figures.record(
        "the deploy client's link down",
        "processes gone after "
            + Figures.seconds(gone)
            + "; deploy exit "
            + run.exitCode()
            + " after "
            + Figures.seconds(exited),
        "-",
        left(cluster));
    assertThat(gone).as(run.context()).isBetween(EARLIEST, LATEST);
    assertThat(run.exitCode()).as(run.context()).isNotNull().isNotZero();
    assertThat(exited).as(run.context()).isLessThan(SILENCE_MILLIS + 2_500);
    assertThat(run.stderrText())
        .as(run.context())
        .contains("deploy: the bridge at " + cluster.bridgeAddress() + " was silent for 10 s");
  }

  // ----- a fabric restarted

  @Test
  @Timeout(180)
  void givenAWorkerKilled_whenRestartedOnItsAddress_thenItJoinsAndTakesNewSpawns(
      Machines machines) {
    NetCluster cluster = machines.start();

    long restart = System.currentTimeMillis();
    cluster.restartWorker("w2");
    long joined = System.currentTimeMillis() - restart;
    MeshRun mesh = MeshRun.start(cluster, 3, 10, 0, 8);
    mesh.go();

    Run run = mesh.run().await(Duration.ofSeconds(90));
    Figures.record(
        "a worker killed and restarted on its address",
        "joined again " + joined + " ms after the restart",
        mesh.disorders(),
        left(cluster));
    assertThat(List.of(mesh.host(0), mesh.host(1), mesh.host(2))).as(run.context()).contains("w2");
    mesh.assertAllDelivered(run, 10);
  }

  // ----- a slow link

  @Test
  @Timeout(180)
  void givenA1MbitLink_when200KiBValuesStream_thenAllArriveAndNothingIsLost(Machines machines) {
    NetCluster cluster = machines.start();
    MeshRun mesh = MeshRun.start(cluster, 2, 6, 0, 200 << 10);
    cluster.network().slow(mesh.host(0), "1mbit");
    long start = System.currentTimeMillis();
    mesh.go();

    Run run = mesh.run().await(Duration.ofSeconds(120));
    Figures.record(
        "a 1 Mbit/s link (tbf), 6 values of 200 KiB each way",
        "no LOST ("
            + mesh.delivered()
            + " of 12 in "
            + Figures.seconds(System.currentTimeMillis() - start)
            + ")",
        mesh.disorders(),
        left(cluster));
    mesh.assertAllDelivered(run, 6);
  }

  // ----- helpers

  /** The processes still under the cluster's daemons, a moment after the run ended. */
  private static long left(NetCluster cluster) {
    try {
      Awaitility.await()
          .pollInterval(Duration.ofMillis(50))
          .atMost(Duration.ofSeconds(5))
          .until(() -> cluster.processes().isEmpty());
    } catch (ConditionTimeoutException e) {
      // Counted below.
    }
    return cluster.processes().size();
  }

  /** Waits {@code d}: the length of a fault is the test's input, not a wait for a condition. */
  private static void hold(Duration d) {
    Awaitility.await().pollDelay(d).atMost(d.plusSeconds(1)).until(() -> true);
  }

  /** SIGSTOP of the worker daemon on {@code host} and of every process under it. */
  private static List<ProcessHandle> freeze(NetCluster cluster, String host) {
    List<ProcessHandle> all = new ArrayList<>();
    all.add(cluster.worker(host).handle());
    all.addAll(cluster.worker(host).handle().descendants().toList());
    signal("STOP", all);
    return all;
  }

  /**
   * Sends {@code signal} to {@code processes}. One that ended since it was listed (a short-lived
   * child of the fabric: CI saw "kill: (21020): No such process") is left out, and the others get
   * it again; any other failure is the test's.
   */
  private static void signal(String signal, List<ProcessHandle> processes) {
    Tool.Result r = kill(signal, processes);
    if (r.exitCode() != null && r.exitCode() == 0) {
      return;
    }
    List<ProcessHandle> alive = processes.stream().filter(ProcessHandle::isAlive).toList();
    if (alive.size() < processes.size()) {
      r = alive.isEmpty() ? r : kill(signal, alive);
      if (alive.isEmpty() || (r.exitCode() != null && r.exitCode() == 0)) {
        return;
      }
    }
    throw new IllegalStateException("kill -" + signal + " failed:\n" + r.context());
  }

  private static Tool.Result kill(String signal, List<ProcessHandle> processes) {
    List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
    processes.forEach(p -> command.add(String.valueOf(p.pid())));
    return Tool.exec(Duration.ofSeconds(10), command, null, Map.of());
  }

  /**
   * Waits until none of {@code processes} runs (an orphan's zombie, which the system's first
   * process reaps when it will, runs nothing); returns the wall clock then.
   */
  private static long awaitGone(List<ProcessHandle> processes, Duration within) {
    Awaitility.await()
        .pollInterval(Duration.ofMillis(10))
        .atMost(within)
        .until(() -> processes.stream().noneMatch(RunningProgram::isRunning));
    return System.currentTimeMillis();
  }

  /** How a stream ended, as its receiver printed it. */
  record End(int from, int to, long count, String reason, long at) {}

  /** A run of {@link dev.deploy.e2e.programs.faults.Mesh} and what its processes printed. */
  private static final class MeshRun {
    private final NetCluster cluster;
    private final RunningProgram run;
    private final int n;
    private final Path gate;
    private final long startedAt;

    private MeshRun(NetCluster cluster, RunningProgram run, int n, Path gate, long startedAt) {
      this.cluster = cluster;
      this.run = run;
      this.n = n;
      this.gate = gate;
      this.startedAt = startedAt;
    }

    /** Deploys the program from the client's host and waits until its {@code n} children run. */
    static MeshRun start(NetCluster cluster, int n, long count, long gap, int size) {
      Path gate = cluster.directory().resolve("go-" + System.nanoTime());
      long startedAt = System.currentTimeMillis();
      RunningProgram run =
          cluster.deploy(
              dev.deploy.e2e.programs.faults.Mesh.class,
              RunOptions.defaults()
                  .timeout(Duration.ofMinutes(3))
                  .args(
                      String.valueOf(n),
                      String.valueOf(count),
                      String.valueOf(gap),
                      String.valueOf(size),
                      gate.toString()));
      MeshRun mesh = new MeshRun(cluster, run, n, gate, startedAt);
      mesh.await(
          "its " + n + " children started",
          () -> mesh.matches(CHILD).size() >= n,
          Duration.ofSeconds(60));
      return mesh;
    }

    long startedAt() {
      return startedAt;
    }

    RunningProgram run() {
      return run;
    }

    /** Lets the streams start. */
    void go() {
      try {
        Files.createFile(gate);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + gate, e);
      }
    }

    List<String> lines() {
      List<String> all = new ArrayList<>();
      run.tree().stdoutSoFar().values().forEach(text -> all.addAll(text.lines().toList()));
      return all;
    }

    List<Matcher> matches(Pattern p) {
      List<Matcher> found = new ArrayList<>();
      for (String line : lines()) {
        Matcher m = p.matcher(line);
        if (m.matches()) {
          found.add(m);
        }
      }
      return found;
    }

    private Map<Integer, Matcher> children_() {
      Map<Integer, Matcher> byIndex = new TreeMap<>();
      matches(CHILD).forEach(m -> byIndex.put(Integer.parseInt(m.group(1)), m));
      return byIndex;
    }

    /** The host (w1, w2, w3) child {@code i} runs on. */
    String host(int i) {
      return cluster.network().hostOf(children_().get(i).group(2));
    }

    long osPid(int i) {
      return Long.parseLong(children_().get(i).group(3));
    }

    List<ProcessHandle> children() {
      List<ProcessHandle> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ProcessHandle.of(osPid(i)).ifPresent(all::add);
      }
      return all;
    }

    /** Waits until every stream delivered its first value. */
    void awaitAllFirst() {
      await(
          "every stream's first value",
          () -> matches(FIRST).size() >= n * (n - 1),
          Duration.ofSeconds(60));
    }

    void awaitEnds(int count, Duration within) {
      await(count + " stream ends", () -> ends().size() >= count, within);
    }

    List<End> ends() {
      return matches(END).stream()
          .map(
              m ->
                  new End(
                      Integer.parseInt(m.group(1)),
                      Integer.parseInt(m.group(2)),
                      Long.parseLong(m.group(3)),
                      m.group(4),
                      Long.parseLong(m.group(5))))
          .toList();
    }

    /** Streams that took a value out of order: one lost or duplicated. */
    long disorders() {
      return matches(DISORDER).size();
    }

    /** Values delivered in order over every stream. */
    long delivered() {
      return ends().stream().mapToLong(End::count).sum();
    }

    /** Every stream delivered {@code count} values in order and ended as its sender closed. */
    void assertAllDelivered(Run run, long count) {
      assertThat(run.exitCode()).as(run.context()).isZero();
      assertThat(disorders()).as(run.context()).isZero();
      assertThat(ends()).as(run.context()).hasSize(n * (n - 1));
      assertThat(ends())
          .as(run.context())
          .allMatch(e -> e.count == count && e.reason.equals("EXITED"));
    }

    private void await(String what, java.util.concurrent.Callable<Boolean> until, Duration d) {
      try {
        Awaitility.await().pollInterval(Duration.ofMillis(10)).atMost(d).until(until);
      } catch (ConditionTimeoutException e) {
        throw new AssertionError(
            "not seen within "
                + d.toSeconds()
                + " s: "
                + what
                + "\nlines: "
                + lines()
                + "\n"
                + run.tree().render()
                + "\n"
                + cluster.logs());
      }
    }
  }
}
