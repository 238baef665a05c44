package dev.deploy.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Resources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class JvmCommandTest {
  private static final String JAVA = "/opt/jdk/bin/java";
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;

  @Test
  void givenOptionsAndClassPath_whenParse_thenOptionsKeptInOrderAndProgramSplit() {
    JvmCommand command =
        JvmCommand.parse(
            JAVA, List.of("-Dapp.mode=test", "-cp", "a.jar:lib/*", "-Xss2m", "app.Main", "x"));

    assertThat(command.java()).isEqualTo(JAVA);
    assertThat(command.options())
        .containsExactly("-Dapp.mode=test", "-cp", "a.jar:lib/*", "-Xss2m");
    assertThat(command.program()).containsExactly("app.Main", "x");
    assertThat(command.classPath()).contains("a.jar:lib/*");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5005",
        "-agentpath:/opt/profiler/libasyncProfiler.so=start",
        "-javaagent:/home/me/.m2/jacoco.jar=destfile=target/jacoco.exec",
        "-Xrunjdwp:transport=dt_socket,server=y",
        "-Xdebug",
      })
  void givenAgentOrDebugger_whenParse_thenDropped(String option) {
    JvmCommand command = JvmCommand.parse(JAVA, List.of("-Da=1", option, "-cp", "x", "Main"));

    assertThat(command.options()).containsExactly("-Da=1", "-cp", "x");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "-Xmx8g",
        "-Xms512m",
        "-XX:MaxHeapSize=4294967296",
        "-XX:InitialHeapSize=1g",
        "-XX:ActiveProcessorCount=16",
      })
  void givenHeapOrProcessorOption_whenParse_thenDropped(String option) {
    JvmCommand command = JvmCommand.parse(JAVA, List.of(option, "-cp", "x", "Main"));

    assertThat(command.options()).containsExactly("-cp", "x");
  }

  @Test
  void givenMinimumHeapOption_whenParse_thenKeptAsTheUserChoseIt() {
    // Only the options the runtime sets itself are replaced; a -XX:MinHeapSize above a spawn's
    // heap makes that JVM refuse to start, which the spawn reports with the JVM's own words.
    JvmCommand command = JvmCommand.parse(JAVA, List.of("-XX:MinHeapSize=2g", "-cp", "x", "Main"));

    assertThat(command.options()).containsExactly("-XX:MinHeapSize=2g", "-cp", "x");
  }

  @Test
  void givenHeapAndProcessorOptions_whenForResources_thenReplacedByOnesForTheResources() {
    JvmCommand command =
        JvmCommand.parse(
            JAVA,
            List.of("-Xmx8g", "-Xms8g", "-XX:ActiveProcessorCount=16", "-cp", "x", "Main", "arg"));

    List<String> line = command.forResources(new Resources(GIB, 2.5));

    assertThat(line)
        .containsExactly(
            JAVA,
            "-XX:NewSize=64m",
            "-cp",
            "x",
            "-Xmx768m",
            "-XX:ActiveProcessorCount=3",
            "Main",
            "arg");
  }

  @Test
  void givenDefaultResources_whenForResources_thenHeapIsThreeQuartersAndOneProcessor() {
    List<String> line = JvmCommand.parse(JAVA, List.of("Main")).forResources(Resources.DEFAULT);

    assertThat(line)
        .containsExactly(JAVA, "-XX:NewSize=64m", "-Xmx768m", "-XX:ActiveProcessorCount=1", "Main");
  }

  @Test
  void givenProgramsOwnYoungGeneration_whenForResources_thenItComesAfterTheRuntimesAndWins() {
    List<String> line =
        JvmCommand.parse(JAVA, List.of("-Xmn8m", "Main")).forResources(Resources.DEFAULT);

    assertThat(line)
        .containsExactly(
            JAVA, "-XX:NewSize=64m", "-Xmn8m", "-Xmx768m", "-XX:ActiveProcessorCount=1", "Main");
  }

  @Test
  void givenHeaps_whenYoungFor_thenAQuarterBetweenOneAnd64MiB() {
    assertThat(JvmCommand.youngFor(16L << 20)).isEqualTo(4L << 20);
    assertThat(JvmCommand.youngFor(192L << 20)).isEqualTo(48L << 20);
    assertThat(JvmCommand.youngFor(8L << 30)).isEqualTo(64L << 20);
    assertThat(JvmCommand.youngFor(2L << 20)).isEqualTo(1L << 20);
  }

  @Test
  void givenJar_whenParse_thenJarAndItsArgumentsAreTheProgram() {
    JvmCommand command =
        JvmCommand.parse(JAVA, List.of("-Dx=1", "-Xmx1g", "-jar", "app.jar", "in.txt", "-v"));

    assertThat(command.options()).containsExactly("-Dx=1");
    assertThat(command.program()).containsExactly("-jar", "app.jar", "in.txt", "-v");
  }

  @Test
  void givenJar_whenForResources_thenResourceOptionsComeBeforeTheJar() {
    List<String> line =
        JvmCommand.parse(JAVA, List.of("-jar", "app.jar", "a")).forResources(Resources.DEFAULT);

    assertThat(line)
        .containsExactly(
            JAVA,
            "-XX:NewSize=64m",
            "-Xmx768m",
            "-XX:ActiveProcessorCount=1",
            "-jar",
            "app.jar",
            "a");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"-m", "--module"})
  void givenModuleAndMainClass_whenParse_thenModuleAndArgumentsAreTheProgram(String flag) {
    JvmCommand command =
        JvmCommand.parse(JAVA, List.of("-p", "mods", flag, "app/app.Main", "one", "two"));

    assertThat(command.options()).containsExactly("-p", "mods");
    assertThat(command.program()).containsExactly(flag, "app/app.Main", "one", "two");
  }

  @Test
  void givenModuleWithEqualsSign_whenParse_thenModuleIsTheProgram() {
    JvmCommand command = JvmCommand.parse(JAVA, List.of("--module=app/app.Main", "one"));

    assertThat(command.program()).containsExactly("--module=app/app.Main", "one");
  }

  @Test
  void givenLongClassPathOption_whenParse_thenValueKeptAndMainClassFound() {
    JvmCommand command = JvmCommand.parse(JAVA, List.of("--class-path", "x", "Main", "a", "b"));

    assertThat(command.options()).containsExactly("--class-path", "x");
    assertThat(command.program()).containsExactly("Main", "a", "b");
    assertThat(command.classPath()).contains("x");
  }

  @Test
  void givenClassPathOptionWithEqualsSign_whenClassPath_thenItsValue() {
    JvmCommand command = JvmCommand.parse(JAVA, List.of("--class-path=lib/a.jar", "Main"));

    assertThat(command.program()).containsExactly("Main");
    assertThat(command.classPath()).contains("lib/a.jar");
  }

  @Test
  void givenNoClassPathOption_whenClassPath_thenEmpty() {
    assertThat(JvmCommand.parse(JAVA, List.of("-jar", "app.jar")).classPath()).isEmpty();
  }

  @Test
  void givenOptionWhoseValueIsTheNextArgument_whenParse_thenValueNotTakenForTheMainClass() {
    JvmCommand command =
        JvmCommand.parse(
            JAVA,
            List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED", "-cp", "x", "Main", "a"));

    assertThat(command.options())
        .containsExactly("--add-opens", "java.base/java.lang=ALL-UNNAMED", "-cp", "x");
    assertThat(command.program()).containsExactly("Main", "a");
  }

  @Test
  void givenProgramArgumentsThatLookLikeOptions_whenParse_thenKeptAsArguments() {
    List<String> args =
        List.of("-cp", "x", "Main", "-Xmx5g", "-javaagent:y.jar", "-cp", "z", "-jar", "w.jar");

    JvmCommand command = JvmCommand.parse(JAVA, args);

    assertThat(command.options()).containsExactly("-cp", "x");
    assertThat(command.program())
        .containsExactly("Main", "-Xmx5g", "-javaagent:y.jar", "-cp", "z", "-jar", "w.jar");
  }

  @Test
  void givenArgumentsListChangedAfterParse_whenRead_thenCommandUnchanged() {
    List<String> args = new ArrayList<>(List.of("-Da=1", "Main", "x"));
    JvmCommand command = JvmCommand.parse(JAVA, args);

    args.set(0, "-Da=2");
    args.set(2, "y");

    assertThat(command.options()).containsExactly("-Da=1");
    assertThat(command.program()).containsExactly("Main", "x");
  }

  @Test
  void givenOneGib_whenHeapFor_then768Mib() {
    assertThat(JvmCommand.heapFor(GIB)).isEqualTo(768 * MIB);
  }

  @Test
  void givenMinimumMemory_whenHeapFor_then48Mib() {
    assertThat(JvmCommand.heapFor(64 * MIB)).isEqualTo(48 * MIB);
  }

  @Test
  void givenMemoryNotAWholeNumberOfMib_whenHeapFor_thenWholeMibAtMostThreeQuarters() {
    long memory = 100_000_000L;

    long heap = JvmCommand.heapFor(memory);

    assertThat(heap % MIB).isZero();
    assertThat(heap).isLessThanOrEqualTo(memory / 4 * 3).isGreaterThan(memory / 4 * 3 - MIB);
  }

  @ParameterizedTest(name = "{0} cores -> {1}")
  @CsvSource({"0, 1", "0.05, 1", "1, 1", "1.0001, 2", "2, 2", "2.5, 3", "34, 34"})
  void givenCpu_whenProcessorsFor_thenRoundedUpAndAtLeastOne(double cpu, int processors) {
    assertThat(JvmCommand.processorsFor(cpu)).isEqualTo(processors);
  }

  @Test
  void givenThisJvm_whenCurrent_thenJavaIsAnExecutableFile() {
    JvmCommand command = JvmCommand.current();

    assertThat(Path.of(command.java())).isRegularFile();
    assertThat(Files.isExecutable(Path.of(command.java()))).isTrue();
  }

  @Test
  void givenThisJvm_whenCurrent_thenProgramPartIsNotEmpty() {
    assertThat(JvmCommand.current().program()).isNotEmpty();
  }

  @Test
  void givenThisJvm_whenCurrent_thenNoHeapOrAgentOptionsKept() {
    assertThat(JvmCommand.current().options())
        .noneMatch(o -> o.startsWith("-Xmx") || o.startsWith("-javaagent:"));
  }

  @Test
  void givenProgramAskingForALargerMinimumHeap_whenProbeHeapApplied_thenTheProgramsMinimumWins() {
    JvmCommand c = JvmCommand.parse("java", List.of("-XX:MinHeapSize=512m", "-cp", "x", "Main"));

    assertThat(c.minHeapBytes()).isEqualTo(512L << 20);
    assertThat(c.asGivenWithHeap(256L << 20)).contains("-Xmx512m");
  }

  @Test
  void givenSmallOrNoMinimumHeap_whenProbeHeapApplied_thenTheProbesHeap() {
    JvmCommand c = JvmCommand.parse("java", List.of("-XX:MinHeapSize=64M", "-cp", "x", "Main"));

    assertThat(c.minHeapBytes()).isEqualTo(64L << 20);
    assertThat(c.asGivenWithHeap(256L << 20)).contains("-Xmx256m");
    assertThat(JvmCommand.parse("java", List.of("-cp", "x", "Main")).minHeapBytes()).isZero();
  }

  @ParameterizedTest
  @CsvSource({"1g,1073741824", "2K,2048", "100,100", "x,0", "m,0", "-5m,0"})
  void givenJvmSize_whenParsed_thenBytes(String text, long bytes) {
    assertThat(JvmCommand.jvmSize(text)).isEqualTo(bytes);
  }
}
