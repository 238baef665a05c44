package dev.deploy.k8s;

import dev.deploy.Resources;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What one {@code deploy k8s run} asks for: where ({@code namespace}), under which name ({@code
 * run}, which names every object of the run), the image of every pod, how many fabric pods at most,
 * what each fabric may run ({@code node}: its {@code --mem} and {@code --cpus}), the user's pod
 * template, and the port of the master's bridge inside its pod. Immutable.
 */
public record RunSettings(
    String namespace,
    String run,
    String image,
    int maxNodes,
    Resources node,
    Optional<Pod> template,
    int bridgePort,
    String serviceAccount) {

  /** Where fabrics join the master, inside the master pod. */
  public static final int JOIN_PORT = 7000;

  /** The image of the docs and of the Jib configuration. */
  public static final String DEFAULT_IMAGE = "ghcr.io/deploy-dev/deploy:latest";

  /** A run's name: a DNS label (it names a service), short enough for "-fabric-NNNNN". */
  private static final Pattern RUN = Pattern.compile("[a-z]([-a-z0-9]{0,38}[a-z0-9])?");

  /** Checks every field; the messages name the option. */
  public RunSettings {
    if (!RUN.matcher(run).matches()) {
      throw new IllegalArgumentException(
          "the run name \""
              + run
              + "\" is not a DNS label of at most 40 characters (a-z, 0-9 and -, starting with a"
              + " letter)");
    }
    if (maxNodes < 1) {
      throw new IllegalArgumentException("--max-nodes must be at least 1, not " + maxNodes);
    }
    if (bridgePort < 1 || bridgePort > 65535 || bridgePort == JOIN_PORT) {
      throw new IllegalArgumentException("the bridge port " + bridgePort + " is not usable");
    }
    if (image.isBlank()) {
      throw new IllegalArgumentException("--image is empty");
    }
  }

  /** Returns a fresh run name: "deploy-" and 8 hex digits. */
  public static String freshRunName() {
    return "deploy-"
        + String.format(Locale.ROOT, "%08x", new java.security.SecureRandom().nextInt());
  }

  /** Returns the master pod's name. */
  public String masterPod() {
    return run + "-master";
  }

  /** Returns the headless service's name: the master's DNS name inside the namespace. */
  public String service() {
    return run;
  }

  /** Returns the Secret's name, which holds the run's key. */
  public String secret() {
    return run + "-key";
  }

  /** Returns the address fabrics dial to join: the service's name in the namespace. */
  public String joinHost() {
    return service() + "." + namespace + ".svc";
  }

  /** Returns the name of the fabric pod number {@code n}. */
  public String fabricPod(int n) {
    return run + "-fabric-" + n;
  }
}
