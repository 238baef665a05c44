package dev.deploy.k8s;

import dev.deploy.Resources;
import dev.deploy.bridge.EventFormat;
import dev.deploy.bridge.Formats;
import dev.deploy.cli.ProgramArguments;
import dev.deploy.cluster.client.DeployClient;
import dev.deploy.security.ClusterKey;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code deploy k8s rbac|run|delete}: runs a program on Kubernetes. deploy.jar loads this class
 * from the k8s module's jars (lib/k8s/ of the distribution, or k8s/target) and calls {@link
 * #execute}. Runs on the caller's thread.
 */
@Command(
    name = "k8s",
    mixinStandardHelpOptions = true,
    subcommands = {
      K8sCommand.RbacCommand.class,
      K8sCommand.RunCommand.class,
      K8sCommand.DeleteCommand.class,
      CommandLine.HelpCommand.class
    },
    description = {
      "Run a program on Kubernetes: a master pod places its processes on fabric pods it makes"
          + " as they need room. The client is configured as kubectl is (KUBECONFIG,"
          + " ~/.kube/config, or in-cluster). See docs/kubernetes.md."
    })
public final class K8sCommand implements Callable<Integer> {
  /** Opens the port-forward to the master's bridge; tests reach their master directly. */
  public interface Tunnels {
    /** Opens a tunnel to {@code port} of the master pod of {@code s}. */
    BridgeTunnel open(KubernetesClient client, RunSettings s) throws IOException;
  }

  private final Supplier<KubernetesClient> clients;
  private final Tunnels tunnels;
  private final Duration masterStart;
  private final Function<String, EventFormat> formats;

  K8sCommand(
      Supplier<KubernetesClient> clients,
      Tunnels tunnels,
      Duration masterStart,
      Function<String, EventFormat> formats) {
    this.clients = clients;
    this.tunnels = tunnels;
    this.masterStart = masterStart;
    this.formats = formats;
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 0;
  }

  /** Runs {@code deploy k8s <args>} against the configured cluster; returns the exit code. */
  public static int execute(String[] args) {
    return execute(
        args,
        Kube::client,
        (c, s) -> BridgeTunnel.portForward(c, s.namespace(), s.masterPod(), s.bridgePort()),
        Duration.ofMinutes(5));
  }

  /** As {@link #execute(String[])} with the client, tunnels and master start limit given. */
  public static int execute(
      String[] args, Supplier<KubernetesClient> clients, Tunnels tunnels, Duration masterStart) {
    return execute(args, clients, tunnels, masterStart, Formats::forName);
  }

  /**
   * As {@link #execute(String[], Supplier, Tunnels, Duration)}, printing the program's output with
   * the format {@code formats} makes of the format's name ("human", "json", or null for human;
   * throwing IllegalArgumentException for another).
   */
  public static int execute(
      String[] args,
      Supplier<KubernetesClient> clients,
      Tunnels tunnels,
      Duration masterStart,
      Function<String, EventFormat> formats) {
    CommandLine line = new CommandLine(new K8sCommand(clients, tunnels, masterStart, formats));
    line.setCommandName("deploy k8s");
    line.setParameterExceptionHandler(
        (e, a) -> {
          String name = e.getCommandLine().getCommandSpec().qualifiedName(" ");
          e.getCommandLine().getErr().println(name + ": " + e.getMessage() + " (see --help)");
          e.getCommandLine().getErr().flush();
          return 2;
        });
    return line.execute(args);
  }

  /** A failure with a sentence for the user and an exit code. */
  static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;
    final int code;

