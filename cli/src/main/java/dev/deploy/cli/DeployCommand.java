package dev.deploy.cli;

import dev.deploy.bridge.EventFormat;
import dev.deploy.bridge.Formats;
import dev.deploy.cluster.client.DeployClient;
import dev.deploy.cluster.link.Environment;
import dev.deploy.security.ClusterKey;
import dev.deploy.wire.ProtocolException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code deploy ...}: runs a program on a cluster and prints what its processes do. */
@Command(
    name = "deploy",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    subcommands = {
      CommandLine.HelpCommand.class,
      SlurmCommand.class,
      ListCommand.class,
      StopCommand.class,
      AttachCommand.class
    },
    description = {
      "Run a program on a cluster: send its jars to the bridge (each once: the cluster keeps"
          + " jars by SHA-256), start its main there, and print every process's output and"
          + " exit as a local run would. Exits with the program's exit code. Ctrl-C, or losing"
          + " the connection, kills every process of this deployment and nothing else.",
      "",
      "<bridge-addr>: host:port of the cluster's bridge; leave it out to use $DEPLOY_BRIDGE.",
      "<app.jar | classpath>: a jar, or a class path of jars and directories (directories are"
          + " packed into jars). <main-class>: the class whose main to run; by default the"
          + " first jar's Main-Class. Arguments for the program go after --: none of them is read as"
          + " an option of deploy.",
      "",
      "--detach sends the program, prints its id and returns at once; the run goes on without"
          + " a client, its output kept at the bridge. deploy list <bridge-addr> lists the"
          + " deployments a bridge holds, deploy attach <bridge-addr> <id> prints one's output"
          + " (so far, then live) and exits with its code, deploy stop <bridge-addr> <id> ends"
          + " it (see docs/cluster.md).",
      "",
      "deploy k8s rbac|run|delete runs a program on Kubernetes instead (see deploy k8s --help"
          + " and docs/kubernetes.md)."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:every process exited 0",
      "n:the code of the first process that did not (128+signal; 1 when lost)",
      "1:the program could not be sent or started",
      "2:the arguments are wrong"
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  deploy 10.0.0.1:7000 app.jar com.example.Main -- input.csv --format json",
      "  DEPLOY_BRIDGE=10.0.0.1:7000 deploy app.jar com.example.Main -- input.csv"
    })
