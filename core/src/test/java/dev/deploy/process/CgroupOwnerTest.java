package dev.deploy.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The owner a parent cgroup's name carries, and when it is provably gone. */
@Timeout(5)
class CgroupOwnerTest {
  private static final String BOOT = "9c2c1714a13548319456f0fa58cf26b1";
  private static final long NS = 4026531836L;
  private static final CgroupOwner US = new CgroupOwner(100, 5000, NS, BOOT);

  @Test
  void givenOwner_whenNameParsed_thenSameOwner() {
    CgroupOwner owner = new CgroupOwner(4242, 123456, NS, BOOT);

    assertThat(owner.name()).isEqualTo("deploy-4242-123456-" + NS + "-" + BOOT);
    assertThat(CgroupOwner.parse(owner.name())).contains(owner);
  }

  @Test
  void givenOldOrForeignNames_whenParsed_thenNotAnOwner() {
    assertThat(CgroupOwner.parse("deploy-4242")).isEmpty();
    assertThat(CgroupOwner.parse("deploy-1-2-3-nothex")).isEmpty();
    assertThat(CgroupOwner.parse("deploy-1-2-3-" + BOOT + "-x")).isEmpty();
    assertThat(CgroupOwner.parse("p-1f")).isEmpty();
  }

  @Test
  void givenPidNotRunning_whenProvablyGone_thenTrue() {
    CgroupOwner other = new CgroupOwner(200, 6000, NS, BOOT);

    assertThat(other.provablyGone(US, pid -> OptionalLong.empty())).isTrue();
  }

  @Test
  void givenPidRunningSinceTheSameTick_whenProvablyGone_thenFalse() {
    CgroupOwner other = new CgroupOwner(200, 6000, NS, BOOT);

    assertThat(other.provablyGone(US, pid -> OptionalLong.of(6000))).isFalse();
  }

  @Test
  void givenPidReusedByALaterProcess_whenProvablyGone_thenTrue() {
    CgroupOwner other = new CgroupOwner(200, 6000, NS, BOOT);

    assertThat(other.provablyGone(US, pid -> OptionalLong.of(6001))).isTrue();
  }

  @Test
  void givenOwnerOfAnotherPidNamespace_whenItsPidIsNotRunningHere_thenNotProvablyGone() {
    CgroupOwner other = new CgroupOwner(200, 6000, NS + 1, BOOT);

    assertThat(other.provablyGone(US, pid -> OptionalLong.empty())).isFalse();
  }

  @Test
  void givenOwnerOfAnotherBoot_whenProvablyGone_thenTrue() {
    CgroupOwner other = new CgroupOwner(100, 5000, NS, "0".repeat(32));

    assertThat(other.provablyGone(US, pid -> OptionalLong.of(5000))).isTrue();
  }

  @Test
  void givenObserverWithoutBootId_whenProvablyGone_thenFalse() {
    CgroupOwner blind = new CgroupOwner(100, 5000, NS, "");
    CgroupOwner other = new CgroupOwner(200, 6000, NS, BOOT);

    assertThat(other.provablyGone(blind, pid -> OptionalLong.empty())).isFalse();
  }

  @Test
  void givenThisJvm_whenCurrent_thenItsStartTimeIsWhatProcSays() {
    assumeTrue(Files.exists(Path.of("/proc/self/stat")), "no /proc here: not Linux");
    CgroupOwner me = CgroupOwner.current();

    assertThat(me.pid()).isEqualTo(ProcessHandle.current().pid());
    assertThat(CgroupOwner.startTicksOf(me.pid())).hasValue(me.startTicks());
  }
}
