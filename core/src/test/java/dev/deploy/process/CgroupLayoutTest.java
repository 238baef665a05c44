package dev.deploy.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.process.CgroupLayout.Mount;
import dev.deploy.process.CgroupLayout.Unavailable;
import dev.deploy.process.CgroupLayout.Version;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CgroupLayoutTest {
  /** This machine: v1 controllers each on its own, the memory group nested, an empty cgroup2. */
  private static final String HYBRID_CGROUP =
      String.join(
          "\n",
          "9:name=systemd:/",
          "8:pids:/",
          "4:memory:/process_api/d3e9",
          "3:cpuset:/",
          "2:cpuacct:/",
          "1:cpu:/",
          "0::/",
          "");

  private static final String HYBRID_MOUNTINFO =
      String.join(
          "\n",
          "24 1 259:0 / / rw,relatime - ext4 /dev/vda rw",
          "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
          "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
          "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct",
          "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
          "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd",
          "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
          "");

  @Test
  void givenThisMachinesHybridFiles_whenResolve_thenV1MemoryAndCpuGroups() throws Exception {
    CgroupLayout layout = CgroupLayout.resolve(HYBRID_CGROUP, HYBRID_MOUNTINFO);

    assertThat(layout.version()).isEqualTo(Version.V1);
    assertThat(layout.memory()).isEqualTo(Path.of("/sys/fs/cgroup/memory/process_api/d3e9"));
    assertThat(layout.cpu()).contains(Path.of("/sys/fs/cgroup/cpu"));
  }

  @Test
  void givenSystemdV2Only_whenResolve_thenUnifiedGroupForMemoryAndCpu() throws Exception {
    String cgroup = "0::/system.slice/fabric.service\n";
    String mountinfo =
        "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4"
            + " - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

    CgroupLayout layout = CgroupLayout.resolve(cgroup, mountinfo);

    assertThat(layout.version()).isEqualTo(Version.V2);
    assertThat(layout.memory()).isEqualTo(Path.of("/sys/fs/cgroup/system.slice/fabric.service"));
    assertThat(layout.cpu()).contains(layout.memory());
  }

  @Test
  void givenSystemdHybridWithCpuCoMountedWithCpuacct_whenResolve_thenCpuFromTheCoMount()
      throws Exception {
    String cgroup =
        "12:memory:/user.slice\n4:cpu,cpuacct:/user.slice\n1:name=systemd:/user.slice/x\n"
            + "0::/user.slice/x\n";
    String mountinfo =
        String.join(
            "\n",
            "26 25 0:23 / /sys/fs/cgroup/unified rw shared:5 - cgroup2 cgroup2 rw,nsdelegate",
            "27 25 0:24 / /sys/fs/cgroup/systemd rw shared:6 - cgroup cgroup rw,xattr,name=systemd",
            "31 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw shared:10 - cgroup cgroup rw,cpu,cpuacct",
            "38 25 0:35 / /sys/fs/cgroup/memory rw shared:17 - cgroup cgroup rw,memory");

    CgroupLayout layout = CgroupLayout.resolve(cgroup, mountinfo);

    assertThat(layout.version()).isEqualTo(Version.V1);
    assertThat(layout.memory()).isEqualTo(Path.of("/sys/fs/cgroup/memory/user.slice"));
    assertThat(layout.cpu()).contains(Path.of("/sys/fs/cgroup/cpu,cpuacct/user.slice"));
  }

  @Test
  void givenContainerBindMountOfItsOwnSubtree_whenResolve_thenPathTakenFromTheMountRoot()
      throws Exception {
    String cgroup = "5:memory:/docker/abc\n3:cpu:/docker/abc\n";
    String mountinfo =
        "40 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
            + "41 31 0:29 /docker/abc /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";

    CgroupLayout layout = CgroupLayout.resolve(cgroup, mountinfo);

    assertThat(layout.memory()).isEqualTo(Path.of("/sys/fs/cgroup/memory"));
    assertThat(layout.cpu()).contains(Path.of("/sys/fs/cgroup/cpu"));
  }

  @Test
  void givenGroupOutsideTheMountedSubtree_whenResolve_thenUnavailableNamesBoth() {
    String cgroup = "0::/elsewhere\n";
    String mountinfo = "40 31 0:32 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";

    assertThatThrownBy(() -> CgroupLayout.resolve(cgroup, mountinfo))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("/elsewhere")
        .hasMessageContaining("/docker/abc");
  }

  @Test
  void givenReadOnlyMount_whenResolve_thenUnavailableNamesTheMountPoint() {
    String cgroup = "0::/\n";
    String mountinfo = "30 23 0:26 / /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw\n";

    assertThatThrownBy(() -> CgroupLayout.resolve(cgroup, mountinfo))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("read-only at /sys/fs/cgroup");
  }

  @Test
  void givenNoCgroupFileSystem_whenResolve_thenUnavailableSaysSo() {
    String mountinfo = "24 1 259:0 / / rw,relatime - ext4 /dev/vda rw\n";

    assertThatThrownBy(() -> CgroupLayout.resolve("", mountinfo))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("no cgroup file system");
  }

  @Test
  void givenV1WithoutCpuHierarchy_whenResolve_thenMemoryOnly() throws Exception {
    String cgroup = "4:memory:/a\n";
    String mountinfo = "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";

    CgroupLayout layout = CgroupLayout.resolve(cgroup, mountinfo);

    assertThat(layout.memory()).isEqualTo(Path.of("/sys/fs/cgroup/memory/a"));
    assertThat(layout.cpu()).isEmpty();
  }

  @Test
  void givenEscapedSpaceAndOptionalFields_whenParseMountinfo_thenUnescapedMount() {
    String line =
        "50 31 0:40 / /mnt/my\\040cgroups rw,relatime shared:7 master:1 - cgroup cgroup"
            + " rw,memory\n";

    List<Mount> mounts = CgroupLayout.parseMountinfo(line);

    assertThat(mounts)
        .containsExactly(
            new Mount(
                "/", Path.of("/mnt/my cgroups"), "cgroup", java.util.Set.of("memory"), false));
  }

  @Test
  void givenV1AndV2Lines_whenParseProcCgroup_thenPathPerControllerAndV2UnderEmptyKey() {
    Map<String, String> groups =
        CgroupLayout.parseProcCgroup("4:cpu,cpuacct:/a b\n1:name=systemd:/s\n0::/u\n");

    assertThat(groups)
        .containsEntry("cpu", "/a b")
        .containsEntry("cpuacct", "/a b")
        .containsEntry("name=systemd", "/s")
        .containsEntry("", "/u");
  }
}
