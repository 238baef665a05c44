package dev.deploy.process;

/**
 * The environment variables the runtime sets for its own processes, and the cluster key a daemon
 * may get through its environment. All start with {@code DEPLOY_}; a launch removes any the parent
 * had and sets its own.
 */
public final class Env {
  /** "process" in a JVM a fabric started; absent in the JVM the user started. */
  public static final String ROLE = "DEPLOY_ROLE";

  /** host:port of the fabric's control port. */
  public static final String FABRIC = "DEPLOY_FABRIC";

  /** The launch id (hex) the process names in its Hello. */
  public static final String LAUNCH = "DEPLOY_LAUNCH";

  /**
   * The key of the process's deployment (derived from the cluster key, never the cluster key), 64
   * hex characters; never on a command line.
   */
  public static final String RUN_KEY = "DEPLOY_RUN_KEY";

  /** The id (hex) of the process's deployment, whose key {@link #RUN_KEY} holds. */
  public static final String DEPLOYMENT = "DEPLOY_DEPLOYMENT";

  /**
   * The address the process binds its listening port to: its fabric's, maybe a wildcard such as
   * {@code 0.0.0.0}.
   */
  public static final String BIND = "DEPLOY_BIND";

  /**
   * The host others dial to reach the process's listening port, which its pid carries: the
   * advertised address of its fabric's machine (an IP address or a host name); never a wildcard.
   */
  public static final String ADVERTISE = "DEPLOY_ADVERTISE";

  /**
   * A cluster key (64 hex characters) handed to a daemon through its environment rather than a
   * file, as {@code deploy slurm run} starts its nodes' fabrics: never on a command line, and never
   * passed on to a process the daemon launches.
   */
  public static final String CLUSTER_KEY = "DEPLOY_CLUSTER_KEY";

  /**
   * Set ({@code 1}) for a JVM of the fabric's warm pool: it runs its channel path once before it
   * registers, so its first message after a spawn takes it costs a connection only.
   */
  public static final String POOLED = "DEPLOY_POOLED";

  /**
   * Set ({@code 1}) for a JVM started for one task whose argument and captured values decode
   * without the serialiser (numbers only, see {@code LambdaCodec.needsCodec}): its warm-up does not
   * load the serialiser, which then loads only if a value needs it.
   */
  public static final String SCALAR_TASK = "DEPLOY_SCALAR_TASK";

  private Env() {}

  /** Returns whether {@code name} is one of the variables above. */
  public static boolean isInternal(String name) {
    return name.equals(ROLE)
        || name.equals(FABRIC)
        || name.equals(LAUNCH)
        || name.equals(RUN_KEY)
        || name.equals(DEPLOYMENT)
        || name.equals(BIND)
        || name.equals(ADVERTISE)
        || name.equals(CLUSTER_KEY)
        || name.equals(POOLED)
        || name.equals(SCALAR_TASK);
  }
}
