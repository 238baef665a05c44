package dev.deploy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.e2e.programs.exits.ExitThree;
import dev.deploy.e2e.programs.slurm.HoldOnEachNode;
import dev.deploy.e2e.programs.slurm.OnEachNode;
import dev.deploy.e2e.tester.Capability;
import dev.deploy.e2e.tester.SlurmCleanup;
import dev.deploy.e2e.tester.SlurmJobs;
import dev.deploy.e2e.tester.Tool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy slurm run} and {@code submit} on a real Slurm: the one {@code .ci/slurm-up} starts
 * on this machine (slurmctld, slurmd n1 and n2 on one host, {@code proctrack/linuxproc}, {@code
 * KillWait=5}). Skipped, saying so, where {@code sinfo} does not answer; required under {@code
 * CI=true}. Every job is cancelled by its id after its test. The destructive tests (a slurmd
 * killed) come last and restore the daemon with {@code .ci/slurm-up}.
 */
@ExtendWith(SlurmCleanup.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SlurmIT {
  /** Each job: two nodes, one processor and 1 GiB on each, never the whole node. */
  private static final List<String> TWO_NODES =
      List.of("-N", "2", "-c", "1", "--mem=1G", "-t", "5", "--no-kill");

  /** KillWait, and the margin for slurmstepd's rounds and the JVMs' ends. */
  private static final Duration GONE_WITHIN = Duration.ofSeconds(5 + 20);

  private static final Pattern PIDS =
      Pattern.compile("(main|child) on (n\\d) pid (\\d+) fabric (\\d+)");

  @BeforeEach
  void slurmAnswers() {
    Capability.require(
        SlurmJobs.slurmAnswers(),
        "Slurm does not answer here (sinfo lists no node): start it with .ci/slurm-up as root");
  }

  @Test
  @Order(1)
  @Timeout(180)
  void givenTwoNodeAllocation_whenRun_thenChildrenRunOnN1AndN2WithoutTheClusterKey(SlurmJobs jobs) {
    SlurmJobs.Job job = jobs.salloc(TWO_NODES, OnEachNode.class, Map.of());

    Integer code = job.await(Duration.ofSeconds(150));

    assertThat(code).as(job.context()).isEqualTo(0);
    assertThat(job.stdout())
        .as(job.context())
        .contains("nodes [n1, n2]\n")
        .contains("child on n1, cluster key absent\n")
        .contains("child on n2, cluster key absent\n");
  }

  @Test
  @Order(2)
  @Timeout(240)
  void givenTwoJobsOnTheSameNodesOneByNodeList_whenRunAtOnce_thenBothPlaceOnBothNodes(
      SlurmJobs jobs) {
    List<String> byList = new ArrayList<>(TWO_NODES);
    byList.add("--nodelist=n[1-2]");
    SlurmJobs.Job first = jobs.salloc(TWO_NODES, OnEachNode.class, Map.of());
    SlurmJobs.Job second = jobs.salloc(byList, OnEachNode.class, Map.of());

    Integer firstCode = first.await(Duration.ofSeconds(200));
    Integer secondCode = second.await(Duration.ofSeconds(30));

    assertThat(firstCode).as(first.context()).isEqualTo(0);
    assertThat(secondCode).as(second.context()).isEqualTo(0);
    assertThat(first.stdout()).as(first.context()).contains("nodes [n1, n2]\n");
    assertThat(second.stdout()).as(second.context()).contains("nodes [n1, n2]\n");
  }

  @Test
  @Order(3)
  @Timeout(180)
  void givenSubmittedProgramThatExits3_whenJobEnds_thenOutputStreamedAndExit3(
      SlurmJobs jobs, @TempDir Path dir) {
    SlurmJobs.Job job =
        jobs.submit(List.of("-N", "2", "--mem", "2G", "-t", "5"), ExitThree.class, dir);

    Integer code = job.await(Duration.ofSeconds(150));

    assertThat(code).as(job.context()).isEqualTo(3);
    assertThat(job.stdout()).as(job.context()).contains("exiting with 3\n");
    assertThat(job.stderr()).as(job.context()).contains("submitted job ");
  }

  @Test
  @Order(4)
  @Timeout(180)
  void givenRunningJob_whenScancelled_thenNoProcessOfTheJobIsLeftAndRunExits(SlurmJobs jobs) {
    SlurmJobs.Job job = jobs.salloc(TWO_NODES, HoldOnEachNode.class, Map.of());
    awaitHolding(job);
    Set<ProcessHandle> all = jobProcesses(job);

    Tool.exec(Duration.ofSeconds(30), List.of("scancel", job.jobId()), null, Map.of());

    assertAllGone(all, job);
    assertThat(job.await(Duration.ofSeconds(30))).as(job.context()).isNotNull().isNotZero();
    assertThat(job.stderr()).as(job.context()).contains("the srun step ended");
  }

  @Test
  @Order(5)
  @Timeout(240)
  void givenSubmittedJobWithTimeLimit_whenLimitReached_thenNoProcessOfTheJobIsLeft(
      SlurmJobs jobs, @TempDir Path dir) {
    SlurmJobs.Job job =
        jobs.submit(List.of("-N", "2", "--mem", "1G", "-t", "0:20"), HoldOnEachNode.class, dir);
    awaitHolding(job);
    Set<ProcessHandle> all = jobProcesses(job);

    Integer code = job.await(Duration.ofSeconds(150));

    assertThat(code).as(job.context()).isNotNull().isNotZero();
    assertThat(job.stderr()).as(job.context()).contains("TIMEOUT");
    assertAllGone(all, job);
  }

  @Test
  @Order(6)
  @Timeout(180)
  void givenSubmittedJob_whenSubmitGetsCtrlC_thenJobCancelledAndNoProcessOfItLeft(
      SlurmJobs jobs, @TempDir Path dir) {
    SlurmJobs.Job job =
        jobs.submit(List.of("-N", "2", "--mem", "1G", "-t", "5"), HoldOnEachNode.class, dir);
    awaitHolding(job);
    Set<ProcessHandle> all = jobProcesses(job);

    Tool.exec(
        Duration.ofSeconds(10),
        List.of("kill", "-INT", Long.toString(job.process().pid())),
        null,
        Map.of());

    assertAllGone(all, job);
    assertThat(job.await(Duration.ofSeconds(30))).as(job.context()).isEqualTo(130);
    assertThat(SlurmJobs.output("squeue", "-h", "-j", job.jobId(), "-o", "%T").trim())
        .as("the job's state in squeue\n" + job.context())
        .isIn("", "CANCELLED", "COMPLETING");
  }

  @Test
  @Order(7)
  @Timeout(240)
  void givenChildOnEachNode_whenOtherNodesSlurmdAndFabricKilled_thenItsChildLostAndProgramGoesOn(
      SlurmJobs jobs) throws IOException {
    Capability.require(
        "root".equals(System.getProperty("user.name")), "killing a slurmd needs root");
    SlurmJobs.Job job = jobs.salloc(TWO_NODES, HoldOnEachNode.class, Map.of());
    awaitHolding(job);
    Matcher main = PIDS.matcher(job.stdout());
    assertThat(main.find()).as(job.context()).isTrue();
    String own = main.group(2);
    String victim = own.equals("n1") ? "n2" : "n1";
    long victimFabric = fabricOf(job, victim);
    long slurmd = Long.parseLong(Files.readString(slurmdPidFile(victim)).trim());

    try {
      ProcessHandle.of(slurmd).ifPresent(ProcessHandle::destroyForcibly);
      ProcessHandle.of(victimFabric).ifPresent(ProcessHandle::destroyForcibly);

      Integer code = job.await(Duration.ofSeconds(90));

      // The program went on: it heard of the loss, released the other child and exited 0; the
      // run's code is 1, as for any lost process (the first process that did not exit 0).
      assertThat(job.stdout()).as(job.context()).contains("the child on " + victim + ": LOST\n");
      assertThat(code).as(job.context()).isEqualTo(1);
      assertThat(job.stderr()).as(job.context()).contains("lost the worker " + victim);
    } finally {
      restoreSlurm();
    }
  }

  // ----- helpers

  private static void awaitHolding(SlurmJobs.Job job) {
    await()
        .atMost(150, TimeUnit.SECONDS)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              if (!job.process().isAlive()) {
                throw new AssertionError("the run ended early\n" + job.context());
              }
              return job.stdout().contains("holding\n") && job.jobId() != null;
            });
  }

  /** The fabric pid the child on {@code node} printed. */
  private static long fabricOf(SlurmJobs.Job job, String node) {
    Matcher m = PIDS.matcher(job.stdout());
    while (m.find()) {
      if (m.group(1).equals("child") && m.group(2).equals(node)) {
        return Long.parseLong(m.group(4));
      }
    }
    throw new AssertionError("no child on " + node + "\n" + job.context());
  }

  /**
   * Every process of the job: what {@code scontrol listpids} lists on n1 and n2, what is under
   * them, the pids the program printed, and what runs under the test's command.
   */
  private static Set<ProcessHandle> jobProcesses(SlurmJobs.Job job) {
    Set<ProcessHandle> all = new LinkedHashSet<>();
    for (String node : List.of("n1", "n2")) {
      String listed = SlurmJobs.output("scontrol", "listpids", job.jobId(), node);
      for (String line : listed.split("\n")) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 1 && f[0].matches("\\d+") && f[1].equals(job.jobId())) {
          add(all, Long.parseLong(f[0]));
        }
      }
    }
    Matcher m = PIDS.matcher(job.stdout());
    while (m.find()) {
      add(all, Long.parseLong(m.group(3)));
      add(all, Long.parseLong(m.group(4)));
    }
    job.underneath().forEach(h -> add(all, h.pid()));
    assertThat(all.stream().filter(ProcessHandle::isAlive).count())
        .as("the job's processes found\n" + job.context())
        .isGreaterThanOrEqualTo(5);
    return all;
  }

  private static void add(Set<ProcessHandle> all, long pid) {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isPresent()) {
      all.add(h.get());
      h.get().descendants().forEach(all::add);
    }
  }

  private static void assertAllGone(Set<ProcessHandle> all, SlurmJobs.Job job) {
    await()
        .atMost(GONE_WITHIN)
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () ->
                assertThat(all.stream().filter(ProcessHandle::isAlive).map(SlurmIT::describe))
                    .as("processes of the job still alive\n" + job.context())
                    .isEmpty());
  }

  private static String describe(ProcessHandle h) {
    return h.pid() + " " + h.info().commandLine().orElse("?");
  }

  private static Path slurmdPidFile(String node) {
    return Path.of("/run/deploy-slurm/slurmd-" + node + ".pid");
  }

  /** Starts the killed slurmd again and waits until both nodes are up ({@code .ci/slurm-up}). */
  private static void restoreSlurm() {
    Path up = Path.of(System.getProperty("user.dir")).resolve("../.ci/slurm-up").normalize();
    Tool.Result r = Tool.exec(Duration.ofSeconds(120), List.of(up.toString()), null, Map.of());
    assertThat(r.exitCode()).as(r.context()).isEqualTo(0);
  }
}
