package dev.deploy.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Offer files a killed dialler left: named after their creator's pid, and removed by whoever sees
 * that pid end, without touching the files of a live process or of one that reused the pid later.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ShmFileSweepTest {
  private static final Instant NOW = Instant.now();

  /** A fake machine: pid to start time; absent pids hold no process. */
  private static ShmFile.Processes processes(Map<Long, Instant> started) {
    return new ShmFile.Processes() {
      @Override
      public boolean alive(long pid) {
        return started.containsKey(pid);
      }

      @Override
      public Instant started(long pid) {
        return started.get(pid);
      }
    };
  }

  private static Path file(Path dir, String name, Instant written) throws Exception {
    Path p = dir.resolve(name);
    Files.createFile(
        p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.setLastModifiedTime(p, FileTime.from(written));
    return p;
  }

  private static final String HEX = "0123456789abcdef0123456789abcdef";

  @Test
  void givenFilesOfDeadLiveAndReusedPids_whenSwept_thenOnlyDeadAndReusedRemoved(@TempDir Path dir)
      throws Exception {
    Instant written = NOW.minusSeconds(600);
    Path dead = file(dir, "deploy-100-" + HEX, written);
    Path live = file(dir, "deploy-200-" + HEX, written);
    Path reused = file(dir, "deploy-300-" + HEX, written);
    Path closeCall = file(dir, "deploy-400-" + HEX, written);
    Path unknownStart = file(dir, "deploy-500-" + HEX, written);
    Path oldForm = file(dir, "deploy-" + HEX, written);
    Path other = file(dir, "deploy-100-not-ours", written);
    ShmFile.Processes machine =
        processes(
            Map.of(
                200L, written.minusSeconds(60), // started before the file: its creator, alive
                300L, written.plusSeconds(60), // started after the file was written: pid reused
                400L, written.plusSeconds(1))); // within the slack of the JDK's start time: kept
    Map<Long, Instant> unknown = new java.util.HashMap<>();
    ShmFile.Processes withUnknown =
        new ShmFile.Processes() {
          @Override
          public boolean alive(long pid) {
            return pid == 500 || machine.alive(pid);
          }

          @Override
          public Instant started(long pid) {
            return pid == 500 ? null : machine.started(pid);
          }
        };

    int removed = ShmFile.sweep(dir, -1, Duration.ofMinutes(1), withUnknown);

    assertThat(removed).isEqualTo(2);
    assertThat(dead).doesNotExist();
    assertThat(reused).doesNotExist();
    assertThat(live).exists();
    assertThat(closeCall).exists();
    assertThat(unknownStart).exists();
    assertThat(oldForm).as("no pid in its name, younger than an hour: kept").exists();
    assertThat(other).exists();
    assertThat(unknown).isEmpty();
  }

  @Test
  void givenOldFormFiles_whenSweptAtStart_thenOnlyThoseOlderThanAnHourRemoved(@TempDir Path dir)
      throws Exception {
    Path orphan = file(dir, "deploy-" + HEX, NOW.minus(ShmFile.LEGACY_MIN_AGE).minusSeconds(60));
    Path recent = file(dir, "deploy-" + HEX.replace('0', 'f'), NOW.minusSeconds(600));
    Path notAnOffer = file(dir, "deploy-" + HEX + "x", NOW.minusSeconds(7200));
    ShmFile.Processes none = processes(Map.of());

    assertThat(ShmFile.sweep(dir, 4242, Duration.ZERO, none))
        .as("a process's end removes only its own pid's files")
        .isZero();
    assertThat(orphan).exists();

    assertThat(ShmFile.sweep(dir, -1, Duration.ofMinutes(1), none)).isEqualTo(1);
    assertThat(orphan).doesNotExist();
    assertThat(recent).exists();
    assertThat(notAnOffer).exists();
  }

  @Test
  void givenYoungFileOfDeadPid_whenSweptAtStart_thenKeptButSweptWhenItsPidEnded(@TempDir Path dir)
      throws Exception {
    Path young = file(dir, "deploy-100-" + HEX, NOW.minusSeconds(5));
    Path otherPid = file(dir, "deploy-101-" + HEX, NOW.minusSeconds(5));
    ShmFile.Processes none = processes(Map.of());

    assertThat(ShmFile.sweep(dir, -1, Duration.ofMinutes(1), none)).isZero();
    assertThat(young).exists();

    assertThat(ShmFile.sweep(dir, 100, Duration.ZERO, none)).isEqualTo(1);
    assertThat(young).doesNotExist();
    assertThat(otherPid).as("another pid's file").exists();
  }

  @Test
  void givenSweepRule_whenWrittenBeforeOrAfterHolderStarted_thenStaleOnlyWhenDeadOrClearlyReused() {
    Instant t = NOW;
    assertThat(ShmFile.stale(t, false, null)).isTrue();
    assertThat(ShmFile.stale(t, true, null)).isFalse();
    assertThat(ShmFile.stale(t, true, t.minusSeconds(10))).isFalse();
    assertThat(ShmFile.stale(t, true, t.plus(ShmFile.START_SLACK))).isFalse();
    assertThat(ShmFile.stale(t, true, t.plus(ShmFile.START_SLACK).plusMillis(1))).isTrue();
  }

  /**
   * A dialler's offer file, made by a child JVM through {@link ShmFile#create} exactly as a dialler
   * makes it; the child is killed (SIGKILL) once the file exists, before anyone mapped it; the
   * sweep the fabric runs when it sees its process end removes it.
   */
  @Test
  void givenDiallerKilledAfterItsOffer_whenItsEndIsSwept_thenNoFileLeft() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(ShmFile.DIR), "this machine has no /dev/shm");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                OfferThenWait.class.getName())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    Path offer = null;
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String name = out.readLine(); // the event: the file exists, nobody mapped it
      assertThat(name).as("the child's offer").isNotNull();
      offer = ShmFile.DIR.resolve(name);
      assertThat(name).startsWith("deploy-" + child.pid() + "-");
      assertThat(offer).exists();

      child.destroyForcibly(); // SIGKILL
      child.waitFor();
      assertThat(offer).as("left by the killed dialler").exists();

      assertThat(ShmFile.sweepEnded(child.pid())).isEqualTo(1);

      assertThat(offer).doesNotExist();
    } finally {
      child.destroyForcibly().waitFor();
      if (offer != null) {
        Files.deleteIfExists(offer);
      }
    }
  }

  /** The child of the test above: makes an offer file, says its name, waits to be killed. */
  public static final class OfferThenWait {
    public static void main(String[] args) throws Exception {
      ShmFile offer = ShmFile.create();
      System.out.println(offer.name());
      System.out.flush();
      System.in.read(); // until killed (or the test's end closes our stdin)
      offer.unlink();
    }
  }
}
