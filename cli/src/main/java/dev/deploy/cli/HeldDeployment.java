package dev.deploy.cli;

import dev.deploy.cluster.client.DeployClient;
import dev.deploy.security.ClusterKey;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code deploy list}, {@code deploy stop} and {@code deploy attach} share: the bridge from
 * the arguments or {@code $DEPLOY_BRIDGE}, a deployment's id, and the cluster key. Stateless.
 */
final class HeldDeployment {
  private HeldDeployment() {}

  /** The bridge to ask, the key to prove, and (for stop and attach) the deployment's id. */
  record Target(InetSocketAddress bridge, ClusterKey key, long id) {}

  /**
   * Sorts {@code positional} of {@code command}: {@code [<bridge-addr>] <id>} when {@code withId},
   * else {@code [<bridge-addr>]}; the bridge defaults to {@code envBridge}.
   *
   * @throws CommandException (code 2) when the bridge or the id is missing or malformed, or there
   *     are too many arguments
   */
  static Target target(
      String command, List<String> positional, boolean withId, String envBridge, Path keyFile)
      throws CommandException {
    int wanted = withId ? 2 : 1;
    String usage = "deploy " + command + " <bridge-addr>" + (withId ? " <id>" : "");
    boolean fromEnv = positional.size() == wanted - 1 && envBridge != null && !envBridge.isBlank();
    if (positional.size() != wanted && !fromEnv) {
      throw new CommandException(
          (positional.size() > wanted ? "too many arguments" : "give the bridge's address")
              + (withId && positional.size() < wanted ? " and the deployment's id" : "")
              + ", like: "
              + usage
              + " (the bridge may come from DEPLOY_BRIDGE; see deploy "
              + command
              + " --help)",
          2);
    }
    String bridgeText = fromEnv ? envBridge.trim() : positional.get(0);
    InetSocketAddress bridge =
        Addresses.parse(fromEnv ? "DEPLOY_BRIDGE" : "<bridge-addr>", bridgeText);
    long id = withId ? id(positional.get(positional.size() - 1)) : 0;
    ClusterKey key =
        ClusterKeys.resolve(
            keyFile,
            bridge.getAddress().isLoopbackAddress(),
            "deploy " + command + " at " + bridgeText + ", which is not a loopback address,");
    return new Target(bridge, key, id);
  }

  /**
   * Parses a deployment's id as {@code deploy list} prints it.
   *
   * @throws CommandException (code 2) naming the text when it is not one
   */
  static long id(String text) throws CommandException {
    try {
      long id = Long.parseLong(text);
      if (id >= 0) {
        return id;
      }
    } catch (NumberFormatException e) {
      // Said below.
    }
    throw new CommandException(
        "\"" + text + "\" is not a deployment id (a number, as deploy list shows it)", 2);
  }

  /** Runs {@code body}; a client's failure is its sentence and exit 1. */
  static <T> T call(Call<T> body) throws CommandException {
    try {
      return body.run();
    } catch (DeployClient.DeployFailure e) {
      throw new CommandException(e.getMessage());
    }
  }

  /** A call of a {@link DeployClient}. */
  interface Call<T> {
    T run() throws DeployClient.DeployFailure;
  }
}
