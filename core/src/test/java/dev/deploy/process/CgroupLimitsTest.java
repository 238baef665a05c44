package dev.deploy.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.deploy.process.CgroupLayout.Unavailable;
import dev.deploy.process.CgroupLayout.Version;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(20)
class CgroupLimitsTest {
  private static final long MIB = 1L << 20;

  /** A pretend pid namespace and boot, for groups named for pretend owners. */
  private static final long NS = 4026531836L;

  private static final String BOOT = "9c2c1714a13548319456f0fa58cf26b1";

  /** A pid no fabric of this test has: the groups made with it are a pretend fabric's. */
  private static final long PRETEND_PID = 4242;

  private final List<Process> started = new ArrayList<>();
  private final List<CgroupGroup> groups = new ArrayList<>();

  @TempDir Path fake;

  @AfterEach
  void killStartedAndCloseGroups() throws InterruptedException {
    for (Process p : started) {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
    }
    groups.forEach(CgroupGroup::close);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "7f3a-worker|7f3a-worker",
        "memory.max|memory_max",
        "../../etc|______etc",
        "a b/c|a_b_c",
        "tasks|_tasks",
        "fabric|_fabric",
        "''|_"
      })
  void givenName_whenSanitise_thenSafeDirectoryName(String name, String expected) {
    assertThat(CgroupLimits.sanitise(name)).isEqualTo(expected);
  }

  @Test
  void givenLongName_whenSanitise_thenAtMost64Characters() {
    assertThat(CgroupLimits.sanitise("x".repeat(300))).hasSize(64);
  }

  @Test
  void givenV2TreeWithControllersOffered_whenCreate_thenMemoryMaxAndCpuMaxWritten()
      throws Exception {
    Path own = v2Group("cpuset cpu io memory pids", "");

    CgroupLimits limits = CgroupLimits.open(new CgroupLayout(Version.V2, own, own), PRETEND_PID);
    CgroupGroup group = limits.create("p.1", 64 * MIB, 0.5).orElseThrow();

    Path parent = own.resolve(CgroupOwner.of(PRETEND_PID).name());
    assertThat(own.resolve("cgroup.subtree_control")).hasContent("+memory +cpu");
    assertThat(parent.resolve("cgroup.subtree_control")).hasContent("+memory +cpu");
    assertThat(group.directories()).containsExactly(parent.resolve("p_1"));
    assertThat(parent.resolve("p_1/memory.max")).hasContent(Long.toString(64 * MIB));
    assertThat(parent.resolve("p_1/cpu.max")).hasContent("50000 100000");
    assertThat(group.memoryLimit()).isEqualTo(64 * MIB);
    assertThat(group.cpuLimit()).isEqualTo(0.5);
  }

  /**
   * A pool refill racing the run's end asked for a group while the exit removed the parent: CI saw
   * its "cannot create" WARN on a bridge's stderr. Once the exit began, nothing is made or said.
   */
  @Test
  void givenExitRemovingTheGroups_whenAGroupIsAskedFor_thenNoneIsMade() throws Exception {
    Path own = v2Group("cpuset cpu io memory pids", "");
    CgroupLimits limits = CgroupLimits.open(new CgroupLayout(Version.V2, own, own), PRETEND_PID);
    Path parent = own.resolve(CgroupOwner.of(PRETEND_PID).name());
    groups.add(limits.create("p.1", 64 * MIB, 0.5).orElseThrow());
    assertThat(parent.resolve("p_1")).isDirectory();

    limits.removeEmpty(); // on a real cgroup file system this removes the parent as well

    assertThat(limits.create("p.2", 64 * MIB, 0.5)).isEmpty();
    assertThat(parent.resolve("p_2")).doesNotExist();
  }

  @Test
  void givenV2GroupWithoutMemoryController_whenOpen_thenUnavailableSaysItMustBeDelegated()
      throws Exception {
    Path own = v2Group("cpu pids", "");

    assertThatThrownBy(() -> CgroupLimits.open(new CgroupLayout(Version.V2, own, own), 1))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("not given the memory controller")
        .hasMessageContaining("cpu pids");
  }

  @Test
  void givenV2GroupHoldingOtherProcesses_whenControllersRefused_thenUnavailableNamesThePids()
      throws Exception {
    Path own = v2Group("cpu memory", "1\n" + PRETEND_PID + "\n");
    refuseSubtreeControl(own);

    assertThatThrownBy(() -> CgroupLimits.open(new CgroupLayout(Version.V2, own, own), PRETEND_PID))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("pids [1]")
        .hasMessageContaining("no internal processes");
  }

  @Test
  void givenV2GroupHoldingOnlyTheFabric_whenControllersRefused_thenFabricMovesIntoLeaf()
      throws Exception {
    Path own = v2Group("cpu memory", PRETEND_PID + "\n");
    refuseSubtreeControl(own);

    assertThatThrownBy(() -> CgroupLimits.open(new CgroupLayout(Version.V2, own, own), PRETEND_PID))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("cannot enable");
    assertThat(own.resolve(CgroupOwner.of(PRETEND_PID).name() + "/fabric/cgroup.procs"))
        .hasContent(Long.toString(PRETEND_PID));
  }

  @Test
  void givenV2GroupHoldingOnlyThisJvm_whenOpenedNotToMoveIt_thenUnavailableAndNothingMoved()
      throws Exception {
    Path own = v2Group("cpu memory", PRETEND_PID + "\n");
    refuseSubtreeControl(own);
    CgroupLayout layout = new CgroupLayout(Version.V2, own, own);

    assertThatThrownBy(() -> CgroupLimits.open(layout, CgroupOwner.of(PRETEND_PID), false))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("holds this JVM (pid " + PRETEND_PID + ")")
        .hasMessageContaining("no internal processes")
        .hasMessageContaining("does not move the JVM you started");
    assertThat(own.resolve(CgroupOwner.of(PRETEND_PID).name())).doesNotExist();
  }

  @Test
  void givenV2GroupThatTakesControllers_whenOpenedNotToMoveThisJvm_thenLimitsAsUsual()
      throws Exception {
    Path own = v2Group("cpu memory", PRETEND_PID + "\n");

    CgroupLimits limits =
        CgroupLimits.open(
            new CgroupLayout(Version.V2, own, own), CgroupOwner.of(PRETEND_PID), false);

    assertThat(limits.create("p-1", 256 * MIB, 1).orElseThrow().memoryLimit()).isEqualTo(256 * MIB);
  }

  @Test
  void givenGroupsOfADeadFabric_whenCleanStale_thenRemovedAndTheirProcessesKilled()
      throws Exception {
    CgroupLimits ours = detected();
    Process gone = new ProcessBuilder("true").start();
    started.add(gone);
    gone.waitFor(5, TimeUnit.SECONDS);
    CgroupLimits stale = CgroupLimits.open(ours.layout(), gone.pid());
    CgroupGroup left = stale.create("left", 64 * MIB, 0.1).orElseThrow();
    Process sleeper = start("sleep", "30");
    assertThat(left.add(sleeper.pid())).isTrue();

    CgroupLimits.cleanStale(); // the count may be another JVM's: cgroup roots can be shared

    assertThat(stale.parents()).allSatisfy(p -> assertThat(p).doesNotExist());
    assertThat(sleeper.waitFor(5, TimeUnit.SECONDS)).isTrue();
    assertThat(ours.parents()).allSatisfy(p -> assertThat(p).isDirectory());
  }

  @Test
  void givenSiblingGroupsOfManyOwners_whenRemoveStale_thenOnlyProvablyGoneOnesOfOursRemoved()
      throws Exception {
    Path own = v2Group("cpu memory", "");
    CgroupOwner us = new CgroupOwner(100, 5000, NS, BOOT);
    CgroupLimits limits = CgroupLimits.open(new CgroupLayout(Version.V2, own, own), us);
    Path exited = sibling(own, new CgroupOwner(200, 6000, NS, BOOT).name());
    Path alive = sibling(own, new CgroupOwner(300, 7000, NS, BOOT).name());
    Path reused = sibling(own, new CgroupOwner(301, 7000, NS, BOOT).name());
    Path otherNamespace = sibling(own, new CgroupOwner(400, 1, NS + 1, BOOT).name());
    Path otherBoot = sibling(own, new CgroupOwner(500, 1, NS, "f".repeat(32)).name());
    Path oldStyle = sibling(own, "deploy-600");
    Map<Long, Long> running = Map.of(100L, 5000L, 300L, 7000L, 301L, 9999L);

    int removed =
        limits.removeStale(
            pid ->
                running.containsKey(pid)
                    ? OptionalLong.of(running.get(pid))
                    : OptionalLong.empty());

    assertThat(removed).isEqualTo(3);
    assertThat(exited).doesNotExist();
    assertThat(reused).doesNotExist();
    assertThat(otherBoot).doesNotExist();
    assertThat(alive).isDirectory();
    assertThat(otherNamespace).isDirectory();
    assertThat(oldStyle).isDirectory();
    assertThat(limits.parents()).allSatisfy(p -> assertThat(p).isDirectory());
  }

  @Test
  void givenThisMachine_whenDetectTwice_thenSameAnswerAndReasonOnlyWhenEmpty() {
    Optional<CgroupLimits> first = CgroupLimits.detect();

    assertThat(CgroupLimits.detect()).isSameAs(first);
    assertThat(CgroupLimits.unavailableReason().isEmpty()).isEqualTo(first.isPresent());
  }

  private static CgroupLimits detected() {
    Optional<CgroupLimits> limits = CgroupLimits.detect();
    assumeTrue(limits.isPresent(), CgroupLimits::unavailableReason);
    return limits.get();
  }

  private Process start(String... command) throws Exception {
    Process p = new ProcessBuilder(command).start();
    started.add(p);
    return p;
  }

  /** Makes an empty directory standing for a group beside ours. */
  private static Path sibling(Path own, String name) throws Exception {
    return Files.createDirectory(own.resolve(name));
  }

  /** Makes a directory standing for a v2 group: its controllers, subtree control and procs. */
  private Path v2Group(String controllers, String procs) throws Exception {
    Path own = Files.createDirectories(fake.resolve("own"));
    Files.writeString(own.resolve("cgroup.controllers"), controllers);
    Files.writeString(own.resolve("cgroup.subtree_control"), "");
    Files.writeString(own.resolve("cgroup.procs"), procs);
    return own;
  }

  /** Makes writes to {@code cgroup.subtree_control} fail, as the kernel's EBUSY would. */
  private static void refuseSubtreeControl(Path own) throws Exception {
    Files.delete(own.resolve("cgroup.subtree_control"));
    Files.createDirectory(own.resolve("cgroup.subtree_control"));
  }
}
