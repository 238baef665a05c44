package dev.deploy.cli;

import dev.deploy.bridge.EventFormat;
import dev.deploy.bridge.Formats;
import dev.deploy.cluster.client.DeployClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code deploy attach}: a deployment's output so far, then live, and its exit code. */
@Command(
    name = "attach",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Print a deployment's output as deploy would have: what the bridge kept of it so far,"
          + " then live, and exit with its exit code. Works after it ended too, while the"
          + " bridge keeps it (fabric master --keep-for; the oldest output goes first when a"
          + " size bound is reached).",
      "Ctrl-C detaches: the deployment runs on (deploy stop ends it)."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "n:the deployment's exit code",
      "1:the bridge holds no such deployment, or cannot be reached",
      "2:the arguments are wrong"
    })
final class AttachCommand implements Callable<Integer> {
  @Option(
      names = "--format",
      paramLabel = "human|json",
      description = "Output format (default: $DEPLOY_FORMAT, else human).")
  String format;

  @Mixin BridgeClientOptions options;

  @Parameters(
      paramLabel = "[<bridge-addr>] <id>",
      arity = "1..2",
      description = "Where the bridge listens (default: $DEPLOY_BRIDGE), and the deployment's id.")
  List<String> positional = new ArrayList<>();

  @Override
  public Integer call() {
    return Main.guard(
        "deploy attach",
        options.verbose,
        () -> {
          String name = BridgeClientOptions.formatName(format);
          EventFormat out;
          try {
            out = Formats.forName(name);
          } catch (IllegalArgumentException e) {
            throw new CommandException("--format is human or json, not \"" + name + "\"", 2);
          }
          HeldDeployment.Target t =
              HeldDeployment.target(
                  "attach", positional, true, System.getenv("DEPLOY_BRIDGE"), options.keyFile);
          DeployClient client = new DeployClient(t.key(), out, null, false);
          // Ctrl-C closes the connection only: the bridge stops streaming, the run goes on.
          Thread detach = new Thread(client::detachNow, "deploy-detach");
          Runtime.getRuntime().addShutdownHook(detach);
          try {
            return HeldDeployment.call(() -> client.attach(t.bridge(), t.id()));
          } finally {
            try {
              Runtime.getRuntime().removeShutdownHook(detach);
            } catch (IllegalStateException e) {
              // Already shutting down: the hook runs.
            }
          }
        });
  }
}
