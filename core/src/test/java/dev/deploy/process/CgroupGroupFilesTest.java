package dev.deploy.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.deploy.process.CgroupLayout.Version;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link CgroupGroup} against directories standing for cgroupfs: runs on any machine. */
@Timeout(10)
class CgroupGroupFilesTest {
  private static final long MIB = 1L << 20;

  private final List<Process> started = new ArrayList<>();

  @TempDir Path fake;

  @AfterEach
  void killStarted() throws InterruptedException {
    for (Process p : started) {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void givenCgroupProcsThatCannotBeWritten_whenWrappedCommandStarts_thenItNeverRuns()
      throws Exception {
    Path dir = Files.createDirectories(fake.resolve("refusing"));
    Files.createDirectory(dir.resolve("cgroup.procs")); // a write fails, as EACCES or EBUSY would
    CgroupGroup group = new CgroupGroup(Version.V2, "refusing", dir, dir);

    Process p = new ProcessBuilder(group.wrap(List.of("/bin/sh", "-c", "echo ran"))).start();
    started.add(p);

    assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(CgroupGroup.NOT_CONFINED_EXIT);
    assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
    assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
        .startsWith(CgroupGroup.NOT_CONFINED + " " + p.pid())
        .contains(dir.resolve("cgroup.procs").toString());
  }

  @Test
  void givenWritableCgroupProcs_whenWrappedCommandStarts_thenItRunsWithItsPidWritten()
      throws Exception {
    Path dir = group("cgroup.procs", "");
    CgroupGroup group = new CgroupGroup(Version.V2, "g", dir, dir);

    Process p = new ProcessBuilder(group.wrap(List.of("/bin/sh", "-c", "echo ran"))).start();
    started.add(p);

    assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("ran\n");
    assertThat(dir.resolve("cgroup.procs")).hasContent(Long.toString(p.pid()));
  }

  @Test
  void givenV1OomControlWithKills_whenOomKills_thenTheCount() throws Exception {
    Path dir = group("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");

    assertThat(new CgroupGroup(Version.V1, "g", dir, null).oomKills()).isEqualTo(2);
  }

  @Test
  void givenV2EventsWithAKill_whenOomKills_thenTheCount() throws Exception {
    Path dir = group("memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");

    assertThat(new CgroupGroup(Version.V2, "g", dir, dir).oomKills()).isEqualTo(1);
  }

  @Test
  void givenV1KernelThatCountsNoKills_whenOomKills_thenUnknownEvenAtTheLimit() throws Exception {
    Path dir = group("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");
    Files.writeString(dir.resolve("memory.failcnt"), "5");

    assertThat(new CgroupGroup(Version.V1, "g", dir, null).oomKills()).isEqualTo(-1);
  }

  @Test
  void givenClosedGroup_whenOomKills_thenUnknown() throws Exception {
    Path dir = group("memory.events", "oom_kill 1\n");
    CgroupGroup group = new CgroupGroup(Version.V2, "g", dir, dir);
    group.close();

    assertThat(group.oomKills()).isEqualTo(-1);
    assertThat(group.oomKilled()).as("what was read before the group went").isTrue();
  }

  @Test
  void givenV2EventsWithAnOomKill_whenOomKilled_thenTrue() throws Exception {
    Path dir = group("memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n");

    assertThat(new CgroupGroup(Version.V2, "g", dir, dir).oomKilled()).isTrue();
  }

  @Test
  void givenV1CounterZeroThoughTheLimitWasReached_whenOomKilled_thenFalse() throws Exception {
    Path dir = group("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
    Files.writeString(dir.resolve("memory.limit_in_bytes"), Long.toString(64 * MIB));
    Files.writeString(dir.resolve("memory.max_usage_in_bytes"), Long.toString(64 * MIB));

    assertThat(new CgroupGroup(Version.V1, "g", dir, null).oomKilled()).isFalse();
  }

  @Test
  void givenOldV1KernelWithoutCounterAndPeakAtLimit_whenOomKilled_thenTrue() throws Exception {
    Path dir = group("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");
    Files.writeString(dir.resolve("memory.limit_in_bytes"), Long.toString(64 * MIB));
    Files.writeString(dir.resolve("memory.max_usage_in_bytes"), Long.toString(64 * MIB));
    Files.writeString(dir.resolve("memory.failcnt"), "0");

    assertThat(new CgroupGroup(Version.V1, "g", dir, null).oomKilled()).isTrue();
  }

  @Test
  void givenWrappedCommand_whenRun_thenItsPidWasWrittenAndExecKeptThePid() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "no /bin/sh here");
    Path memory = Files.createDirectories(fake.resolve("memory/with space"));
    Path cpu = Files.createDirectories(fake.resolve("cpu/g"));
    CgroupGroup group = new CgroupGroup(Version.V1, "g", memory, cpu);

    Process p =
        new ProcessBuilder(group.wrap(List.of("cat", memory.resolve("cgroup.procs").toString())))
            .start();
    started.add(p);

    assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(out).isEqualTo(Long.toString(p.pid()));
    assertThat(cpu.resolve("cgroup.procs")).hasContent(Long.toString(p.pid()));
  }

  private Path group(String file, String content) throws Exception {
    Path dir = Files.createDirectories(fake.resolve("g"));
    Files.writeString(dir.resolve(file), content);
    return dir;
  }
}
