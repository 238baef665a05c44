package dev.deploy.k8s.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * fabric8's mock API server in CRUD mode on loopback, a client for the code under test and one for
 * the fake kubelet (told apart by user agent), and the requests the code made as RBAC sees them.
 */
public final class MockApi implements AutoCloseable {
  /** The fake kubelet's user agent: its requests are not the code's. */
  public static final String KUBELET = "fake-kubelet";

  /** CRUD mode: objects are kept, listed, watched and deleted as an API server would. */
  private final KubernetesMockServer server =
      new KubernetesMockServer(
          new io.fabric8.mockwebserver.Context(),
          new io.fabric8.mockwebserver.MockWebServer(),
          new java.util.HashMap<>(),
          new io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher(),
          false);

  private final KubernetesClient client;
  private final KubernetesClient kubelet;
  private final List<Request> seen = new ArrayList<>();

  /** One request as an authorizer sees it: verb, resource (with subresource), namespace. */
  public record Request(String verb, String resource, String namespace, String line) {}

  /** The mock server logs every request at INFO: only its warnings, kept referenced. */
  private static final java.util.logging.Logger QUIET = quiet();

  private static java.util.logging.Logger quiet() {
    java.util.logging.Logger l = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");
    l.setLevel(java.util.logging.Level.WARNING);
    return l;
  }

  /** Starts the server. */
  public MockApi() {
    server.init(java.net.InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    kubelet = server.createClient(b -> b.editOrNewConfig().withUserAgent(KUBELET).endConfig());
  }

  /** Returns the client of the code under test (namespace "test"). */
  public KubernetesClient client() {
    return client;
  }

  /** Returns a new client of the code under test, as a command makes and closes one. */
  public KubernetesClient newClient() {
    return server.createClient();
  }

  /** Returns the fake kubelet's client. */
  public KubernetesClient kubelet() {
    return kubelet;
  }

  /** Returns every request the code under test made so far (not the kubelet's). */
  public synchronized List<Request> requests() throws InterruptedException {
    RecordedRequest r;
    while ((r = server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
      String agent = r.getHeader("User-Agent");
      if (agent != null && agent.contains(KUBELET)) {
        continue;
      }
      seen.add(asRbac(r));
    }
    return List.copyOf(seen);
  }

  static Request asRbac(RecordedRequest r) {
    URI uri = URI.create(r.getPath());
    String[] parts = uri.getPath().split("/");
    // /api/v1/namespaces/{ns}/{resource}[/{name}[/{sub}]]
    String ns = parts.length > 4 && parts[3].equals("namespaces") ? parts[4] : "";
    String resource = parts.length > 5 ? parts[5] : parts.length > 3 ? parts[3] : "";
    boolean named = parts.length > 6;
    if (parts.length > 7) {
      resource = resource + "/" + parts[7];
    }
    String query = uri.getQuery() == null ? "" : uri.getQuery();
    String verb =
        switch (r.getMethod()) {
          case "GET" -> query.contains("watch=true") ? "watch" : named ? "get" : "list";
          case "POST" -> "create";
          case "PUT" -> "update";
          case "PATCH" -> "patch";
          case "DELETE" -> named ? "delete" : "deletecollection";
          default -> r.getMethod();
        };
    return new Request(verb, resource, ns, r.getMethod() + " " + r.getPath());
  }

  @Override
  public void close() {
    client.close();
    kubelet.close();
    server.destroy();
  }
}
