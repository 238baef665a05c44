package dev.deploy.bench;

import java.util.List;

/**
 * Every benchmark in one command, one table after the other: spawn ({@link SpawnLatency}: bare JVM,
 * cold and warm spawn, first message, throughput) and channels ({@link ChannelBench}: round trip,
 * throughput and bandwidth against raw NIO).
 *
 * <pre>
 * mvn -q -DskipTests package
 * java -cp cli/target/deploy.jar:bench/target/classes dev.deploy.bench.All
 * </pre>
 */
public final class All {
  private All() {}

  public static void main(String[] args) throws Exception {
    SpawnLatency.main(new String[] {"20"});
    System.out.println();
    String java = ProcessHandle.current().info().command().orElse("java");
    Process channels =
        new ProcessBuilder(
                List.of(
                    java,
                    "-cp",
                    System.getProperty("java.class.path"),
                    ChannelBench.class.getName()))
            .redirectOutput(ProcessBuilder.Redirect.INHERIT)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    System.exit(channels.waitFor());
  }
}