final class DeployCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--format",
      paramLabel = "human|json",
      description = "Output format (default: $DEPLOY_FORMAT, else human).")
  String format;

  @Option(
      names = "--key-file",
      paramLabel = "<file>",
      description = "The cluster key (default: $DEPLOY_KEY_FILE; on loopback, your own key).")
  Path keyFile;

  @Option(names = "--verbose", description = "Say more, and print stack traces of errors.")
  boolean verbose;

  @Option(
      names = "--detach",
      description =
          "Send the program, print its deployment id and return at once: it runs on without"
              + " this client (deploy attach shows its output, deploy stop ends it).")
  boolean detach;

  @Option(
      names = "--jvm-option",
      paramLabel = "<option>",
      description =
          "A JVM option for every process of the program, like --jvm-option=-Dkey=value;"
              + " repeatable. -Xmx and the processor count come from the resources.")
  List<String> jvmOptions = new ArrayList<>();

  @Option(
      names = "--env",
      paramLabel = "NAME=value",
      description =
          "An environment variable for every process of the program, on top of each machine's"
              + " own environment; repeatable.")
  List<String> environment = new ArrayList<>();

  @Parameters(
      paramLabel = "<bridge-addr> <app.jar|classpath> [<main-class>] [-- <args>...]",
      arity = "0..*",
      description =
          "Where the bridge listens (host:port; default: $DEPLOY_BRIDGE), the program, its main"
              + " class, its arguments (after --, never read as options of deploy).")
  List<String> positional = new ArrayList<>();

  /**
   * The positional arguments, sorted: {@code before} is the bridge, the program and maybe its main
   * class; {@code arguments} the program's own; {@code bridgeWhat} names where the bridge came
   * from, for errors.
   */
  record Split(List<String> before, List<String> arguments, String bridgeWhat) {}

  /**
   * Sorts the positional arguments: everything after the first {@code --} of {@code raw} is the
   * program's, options included; the bridge is the first argument when it looks like host:port,
   * else {@code envBridge} ({@code DEPLOY_BRIDGE}) when set.
   *
   * @throws CommandException (code 2) when the bridge or the program is missing, or the program's
   *     arguments come before --
   */
  static Split split(List<String> raw, List<String> positional, String envBridge)
      throws CommandException {
    int dashes = raw.indexOf("--");
    int programArgs = dashes < 0 ? 0 : raw.size() - dashes - 1;
    List<String> before = new ArrayList<>(positional.subList(0, positional.size() - programArgs));
    List<String> arguments =
        new ArrayList<>(positional.subList(positional.size() - programArgs, positional.size()));
    String what = "<bridge-addr>";
    boolean fromEnv =
        envBridge != null
            && !envBridge.isBlank()
            && (before.isEmpty() || !looksLikeAddress(before.get(0)));
    if (fromEnv) {
      before.add(0, envBridge.trim());
      what = "DEPLOY_BRIDGE";
    }
    if (!fromEnv && before.size() >= 2 && !looksLikeAddress(before.get(0))) {
      throw new CommandException(
          "\""
              + before.get(0)
              + "\" is not the bridge's host:port: give it first (or set DEPLOY_BRIDGE), like:"
              + " deploy 10.0.0.1:7000 app.jar (see deploy --help)",
          2);
    }
    if (before.size() < 2) {
      throw new CommandException(
          "give the bridge's address (or set DEPLOY_BRIDGE) and the program, like: deploy"
              + " 10.0.0.1:7000 app.jar (see deploy --help)",
          2);
    }
    if (before.size() > 3) {
      throw new CommandException(
          "the program's arguments go after --, like: deploy "
              + (fromEnv ? "" : before.get(0) + " ")
              + before.get(1)
              + " "
              + before.get(2)
              + " -- "
              + String.join(" ", before.subList(3, before.size())),
          2);
    }
    return new Split(before, arguments, what);
  }

  /** Returns whether {@code text} is host:port rather than a jar or class path. */
  static boolean looksLikeAddress(String text) {
    return text.matches("(\\[[^\\]]+\\]|[^:/\\\\\\[\\]]+):\\d+");
  }

  @Override
  public Integer call() {
    return Main.guard(
        "deploy",
        verbose,
        () -> {
          Split split =
              split(
                  spec.commandLine().getParseResult().originalArgs(),
                  positional,
                  System.getenv("DEPLOY_BRIDGE"));
          List<String> before = split.before();
          List<String> arguments = split.arguments();
          InetSocketAddress bridge = Addresses.parse(split.bridgeWhat(), before.get(0));
          String mainClass = before.size() == 3 ? before.get(2) : null;
          try {
            Environment.parse(environment);
          } catch (ProtocolException e) {
            throw new CommandException("--env: " + e.getMessage(), 2);
          }
          String name = format != null ? format : System.getenv("DEPLOY_FORMAT");
          EventFormat out;
          try {
            out = Formats.forName(name);
          } catch (IllegalArgumentException e) {
            throw new CommandException("--format is human or json, not \"" + name + "\"", 2);
          }
          ClusterKey key =
              ClusterKeys.resolve(
                  keyFile,
                  bridge.getAddress().isLoopbackAddress(),
                  "deploy to " + before.get(0) + ", which is not a loopback address,");
          boolean json = "json".equals(name);
          DeployClient client =
              new DeployClient(key, out, json ? null : System.err, Formats.stderrIsTerminal());
          DeployClient.Request request =
              new DeployClient.Request(
                  bridge, before.get(1), mainClass, arguments, jvmOptions, environment);
          if (detach) {
            long id = HeldDeployment.call(() -> client.detach(request));
            System.out.println(json ? "{\"deployment\":\"" + id + "\"}" : Long.toString(id));
            return 0;
          }
          Thread interrupt = new Thread(() -> client.interrupt(5_000), "deploy-interrupt");
          Runtime.getRuntime().addShutdownHook(interrupt);
          int code;
          try {
            code = client.run(request);
          } catch (DeployClient.DeployFailure e) {
            removeHook(interrupt);
            throw new CommandException(e.getMessage());
          }
          removeHook(interrupt);
          if (verbose) {
            System.err.println("deploy: sent " + client.sentBytes() + " bytes of jars");
          }
          return code;
        });
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook runs.
    }
  }
}
