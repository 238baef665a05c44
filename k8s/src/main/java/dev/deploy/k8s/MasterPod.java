package dev.deploy.k8s;

import dev.deploy.Resources;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The master pod's main: a cluster master that runs no process itself, with a {@link
 * KubernetesNodeProvider} making its fabric pods, fabrics joining at {@code 0.0.0.0:7000} (the
 * headless service), and the bridge at {@code 0.0.0.0:<bridge-port>}, reached by {@code deploy k8s
 * run} through a port-forward. Runs until the pod is deleted (SIGTERM), then stops every process
 * and deletes its fabric pods.
 */
@Command(name = "master-pod")
public final class MasterPod implements java.util.concurrent.Callable<Integer> {
  @Option(names = "--run", required = true)
  String run;

  @Option(names = "--namespace", required = true)
  String namespace;

  @Option(names = "--image", required = true)
  String image;

  @Option(names = "--max-nodes", required = true)
  int maxNodes;

  @Option(names = "--node-mem", required = true)
  long nodeMem;

  @Option(names = "--node-cpu", required = true)
  double nodeCpu;

  @Option(names = "--bridge-port", required = true)
  int bridgePort;

  @Option(names = "--service-account", required = true)
  String serviceAccount;

  /** Runs the master pod; its arguments come from {@link Manifests#masterPod}. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new MasterPod()).execute(args));
  }

  /** Returns the run's settings from the arguments and {@code env} (the pod template). */
  RunSettings settings(Map<String, String> env) {
    String t = env.get(Manifests.TEMPLATE);
    Optional<Pod> template =
        t == null || t.isBlank()
            ? Optional.empty()
            : Optional.of(Serialization.unmarshal(t, Pod.class));
    return new RunSettings(
        namespace,
        run,
        image,
        maxNodes,
        new Resources(nodeMem, nodeCpu),
        template,
        bridgePort,
        serviceAccount);
  }

  @Override
  public Integer call() throws Exception {
    return MasterPodRunner.run(settings(System.getenv()), System.getenv());
  }
}
