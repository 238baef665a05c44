package dev.deploy.cluster.master;

import dev.deploy.Resources;
import dev.deploy.cluster.link.LinkConnection;
import dev.deploy.program.JarCache;
import dev.deploy.security.ClusterKey;
import dev.deploy.wire.ClientLink;
import dev.deploy.wire.Link;
import dev.deploy.wire.WorkerLink;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@link ClusterMaster} on loopback that runs nothing itself, and the ends a test plays against
 * it: a worker that joins and a deploy client, each over a real handshake. Closes all it opened.
 */
final class MasterFixture implements AutoCloseable {
  /** A static worker's address nobody listens on: its name is taken, and it never joins. */
  static final InetSocketAddress STATIC_WORKER = new InetSocketAddress("127.0.0.1", 1);

  final ClusterKey key = ClusterKey.generate();
  final ClusterMaster master;
  private final List<AutoCloseable> open = new ArrayList<>();

  MasterFixture(JarCache cache) throws IOException {
    this(cache, List.of());
  }

  /** A master whose workers come from {@code providers} too. */
  MasterFixture(JarCache cache, List<NodeProvider> providers) throws IOException {
    master =
        new ClusterMaster(
            key,
            new InetSocketAddress("127.0.0.1", 0),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            List.of(new ClusterMaster.Worker(STATIC_WORKER, new Resources(1L << 30, 1))),
            providers,
            cache,
            1L << 30,
            false,
            0);
  }

  /** Dials the master as a worker, sends {@code join}, and returns the link. */
  LinkConnection<WorkerLink> join(WorkerLink join) throws IOException {
    LinkConnection<WorkerLink> c = LinkConnection.join(resolved(master.advertised()), key, 5_000);
    open.add(c::close);
    c.send(join);
    return c;
  }

  /** Dials the master's bridge as deploy does. */
  LinkConnection<ClientLink> deploy() throws IOException {
    LinkConnection<ClientLink> c =
        LinkConnection.dial(
            resolved(master.advertisedBridge()),
            key,
            Link.Role.DEPLOY,
            Link.Role.BRIDGE,
            ClientLink::decode);
    open.add(c::close);
    return c;
  }

  /** The advertised addresses are unresolved, as the master names itself. */
  private static InetSocketAddress resolved(InetSocketAddress a) {
    return new InetSocketAddress(a.getHostString(), a.getPort());
  }

  /** Returns the names of the nodes in the master's books. */
  List<String> nodes() {
    return master.master().nodeViews().stream()
        .map(dev.deploy.master.Master.NodeView::name)
        .toList();
  }

  @Override
  public void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    master.close();
  }
}
