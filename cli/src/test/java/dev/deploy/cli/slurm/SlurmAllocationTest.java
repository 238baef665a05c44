package dev.deploy.cli.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SlurmAllocation} and {@link NodeList} on fake step environments, as Slurm 22.05 writes
 * them: a node's size comes from the job, never from the machine running the test.
 */
@Timeout(10)
class SlurmAllocationTest {
  private static final SlurmAllocation.RealMemory NO_LOOKUP =
      node -> {
        throw new AssertionError("RealMemory looked up although the job said its memory");
      };

  private static Map<String, String> step(String... pairs) {
    Map<String, String> env = new HashMap<>();
    env.put("SLURMD_NODENAME", "n2");
    env.put("SLURM_CPUS_ON_NODE", "4");
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  // ----- sizing a node

  @Test
  void givenMemPerNode_whenSized_thenThatMemoryAndCpusOnNode() {
    SlurmAllocation.NodeShare s =
        SlurmAllocation.ofStep(step("SLURM_MEM_PER_NODE", "8192"), "0-63", NO_LOOKUP);

    assertThat(s.node()).isEqualTo("n2");
    assertThat(s.cpus()).isEqualTo(4);
    assertThat(s.memory()).isEqualTo(8192L << 20);
    assertThat(s.capacity()).isEqualTo((8192L - 384) << 20);
  }

  @Test
  void givenAffinityMaskNarrowerThanCpusOnNode_whenSized_thenTheMask() {
    SlurmAllocation.NodeShare s =
        SlurmAllocation.ofStep(step("SLURM_MEM_PER_NODE", "1024"), "2,5", NO_LOOKUP);

    assertThat(s.cpus()).isEqualTo(2);
  }

  @Test
  void givenMemPerCpu_whenSized_thenTimesTheNodesCpus() {
    SlurmAllocation.NodeShare s =
        SlurmAllocation.ofStep(step("SLURM_MEM_PER_CPU", "300"), "0-1", NO_LOOKUP);

    assertThat(s.memory()).isEqualTo(1200L << 20);
    assertThat(s.cpus()).isEqualTo(2);
    assertThat(s.memoryFrom()).contains("SLURM_MEM_PER_CPU");
  }

  @Test
  void givenNoMemoryVariable_whenSized_thenTheNodesRealMemoryFromSlurm() {
    AtomicInteger lookups = new AtomicInteger();
    SlurmAllocation.NodeShare s =
        SlurmAllocation.ofStep(
            step(),
            null,
            node -> {
              lookups.incrementAndGet();
              return node.equals("n2") ? OptionalLong.of(4096) : OptionalLong.empty();
            });

    assertThat(s.memory()).isEqualTo(4096L << 20);
    assertThat(s.cpus()).isEqualTo(4);
    assertThat(lookups).hasValue(1);
  }

  @Test
  void givenNoMemoryAndNoRealMemory_whenSized_thenOneSentenceAskingForMem() {
    assertThatThrownBy(() -> SlurmAllocation.ofStep(step(), null, n -> OptionalLong.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RealMemory of node n2")
        .hasMessageContaining("--mem");
  }

  @Test
  void givenSmallMemory_whenSized_thenTheFabricKeepsAQuarter() {
    SlurmAllocation.NodeShare s =
        SlurmAllocation.ofStep(step("SLURM_MEM_PER_NODE", "512"), null, NO_LOOKUP);

    assertThat(s.capacity()).isEqualTo(384L << 20);
  }

  @Test
  void givenNoNodeName_whenSized_thenSaysItIsNotInAStep() {
    Map<String, String> env = step("SLURM_MEM_PER_NODE", "512");
    env.remove("SLURMD_NODENAME");

    assertThatThrownBy(() -> SlurmAllocation.ofStep(env, null, NO_LOOKUP))
        .hasMessage(
            "SLURMD_NODENAME is not set: this does not run in a Slurm job step (srun sets it)");
  }

  @Test
  void givenMalformedCpusOnNode_whenSized_thenNamesTheValue() {
    assertThatThrownBy(
            () ->
                SlurmAllocation.ofStep(
                    step("SLURM_CPUS_ON_NODE", "four", "SLURM_MEM_PER_NODE", "1"), null, NO_LOOKUP))
        .hasMessageContaining("SLURM_CPUS_ON_NODE=\"four\"");
  }

  @Test
  void givenCpuLists_whenCounted_thenEveryProcessorOnce() {
    assertThat(SlurmAllocation.cpuCount("0")).isEqualTo(1);
    assertThat(SlurmAllocation.cpuCount("0-3,8,10-11")).isEqualTo(7);
    assertThatThrownBy(() -> SlurmAllocation.cpuCount("0-")).hasMessageContaining("\"0-\"");
  }

  @Test
  void givenProcStatus_whenRead_thenTheCpusAllowedList() {
    String status = "Name:\tjava\nCpus_allowed:\tf\nCpus_allowed_list:\t0-3\nMems_allowed:\t1\n";

    assertThat(SlurmAllocation.cpusAllowedList(status)).isEqualTo("0-3");
    assertThat(SlurmAllocation.cpusAllowedList("Name:\tjava\n")).isNull();
  }

  // ----- the job as a whole

  @Test
  void givenCpusPerTaskSet_whenAskedForC_thenThatValue() {
    assertThat(
            SlurmAllocation.cpusPerTask(
                Map.of("SLURM_CPUS_PER_TASK", "3", "SLURM_JOB_CPUS_PER_NODE", "8(x2)")))
        .isEqualTo(3);
  }

  @Test
  void givenUnevenCpusPerNode_whenAskedForC_thenTheFewest() {
    assertThat(SlurmAllocation.cpusPerTask(Map.of("SLURM_JOB_CPUS_PER_NODE", "4(x2),2,6")))
        .isEqualTo(2);
    assertThatThrownBy(() -> SlurmAllocation.cpusPerTask(Map.of("SLURM_JOB_CPUS_PER_NODE", "x")))
        .hasMessageContaining("\"x\"");
  }

  @Test
  void givenJobNodeList_whenRead_thenExpanded() {
    assertThat(SlurmAllocation.nodes(Map.of("SLURM_JOB_NODELIST", "n[1-2]")))
        .containsExactly("n1", "n2");
  }

  // ----- node lists

  @Test
  void givenRangesAndSingles_whenExpanded_thenInOrder() {
    assertThat(NodeList.expand("n[1-2,5]")).containsExactly("n1", "n2", "n5");
    assertThat(NodeList.expand("n7")).containsExactly("n7");
  }

  @Test
  void givenZeroPaddedRangeAfterPlainName_whenExpanded_thenPaddingKept() {
    assertThat(NodeList.expand("a1,b[01-03]")).containsExactly("a1", "b01", "b02", "b03");
    assertThat(NodeList.expand("gpu[009-011]")).containsExactly("gpu009", "gpu010", "gpu011");
  }

  @Test
  void givenTwoBracketsInOneName_whenExpanded_thenEveryCombination() {
    assertThat(NodeList.expand("r[1-2]n[1-2]")).isEqualTo(List.of("r1n1", "r1n2", "r2n1", "r2n2"));
  }

  @Test
  void givenMalformedLists_whenExpanded_thenOneSentenceNamingTheList() {
    assertThatThrownBy(() -> NodeList.expand("n[1-2"))
        .hasMessage("the node list \"n[1-2\" is malformed: it has a '[' without its ']'");
    assertThatThrownBy(() -> NodeList.expand("n[3-1]")).hasMessageContaining("runs backwards");
    assertThatThrownBy(() -> NodeList.expand("n[a]")).hasMessageContaining("\"a\"");
    assertThatThrownBy(() -> NodeList.expand("n1,,n2")).hasMessageContaining("empty name");
    assertThatThrownBy(() -> NodeList.expand("n[1-999999]")).hasMessageContaining("more than");
  }
}
