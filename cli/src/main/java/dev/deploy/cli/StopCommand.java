package dev.deploy.cli;

import dev.deploy.bridge.Formats;
import dev.deploy.cluster.client.DeployClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code deploy stop}: SIGTERM to every process of a deployment, SIGKILL after a grace. */
@Command(
    name = "stop",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Stop a deployment: SIGTERM to every one of its processes on every machine, then SIGKILL"
          + " to those still running after the grace period. Prints what it did and the"
          + " deployment's exit code. Its client, if one is attached, sees the ends and exits.",
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:the deployment stopped (or had already ended)",
      "1:the bridge holds no such deployment, or cannot be reached",
      "2:the arguments are wrong"
    },
    footerHeading = "%nExample:%n",
    footer = {"  deploy stop 10.0.0.1:7000 4403861827356142137 --grace 30s"})
final class StopCommand implements Callable<Integer> {
  @Option(
      names = "--grace",
      paramLabel = "<duration>",
      description = "How long processes have after SIGTERM, like 10s, 2m (default: 10s).")
  String grace = "10s";

  @Mixin BridgeClientOptions options;

  @Parameters(
      paramLabel = "[<bridge-addr>] <id>",
      arity = "1..2",
      description = "Where the bridge listens (default: $DEPLOY_BRIDGE), and the deployment's id.")
  List<String> positional = new ArrayList<>();

  @Override
  public Integer call() {
    return Main.guard(
        "deploy stop",
        options.verbose,
        () -> {
          long graceMillis = Durations.parse("--grace", grace).toMillis();
          HeldDeployment.Target t =
              HeldDeployment.target(
                  "stop", positional, true, System.getenv("DEPLOY_BRIDGE"), options.keyFile);
          DeployClient client = new DeployClient(t.key(), Formats.forName("human"), null, false);
          String report = HeldDeployment.call(() -> client.stop(t.bridge(), t.id(), graceMillis));
          System.out.println("deploy stop: " + report);
          return 0;
        });
  }
}
