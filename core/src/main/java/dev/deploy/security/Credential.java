package dev.deploy.security;

/**
 * The key a process proves and which deployment's it is: processes hold the key {@link
 * ClusterKey#forDeployment derived} for their deployment, never the cluster key (deployment 0 names
 * the cluster key itself, which only daemons hold).
 *
 * @param key the key this side proves
 * @param deployment the deployment whose key it is, or 0 for the cluster key
 */
public record Credential(ClusterKey key, long deployment) {
  /** Checks the key is there. */
  public Credential {
    java.util.Objects.requireNonNull(key, "key");
  }

  /**
   * Returns the acceptance of a process's channel port: other processes of the same deployment that
   * meant this process, named by {@code self} (its whole pid's bytes).
   */
  public Handshake.Acceptance channels(byte[] self) {
    byte[] own = self.clone();
    return new Handshake.Acceptance() {
      @Override
      public ClusterKey keyFor(Handshake.Role role, long peerDeployment)
          throws AuthenticationException {
        if (role != Handshake.Role.PROCESS) {
          throw new AuthenticationException(
              "a " + role + " dialled a process's channel port, which takes processes only");
        }
        if (peerDeployment != deployment) {
          throw new AuthenticationException(
              "a process of another deployment dialled this process's channel port");
        }
        return key;
      }

      @Override
      public void checkTarget(byte[] target) throws AuthenticationException {
        if (!java.util.Arrays.equals(target, own)) {
          throw new AuthenticationException(
              "the peer meant another process (one that used this port before, or a relay)");
        }
      }
    };
  }

  /** Never prints the key. */
  @Override
  public String toString() {
    return "Credential[deployment " + Long.toHexString(deployment) + "]";
  }
}
