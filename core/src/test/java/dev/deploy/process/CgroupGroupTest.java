package dev.deploy.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real groups on this machine; skipped where {@link CgroupLimits#detect()} is empty. */
@Timeout(20)
class CgroupGroupTest {
  private static final long MIB = 1L << 20;

  /** Clock ticks per second in /proc/<pid>/stat: USER_HZ, 100 on every Linux ABI we run on. */
  private static final double TICKS_PER_SECOND = 100;

  private final List<Process> started = new ArrayList<>();
  private final List<CgroupGroup> groups = new ArrayList<>();
  private CgroupLimits limits;

  /** Allocates 300 MiB of byte arrays and touches every page; run by the OOM test. */
  public static final class Hog {
    public static void main(String[] args) {
      List<byte[]> kept = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        byte[] mib = new byte[1 << 20];
        for (int j = 0; j < mib.length; j += 4096) {
          mib[j] = 1;
        }
        kept.add(mib);
      }
      System.out.println("allocated " + kept.size() + " MiB");
    }
  }

  @BeforeEach
  void detect() {
    Optional<CgroupLimits> detected = CgroupLimits.detect();
    assumeTrue(detected.isPresent(), CgroupLimits::unavailableReason);
    limits = detected.get();
  }

  @AfterEach
  void killStartedAndCloseGroups() throws InterruptedException {
    for (Process p : started) {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
    }
    groups.forEach(CgroupGroup::close);
  }

  @Test
  void givenSleepMovedInto64MiBGroup_whenReadBack_thenListedAndLimitsHeld() throws Exception {
    CgroupGroup group = create("sleeper", 64 * MIB, 0.5);
    Process sleep = start(List.of("sleep", "30"));

    assertThat(group.add(sleep.pid())).isTrue();

    assertThat(group.pids()).containsExactly(sleep.pid());
    assertThat(group.contains(sleep.pid())).isTrue();
    assertThat(group.memoryLimit()).isEqualTo(64 * MIB);
    if (limits.limitsCpu()) {
      assertThat(group.cpuLimit()).isEqualTo(0.5);
    }
    assertThat(Files.readString(Path.of("/proc/" + sleep.pid() + "/cgroup")))
        .contains("/" + CgroupOwner.current().name() + "/sleeper");
  }

  @Test
  void givenJvmAllocating300MiBIn128MiBGroup_whenItRuns_thenKernelKillsItAndOomKilledIsTrue()
      throws Exception {
    CgroupGroup group = create("hog", 128 * MIB, 0);
    String classes =
        Path.of(Hog.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    Process hog =
        start(
            group.wrap(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m",
                    "-XX:+UseSerialGC",
                    "-cp",
                    classes,
                    Hog.class.getName())));

    assertThat(hog.waitFor(15, TimeUnit.SECONDS)).isTrue();

    String out = new String(hog.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(hog.exitValue()).as("exit code of a SIGKILLed process").isEqualTo(128 + 9);
    assertThat(out).doesNotContain("allocated");
    assertThat(group.oomKilled()).isTrue();
  }

  @Test
  void givenBusyLoopWithPointTwoCores_whenMeasuredOverTwoSeconds_thenAtMostAQuarterOfACore()
      throws Exception {
    assumeTrue(limits.limitsCpu(), "no cpu hierarchy to limit in: " + limits);
    CgroupGroup group = create("busy", 64 * MIB, 0.2);
    Process busy = start(group.wrap(List.of("sh", "-c", "while :; do :; done")));
    long before = cpuTicks(busy.pid());
    long from = System.nanoTime();

    busy.waitFor(2, TimeUnit.SECONDS); // the measuring window: it never exits by itself

    double seconds = (System.nanoTime() - from) / 1e9;
    double cores = (cpuTicks(busy.pid()) - before) / TICKS_PER_SECOND / seconds;
    assertThat(group.contains(busy.pid())).isTrue();
    assertThat(cores).isBetween(0.05, 0.25);
  }

  @Test
  void givenGroupWithALiveProcess_whenClose_thenProcessKilledAndDirectoriesGone() throws Exception {
    CgroupGroup group = create("leftover", 64 * MIB, 0.1);
    Process sleep = start(List.of("sleep", "30"));
    assertThat(group.add(sleep.pid())).isTrue();

    group.close();
    group.close();

    assertThat(sleep.waitFor(5, TimeUnit.SECONDS)).isTrue();
    assertThat(sleep.exitValue()).isEqualTo(128 + 9);
    assertThat(group.directories()).allSatisfy(d -> assertThat(d).doesNotExist());
    assertThat(group.oomKilled()).isFalse();
    assertThat(group.add(sleep.pid())).isFalse();
  }

  @Test
  void givenNameTaken_whenCreateAgain_thenSuffixedGroup() {
    CgroupGroup first = create("twice", 64 * MIB, 0.1);
    CgroupGroup second = create("twice", 64 * MIB, 0.1);

    assertThat(first.name()).isEqualTo("twice");
    assertThat(second.name()).isEqualTo("twice-2");
  }

  private CgroupGroup create(String name, long memory, double cpu) {
    CgroupGroup group = limits.create(name, memory, cpu).orElseThrow();
    groups.add(group);
    return group;
  }

  private Process start(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    started.add(p);
    return p;
  }

  /** Returns utime + stime of {@code pid} from /proc/pid/stat (fields 14 and 15). */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(after[11]) + Long.parseLong(after[12]);
  }
}
