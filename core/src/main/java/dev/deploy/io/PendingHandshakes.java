package dev.deploy.io;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The connections a listening port accepted that have not authenticated yet, and the caps on them,
 * so that whoever can reach the port, key or no key, costs the process a bounded amount:
 *
 * <ul>
 *   <li>at most {@link #maxPerSource} from one address: a new one drops that address's oldest;
 *   <li>at most {@link #maxInFlight} in all: a new one drops the oldest of the address with the
 *       most.
 * </ul>
 *
 * Dropping the oldest rather than refusing the newest keeps the port open to a legitimate peer: a
 * refusal would let a few silent holders, re-opened every {@link Connection} handshake deadline,
 * lock everyone out, while a dropped holder only ever takes a slot from its own address (or the
 * busiest one), and an honest handshake needs a round trip, far less than a flood of its own
 * address's connections takes to push it out. Each entry costs a {@link Connection} in its
 * handshake: two heap buffers of {@link Connection#HANDSHAKE_BUFFER} bytes, no direct memory.
 *
 * <p>Loop thread only: the port's owner calls {@link #admit} on accept and {@link #done} once a
 * connection authenticated or closed.
 */
public final class PendingHandshakes {
  /** The caps of a process's channel port: 64 handshakes in flight, 8 per address. */
  public static final int MAX_IN_FLIGHT = 64;

  /** See {@link #MAX_IN_FLIGHT}. */
  public static final int MAX_PER_SOURCE = 8;

  private final int maxInFlight;
  private final int maxPerSource;

  /** Connections in their handshake and where each came from, oldest first. */
  private final LinkedHashMap<Connection, InetAddress> inFlight = new LinkedHashMap<>();

  /** How many of {@link #inFlight} each address has; no zero entries. */
  private final Map<InetAddress, Integer> perSource = new HashMap<>();

  /** Caps of {@link #MAX_IN_FLIGHT} and {@link #MAX_PER_SOURCE}. */
  public PendingHandshakes() {
    this(MAX_IN_FLIGHT, MAX_PER_SOURCE);
  }

  /**
   * Caps of {@code maxInFlight} in all and {@code maxPerSource} per address.
   *
   * @throws IllegalArgumentException unless {@code 1 <= maxPerSource <= maxInFlight}
   */
  public PendingHandshakes(int maxInFlight, int maxPerSource) {
    if (maxPerSource < 1 || maxInFlight < maxPerSource) {
      throw new IllegalArgumentException(
          "need 1 <= maxPerSource <= maxInFlight, not " + maxPerSource + " and " + maxInFlight);
    }
    this.maxInFlight = maxInFlight;
    this.maxPerSource = maxPerSource;
  }

  /**
   * Counts {@code c}, just accepted from {@code source}, as in its handshake. Returns the
   * connection the caps drop to make room for it, already forgotten here, for the caller to close;
   * or null when there was room.
   */
  public Connection admit(Connection c, InetAddress source) {
    Connection dropped = null;
    if (perSource.getOrDefault(source, 0) >= maxPerSource) {
      dropped = oldestOf(source);
    } else if (inFlight.size() >= maxInFlight) {
      dropped = oldestOf(busiest());
    }
    if (dropped != null) {
      done(dropped);
    }
    inFlight.put(c, source);
    perSource.merge(source, 1, Integer::sum);
    return dropped;
  }

  /** Forgets {@code c}: it authenticated or closed. Nothing happens if it is not counted. */
  public void done(Connection c) {
    InetAddress source = inFlight.remove(c);
    if (source != null) {
      perSource.computeIfPresent(source, (a, n) -> n == 1 ? null : n - 1);
    }
  }

  /** Returns how many connections are in their handshake. */
  public int size() {
    return inFlight.size();
  }

  /** Returns how many of them came from {@code source}. */
  public int from(InetAddress source) {
    return perSource.getOrDefault(source, 0);
  }

  /** Returns the bytes of buffer the connections in their handshake hold (tests, diagnostics). */
  public long bufferBytes() {
    long n = 0;
    for (Connection c : inFlight.keySet()) {
      n += c.bufferBytes();
    }
    return n;
  }

  private InetAddress busiest() {
    InetAddress most = null;
    int count = 0;
    for (Map.Entry<InetAddress, Integer> e : perSource.entrySet()) {
      if (e.getValue() > count) {
        most = e.getKey();
        count = e.getValue();
      }
    }
    return most;
  }

  private Connection oldestOf(InetAddress source) {
    for (Iterator<Map.Entry<Connection, InetAddress>> it = inFlight.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<Connection, InetAddress> e = it.next();
      if (e.getValue().equals(source)) {
        return e.getKey();
      }
    }
    return null;
  }
}
