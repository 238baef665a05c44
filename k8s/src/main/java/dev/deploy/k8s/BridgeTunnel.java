package dev.deploy.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * How {@code deploy k8s run} reaches the master's bridge from outside the cluster. In production a
 * port-forward through the API server ({@link #portForward}): 127.0.0.1:<i>p</i> here to port
 * <i>p</i> in the master pod, the same number on both ends, because a deploy handshake names the
 * address its dialler meant and the bridge accepts the address the connection arrived on (the pod's
 * loopback at that port). Tests reach an in-process master directly.
 */
public interface BridgeTunnel extends AutoCloseable {
  /** Returns the address to dial for the bridge. */
  InetSocketAddress address();

  @Override
  void close() throws IOException;

  /** Opens a port-forward to {@code port} of pod {@code pod}, on the same port on loopback. */
  static BridgeTunnel portForward(KubernetesClient client, String namespace, String pod, int port)
      throws IOException {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    LocalPortForward forward =
        client.pods().inNamespace(namespace).withName(pod).portForward(port, loopback, port);
    return new BridgeTunnel() {
      @Override
      public InetSocketAddress address() {
        return new InetSocketAddress(loopback, forward.getLocalPort());
      }

      @Override
      public void close() throws IOException {
        forward.close();
      }
    };
  }

  /** Returns a free port on this machine's loopback: the port the bridge listens on in its pod. */
  static int freeLoopbackPort() throws IOException {
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