    Failure(String message, int code) {
      super(message);
      this.code = code;
    }
  }

  interface Body {
    int run() throws Failure;
  }

  /** Runs {@code body}: a {@link Failure} is one line on stderr and its code. */
  static int guard(String command, boolean verbose, Body body) {
    try {
      return body.run();
    } catch (Failure e) {
      System.err.println(command + ": " + e.getMessage());
      return e.code;
    } catch (KubernetesClientException e) {
      System.err.println(command + ": " + Kube.describe(e));
      if (verbose) {
        e.printStackTrace();
      }
      return 1;
    } catch (RuntimeException e) {
      System.err.println(command + ": internal error: " + e + " (--verbose shows where)");
      if (verbose) {
        e.printStackTrace();
      }
      return 1;
    }
  }

  private String namespaceOr(String given, KubernetesClient client) {
    return given != null ? given : Kube.defaultNamespace(client);
  }

  /** {@code deploy k8s rbac}: prints the ServiceAccount, Role and RoleBinding. */
  @Command(
      name = "rbac",
      mixinStandardHelpOptions = true,
      description = {
        "Print the ServiceAccount, Role and RoleBinding deploy needs in a namespace, for"
            + " kubectl apply -f -. The Role lists exactly the requests deploy makes; bind it"
            + " also to the users who run deploy k8s run."
      })
  static final class RbacCommand implements Callable<Integer> {
    @ParentCommand K8sCommand parent;

    @Option(
        names = {"-n", "--namespace"},
        paramLabel = "<ns>",
        description = "The namespace (default: the current context's).")
    String namespace;

    @Override
    public Integer call() {
      return guard(
          "deploy k8s rbac",
          false,
          () -> {
            String ns = namespace;
            if (ns == null) {
              try (KubernetesClient c = parent.clients.get()) {
                ns = Kube.defaultNamespace(c);
              }
            }
            System.out.print(Rbac.yaml(ns));
            System.out.flush();
            return 0;
          });
    }
  }

  /** {@code deploy k8s delete <run>}: removes a run. */
  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = {
        "Delete a run: its master pod (which takes the fabric pods, service and Secret with it)"
            + " and whatever of the rest is left."
      })
  static final class DeleteCommand implements Callable<Integer> {
    @ParentCommand K8sCommand parent;

    @Option(
        names = {"-n", "--namespace"},
        paramLabel = "<ns>",
        description = "The namespace (default: the current context's).")
    String namespace;

    @Parameters(paramLabel = "<run>", description = "The run's name, like deploy-1a2b3c4d.")
    String run;

    @Override
    public Integer call() {
      return guard(
          "deploy k8s delete",
          false,
          () -> {
            try (KubernetesClient c = parent.clients.get()) {
              String ns = parent.namespaceOr(namespace, c);
              boolean found;
              try {
                found = new RunObjects(c).delete(ns, run);
              } catch (RunObjects.RunException e) {
                throw new Failure(e.getMessage(), 1);
              }
              if (!found) {
                throw new Failure("there is no run " + run + " in namespace " + ns, 1);
              }
              System.err.println("deploy k8s: deleted run " + run + " in namespace " + ns);
              return 0;
            }
          });
    }
  }

  /** {@code deploy k8s run}: runs a program on fabric pods and prints its output. */
  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = {
        "Run a program on Kubernetes: create a Secret with a fresh key, the master pod and a"
            + " headless service; the master makes fabric pods of --node-mem and --node-cpu (plus"
            + " the JVM overhead budget) as spawns need room, up to --max-nodes, and deletes those"
            + " idle for 60 s. Prints every process's output, deletes the run at the end (or on"
            + " Ctrl-C) and exits with the program's exit code.",
        "",
        "<app.jar | classpath>: a jar, or a class path of jars and directories. <main-class>: by"
            + " default the first jar's Main-Class. The program's arguments go after --."
      },
      exitCodeListHeading = "%nExit status:%n",
      exitCodeList = {
        "n:the program's exit code",
        "1:the run could not be made or reached (the API server refused, the master failed)",
        "2:the arguments are wrong"
      })
  static final class RunCommand implements Callable<Integer> {
    @ParentCommand K8sCommand parent;

    @Option(
        names = {"-n", "--namespace"},
        paramLabel = "<ns>",
        description = "The namespace (default: the current context's).")
    String namespace;

    @Option(
        names = "--image",
        paramLabel = "<image>",
        description =
            "The image of every pod (default: $DEPLOY_K8S_IMAGE, else "
                + RunSettings.DEFAULT_IMAGE
                + ").")
    String image;

    @Option(
        names = "--max-nodes",
        paramLabel = "<n>",
        description = "The most fabric pods at once (default: 4).")
    int maxNodes = 4;

    @Option(
        names = "--node-cpu",
        paramLabel = "<cpus>",
        description = "What each fabric pod's processes may use: cores (default: 1).")
    String nodeCpu = "1";

    @Option(
        names = "--node-mem",
        paramLabel = "<size>",
        description =
            "What each fabric pod's processes may use: memory (default: 2GiB); the pod asks for"
                + " this plus the JVM overhead budget.")
    String nodeMem = "2GiB";

    @Option(
        names = "--pod-template",
        paramLabel = "<file>",
        description =
            "A Pod in YAML or JSON whose fields every pod keeps unless deploy sets them"
                + " (nodeSelector, tolerations, imagePullSecrets, labels...).")
    Path podTemplate;

    @Option(
        names = "--service-account",
        paramLabel = "<name>",
        description = "The master pod's service account (default: " + Rbac.NAME + ").")
    String serviceAccount = Rbac.NAME;

    @Option(
        names = "--name",
        paramLabel = "<run>",
        description = "The run's name (default: deploy- and 8 random hex digits).")
    String name;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Mixin ProgramArguments arguments;

    @Override
    public Integer call() {
      return guard("deploy k8s run", verbose, this::run);
    }

    private int run() throws Failure {
      ProgramArguments.Program program;
      String fmt;
      try {
        program = arguments.program("deploy k8s run");
        fmt = arguments.formatName();
      } catch (IllegalArgumentException e) {
        throw new Failure(e.getMessage(), 2);
      }
      Resources node;
      try {
        node = Resources.parse(nodeMem, nodeCpu);
      } catch (IllegalArgumentException e) {
        throw new Failure("--node-mem/--node-cpu: " + e.getMessage(), 2);
      }
      if (node.cpu() <= 0) {
        throw new Failure("--node-cpu must be more than 0, not " + nodeCpu, 2);
      }
      Optional<Pod> template = Optional.empty();
      if (podTemplate != null) {
        template = Optional.of(readTemplate(podTemplate));
      }
      EventFormat out;
      try {
        out = parent.formats.apply(fmt);
      } catch (IllegalArgumentException e) {
        throw new Failure("--format is human or json, not \"" + fmt + "\"", 2);
      }
      String img = image != null ? image : System.getenv("DEPLOY_K8S_IMAGE");
      try (KubernetesClient c = parent.clients.get()) {
        RunSettings s;
        try {
          s =
              new RunSettings(
                  parent.namespaceOr(namespace, c),
                  name != null ? name : RunSettings.freshRunName(),
                  img != null && !img.isBlank() ? img : RunSettings.DEFAULT_IMAGE,
                  maxNodes,
                  node,
                  template,
                  BridgeTunnel.freeLoopbackPort(),
                  serviceAccount);
        } catch (IllegalArgumentException e) {
          throw new Failure(e.getMessage(), 2);
        } catch (IOException e) {
          throw new Failure("cannot find a free port on loopback: " + e.getMessage(), 1);
        }
        boolean json = "json".equals(fmt);
        PrintStream says = System.err;
        ClusterKey key = ClusterKey.generate();
        RunObjects objects = new RunObjects(c);
        says.println("deploy k8s: run " + s.run() + " in namespace " + s.namespace());
        try {
          objects.create(s, key);
        } catch (RunObjects.RunException e) {
          throw new Failure(e.getMessage(), 1);
        }
        DeployClient client =
            new DeployClient(key, out, json ? null : System.err, Formats.stderrIsTerminal());
        Thread interrupt =
            new Thread(
                () -> {
                  client.interrupt(5_000);
                  deleteQuietly(objects, s);
                },
                "deploy-k8s-interrupt");
        Runtime.getRuntime().addShutdownHook(interrupt);
        try {
          objects.awaitMaster(s, parent.masterStart);
          try (BridgeTunnel tunnel = parent.tunnels.open(c, s)) {
            return client.run(
                new DeployClient.Request(
                    tunnel.address(),
                    program.classPath(),
                    program.mainClass(),
                    program.arguments(),
                    arguments.jvmOptions(),
                    arguments.environment()));
          } catch (IOException | KubernetesClientException e) {
            throw new Failure(
                "cannot reach the master's bridge through the API server (port-forward to "
                    + s.masterPod()
                    + "): "
                    + e.getMessage(),
                1);
          } catch (DeployClient.DeployFailure e) {
            throw new Failure(e.getMessage(), 1);
          }
        } catch (RunObjects.RunException e) {
          throw new Failure(e.getMessage(), 1);
        } finally {
          deleteQuietly(objects, s);
          try {
            Runtime.getRuntime().removeShutdownHook(interrupt);
          } catch (IllegalStateException e) {
            // Shutting down: the hook runs.
          }
        }
      }
    }

    private static void deleteQuietly(RunObjects objects, RunSettings s) {
      try {
        objects.delete(s.namespace(), s.run());
      } catch (RunObjects.RunException e) {
        System.err.println(
            "deploy k8s: "
                + e.getMessage()
                + "; delete it with: deploy k8s delete -n "
                + s.namespace()
                + " "
                + s.run());
      }
    }

    private static Pod readTemplate(Path file) throws Failure {
      try (InputStream in = Files.newInputStream(file)) {
        Object o = Serialization.unmarshal(in);
        if (!(o instanceof Pod p)) {
          throw new Failure(
              "--pod-template "
                  + file
                  + " holds "
                  + (o == null ? "nothing" : "a " + o.getClass().getSimpleName())
                  + ", not a Pod (kind: Pod)",
              2);
        }
        return p;
      } catch (IOException e) {
        throw new Failure("--pod-template: cannot read " + file + ": " + e.getMessage(), 2);
      } catch (RuntimeException e) {
        throw new Failure(
            "--pod-template " + file + " is not a Pod in YAML or JSON: " + e.getMessage(), 2);
      }
    }
  }
}
