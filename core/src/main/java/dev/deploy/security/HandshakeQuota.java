package dev.deploy.security;

import java.net.InetAddress;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The books of the connections one listening port accepted that have not authenticated yet, and the
 * caps on them, so that whoever can reach the port, key or no key, costs a bounded amount. The
 * daemons' listeners ({@link HandshakeAcceptor}) and a process's channel port keep one each.
 *
 * <ul>
 *   <li>At most {@link #maxPerSource} from one address <em>that are slow</em>: a new connection
 *       from an address that has as many in flight drops that address's oldest, if it has been in
 *       its handshake for {@link #graceNanos} or more. Younger ones are let be, because one address
 *       is often many honest peers at once: every process of a machine dials from its address, and
 *       twenty spawns at once are twenty handshakes on their fabric's control port. Connections
 *       from the port's own address (this machine's processes dialling their fabric, their parent
 *       or each other) are not capped per address at all: on a loaded machine fifty JVMs starting
 *       at once each take longer than the grace to prove the key, and capping them would drop
 *       honest spawns. Only the cap in all bounds them.
 *   <li>At most {@link #maxInFlight} in all: a new one drops the oldest of the address with the
 *       most.
 * </ul>
 *
 * Dropping the oldest rather than refusing the newest keeps the port open to a legitimate peer: a
 * refusal would let a few silent holders, re-opened at every handshake deadline, lock everyone out,
 * while a dropped holder only ever takes a slot from its own address (or the busiest one), and an
 * honest handshake needs one round trip, far less than the grace.
 *
 * <p>Not thread safe: the port's one thread calls {@link #admit} on accept and {@link #done} once a
 * connection authenticated or closed.
 *
 * @param <T> what the books hold for a connection
 */
public final class HandshakeQuota<T> {
  /** The default cap on handshakes in flight on one port. */
  public static final int MAX_IN_FLIGHT = 256;

  /** The default number of slow handshakes one address may have. */
  public static final int MAX_PER_SOURCE = 8;

  /** How long a handshake is young: an honest one takes a round trip. */
  public static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** A connection the caps drop to make room, and why, for the log. */
  public record Drop<T>(T victim, String why) {}

  private final int maxInFlight;
  private final int maxPerSource;
  private final long graceNanos;

  /** Connections in their handshake, oldest first, with where each came from and when. */
  private final LinkedHashMap<T, Slot> inFlight = new LinkedHashMap<>();

  /** How many of {@link #inFlight} each address has; no zero entries. */
  private final Map<InetAddress, Integer> perSource = new HashMap<>();

  private record Slot(InetAddress source, long admitted) {}

  /** The default caps. */
  public HandshakeQuota() {
    this(MAX_IN_FLIGHT, MAX_PER_SOURCE, GRACE_NANOS);
  }

  /**
   * Caps of {@code maxInFlight} in all and {@code maxPerSource} slow ones per address, slow being
   * older than {@code graceNanos}.
   *
   * @throws IllegalArgumentException unless {@code 1 <= maxPerSource <= maxInFlight} and the grace
   *     is not negative
   */
  public HandshakeQuota(int maxInFlight, int maxPerSource, long graceNanos) {
    if (maxPerSource < 1 || maxInFlight < maxPerSource) {
      throw new IllegalArgumentException(
          "need 1 <= maxPerSource <= maxInFlight, not " + maxPerSource + " and " + maxInFlight);
    }
    if (graceNanos < 0) {
      throw new IllegalArgumentException("a grace must not be negative, not " + graceNanos);
    }
    this.maxInFlight = maxInFlight;
    this.maxPerSource = maxPerSource;
    this.graceNanos = graceNanos;
  }

  /**
   * Counts {@code t}, accepted from {@code source} at {@code now}, as in its handshake. Returns the
   * connection the caps drop to make room for it, already forgotten here, for the caller to close;
   * or null when there was room.
   */
  public Drop<T> admit(T t, InetAddress source, long now) {
    return admit(t, source, null, now);
  }

  /**
   * Like {@link #admit(Object, InetAddress, long)} for a connection that arrived on the port's
   * address {@code local} (null: unknown): one whose source is that same address comes from this
   * machine's own processes and is capped only in all, never per address.
   */
  public Drop<T> admit(T t, InetAddress source, InetAddress local, long now) {
    Drop<T> drop = null;
    if (from(source) >= maxPerSource && !source.equals(local)) {
      T oldest = oldestOf(source);
      if (now - inFlight.get(oldest).admitted() >= graceNanos) {
        drop =
            new Drop<>(oldest, "more than " + maxPerSource + " slow handshakes from one address");
      }
    }
    if (drop == null && inFlight.size() >= maxInFlight) {
      drop =
          new Drop<>(
              oldestOf(busiest()), "more than " + maxInFlight + " handshakes at once on this port");
    }
    if (drop != null) {
      done(drop.victim());
    }
    inFlight.put(t, new Slot(source, now));
    perSource.merge(source, 1, Integer::sum);
    return drop;
  }

  /** Forgets {@code t}: it authenticated or closed. Nothing happens if it is not counted. */
  public void done(T t) {
    Slot slot = inFlight.remove(t);
    if (slot != null) {
      perSource.computeIfPresent(slot.source(), (a, n) -> n == 1 ? null : n - 1);
    }
  }

  /** Returns the connections in their handshake, oldest first; a view, not to be changed. */
  public Set<T> inFlight() {
    return Collections.unmodifiableSet(inFlight.keySet());
  }

  /** Returns how many connections are in their handshake. */
  public int size() {
    return inFlight.size();
  }

  /** Returns how many of them came from {@code source}. */
  public int from(InetAddress source) {
    return perSource.getOrDefault(source, 0);
  }

  /** Forgets everything. */
  public void clear() {
    inFlight.clear();
    perSource.clear();
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

  private T oldestOf(InetAddress source) {
    for (Map.Entry<T, Slot> e : inFlight.entrySet()) {
      if (e.getValue().source().equals(source)) {
        return e.getKey();
      }
    }
    throw new IllegalStateException("no handshake of " + source + " in flight");
  }
}
