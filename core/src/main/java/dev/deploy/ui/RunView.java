package dev.deploy.ui;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.bridge.Json;
import dev.deploy.bridge.SignalNames;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * What the live view knows of a bridge's runs: each deployment, each process (parent, node,
 * resources, state, start and end) with a bounded tail of its stdout and stderr, and the spawns
 * that wait for room. Every change bumps a version, so a page asks only for what changed since the
 * version it has.
 *
 * <p>Bounds: {@link #TAIL_BYTES} of each stream of each running process, {@link #ENDED_TAIL_BYTES}
 * once it ended; at most {@link #ENDED_KEPT} ended processes (the oldest ended are forgotten first)
 * and {@link #DEPLOYMENTS_KEPT} ended deployments. Live processes are always kept.
 *
 * <p>Thread safe: bridges call {@link #onEvent} under their own lock (one deployment's events in
 * order), the server's threads read; one lock guards everything, held only for copying.
 */
final class RunView {
  /** Bytes kept of each stream of each process while it runs. */
  static final int TAIL_BYTES = 64 * 1024;

  /** Bytes kept of each stream of each process once it ended. */
  static final int ENDED_TAIL_BYTES = 16 * 1024;

  /** Ended processes kept for the page. */
  static final int ENDED_KEPT = 5_000;

  /** Ended deployments kept for the page. */
  static final int DEPLOYMENTS_KEPT = 100;

  private final ReentrantLock lock = new ReentrantLock();

  /** Milliseconds since the epoch. */
  private final LongSupplier clock;

  /** Bumped on every change; guarded by lock. */
  private long version;

  /** Deployments by id, oldest first; guarded by lock. */
  private final Map<Long, Deployment> deployments = new LinkedHashMap<>();

  /** Processes by pid, in spawn order; guarded by lock. */
  private final Map<Pid, Proc> processes = new LinkedHashMap<>();

  /** The same processes by the pid's printed form, which the page knows; guarded by lock. */
  private final Map<String, Proc> byName = new java.util.HashMap<>();

  /** Ended processes, oldest end first, for forgetting; guarded by lock. */
  private final ArrayDeque<Pid> ended = new ArrayDeque<>();

  /** Spawns waiting for room, oldest first; guarded by lock. */
  private final List<Waiter> waiters = new ArrayList<>();

  /** Counters for /metrics; guarded by lock. */
  private long spawns;

  private long endedExited;
  private long endedKilled;
  private long endedLost;
  private long running;
  private final long[] outputBytes = new long[3];
  private long waitSeq;

  /**
   * Channel totals as each running process last reported them ({@link Event.ChannelStats}); a
   * process's entry goes at its exit. Guarded by lock.
   */
  private final Map<Pid, long[]> channelLatest = new java.util.HashMap<>();

  /** Sums of every process's reported channel totals, the ended ones' included; guarded by lock. */
  private final long[] channelTotals = new long[4];

  RunView(LongSupplier clock) {
    this.clock = clock;
  }

  private static final class Deployment {
    final long id;
    final String name;
    final long started;
    long ended;
    Integer code;
    long version;

    Deployment(long id, String name, long started) {
      this.id = id;
      this.name = name;
      this.started = started;
    }
  }

  private static final class Proc {
    final Pid pid;
    final Pid parent;
    final long deployment;
    final String node;
    final Resources resources;
    final long started;
    long ended;

    /** {@code running}, {@code exited}, {@code killed} or {@code lost}. */
    String state = "running";

    /** The exit code, or the signal's name, once ended. */
    String detail;

    final OutputTail out = new OutputTail(TAIL_BYTES);
    final OutputTail err = new OutputTail(TAIL_BYTES);
    long version;

    Proc(Pid pid, Pid parent, long deployment, String node, Resources resources, long started) {
      this.pid = pid;
      this.parent = parent;
      this.deployment = deployment;
      this.node = node;
      this.resources = resources;
      this.started = started;
    }
  }

  private record Waiter(String id, Pid parent, long deployment, String what, long since) {}

  /** A deployment began: {@code name} is what the page calls it (its main class). */
  void opened(long deployment, String name) {
    lock.lock();
    try {
      Deployment d = new Deployment(deployment, name, clock.getAsLong());
      d.version = ++version;
      deployments.put(deployment, d);
      forgetDeployments();
    } finally {
      lock.unlock();
    }
  }

  /** A deployment ended with {@code code}. */
  void finished(long deployment, int code) {
    lock.lock();
    try {
      Deployment d = deployments.get(deployment);
      if (d != null && d.code == null) {
        d.code = code;
        d.ended = clock.getAsLong();
        d.version = ++version;
      }
    } finally {
      lock.unlock();
    }
  }

  /** One event of {@code deployment}'s bridge, in its order. */
  void onEvent(long deployment, Event event) {
    lock.lock();
    try {
      if (event instanceof Event.Spawned s) {
        Proc p =
            new Proc(s.pid(), s.parent(), deployment, s.node(), s.resources(), clock.getAsLong());
        p.version = ++version;
        processes.put(s.pid(), p);
        byName.put(s.pid().toString(), p);
        spawns++;
        running++;
      } else if (event instanceof Event.Output o) {
        Proc p = processes.get(o.pid());
        outputBytes[o.fd()] += o.data().length;
        if (p != null) {
          (o.fd() == 1 ? p.out : p.err).append(o.data());
          p.version = ++version;
        }
      } else if (event instanceof Event.ChannelStats c) {
        onChannelStats(c);
      } else if (event instanceof Event.Exit x) {
        channelLatest.remove(x.pid());
        onExit(x);
      } else if (event instanceof Event.Waiting w) {
        onWaiting(deployment, w);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Call only when holding lock. Adds what grew since the process's last report; a total that
   * shrank (never sent so) adds nothing, so the sums only grow, as counters must.
   */
  private void onChannelStats(Event.ChannelStats c) {
    long[] now = {c.valuesSent(), c.bytesSent(), c.valuesReceived(), c.bytesReceived()};
    long[] before = channelLatest.get(c.pid());
    for (int i = 0; i < now.length; i++) {
      long last = before == null ? 0 : before[i];
      if (now[i] > last) {
        channelTotals[i] += now[i] - last;
      } else {
        now[i] = last;
      }
    }
    channelLatest.put(c.pid(), now);
  }

  /** Call only when holding lock. */
  private void onExit(Event.Exit x) {
    Proc p = processes.get(x.pid());
    ExitStatus status = x.status();
    switch (status.kind()) {
      case EXITED -> endedExited++;
      case KILLED -> endedKilled++;
      case LOST -> endedLost++;
    }
    running--;
    if (p == null) {
      return;
    }
    p.ended = clock.getAsLong();
    p.state = status.kind().name().toLowerCase(java.util.Locale.ROOT);
    p.detail =
        switch (status.kind()) {
          case EXITED -> Integer.toString(status.value());
          case KILLED ->
              SignalNames.name(status.value()) + (status.byMemoryLimit() ? " (memory limit)" : "");
          case LOST -> null;
        };
    p.out.shrink(ENDED_TAIL_BYTES);
    p.err.shrink(ENDED_TAIL_BYTES);
    p.version = ++version;
    ended.add(p.pid);
    while (ended.size() > ENDED_KEPT) {
      Proc gone = processes.remove(ended.poll());
      if (gone != null) {
        byName.remove(gone.pid.toString(), gone);
      }
    }
  }

  /** Call only when holding lock. */
  private void onWaiting(long deployment, Event.Waiting w) {
    if (w.node() == null) {
      waiters.add(new Waiter("w" + (++waitSeq), w.pid(), deployment, w.what(), clock.getAsLong()));
    } else {
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter waiter = it.next();
        if (waiter.parent.equals(w.pid()) && waiter.what.equals(w.what())) {
          it.remove();
          break;
        }
      }
    }
    version++;
  }

  /** Call only when holding lock. */
  private void forgetDeployments() {
    int endedCount = 0;
    for (Deployment d : deployments.values()) {
      if (d.code != null) {
        endedCount++;
      }
    }
    for (Iterator<Deployment> it = deployments.values().iterator();
        it.hasNext() && endedCount > DEPLOYMENTS_KEPT; ) {
      if (it.next().code != null) {
        it.remove();
        endedCount--;
      }
    }
  }

  /** Counts for /metrics, copied at one moment. */
  record Counts(
      long running,
      long waiting,
      long spawns,
      long exited,
      long killed,
      long lost,
      long stdoutBytes,
      long stderrBytes,
      long deploymentsRunning,
      long deploymentsEnded,
      long channelValuesSent,
      long channelBytesSent,
      long channelValuesReceived,
      long channelBytesReceived) {
    /** Counts with no channel totals. */
    Counts(
        long running,
        long waiting,
        long spawns,
        long exited,
        long killed,
        long lost,
        long stdoutBytes,
        long stderrBytes,
        long deploymentsRunning,
        long deploymentsEnded) {
      this(
          running,
          waiting,
          spawns,
          exited,
          killed,
          lost,
          stdoutBytes,
          stderrBytes,
          deploymentsRunning,
          deploymentsEnded,
          0,
          0,
          0,
          0);
    }
  }

  /** Returns the counters now. */
  Counts counts() {
    lock.lock();
    try {
      long open = deployments.values().stream().filter(d -> d.code == null).count();
      return new Counts(
          running,
          waiters.size(),
          spawns,
          endedExited,
          endedKilled,
          endedLost,
          outputBytes[1],
          outputBytes[2],
          open,
          deployments.size() - open,
          channelTotals[0],
          channelTotals[1],
          channelTotals[2],
          channelTotals[3]);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns the JSON of what changed after version {@code since} (0: everything kept): deployments,
   * waiting spawns and nodes whole, the processes that changed. {@code nodes} is a JSON array
   * written by the caller.
   */
  String changesSince(long since, String nodes) {
    lock.lock();
    try {
      StringBuilder b = new StringBuilder(256 + processes.size() * 16);
      b.append("{\"version\":").append(version);
      b.append(",\"now\":").append(clock.getAsLong());
      b.append(",\"full\":").append(since == 0);
      b.append(",\"nodes\":").append(nodes);
      b.append(",\"deployments\":[");
      String comma = "";
      for (Deployment d : deployments.values()) {
        b.append(comma).append("{\"id\":\"").append(Long.toHexString(d.id));
        b.append("\",\"name\":").append(Json.quote(d.name));
        b.append(",\"started\":").append(d.started);
        b.append(",\"ended\":").append(d.code == null ? "null" : Long.toString(d.ended));
        b.append(",\"code\":").append(d.code).append('}');
        comma = ",";
      }
      b.append("],\"waiting\":[");
      comma = "";
      for (Waiter w : waiters) {
        b.append(comma).append("{\"id\":\"").append(w.id).append("\",\"parent\":\"");
        b.append(w.parent).append("\",\"deployment\":\"").append(Long.toHexString(w.deployment));
        b.append("\",\"what\":").append(Json.quote(w.what)).append(",\"since\":").append(w.since);
        b.append('}');
        comma = ",";
      }
      b.append("],\"processes\":[");
      comma = "";
      for (Proc p : processes.values()) {
        if (p.version <= since) {
          continue;
        }
        b.append(comma);
        process(b, p);
        comma = ",";
      }
      return b.append("]}").toString();
    } finally {
      lock.unlock();
    }
  }

  /** Call only when holding lock. */
  private static void process(StringBuilder b, Proc p) {
    b.append("{\"pid\":\"").append(p.pid).append("\",\"parent\":");
    b.append(p.parent == null ? "null" : "\"" + p.parent + "\"");
    b.append(",\"deployment\":\"").append(Long.toHexString(p.deployment));
    b.append("\",\"node\":").append(Json.quote(p.node));
    if (p.resources != null) {
      b.append(",\"memory\":").append(p.resources.memory());
      b.append(",\"cpu\":").append(p.resources.cpu());
    }
    b.append(",\"state\":\"").append(p.state).append('"');
    b.append(",\"detail\":").append(Json.quote(p.detail));
    b.append(",\"started\":").append(p.started);
    b.append(",\"ended\":").append(p.ended == 0 ? "null" : Long.toString(p.ended));
    b.append(",\"out\":").append(p.out.total()).append(",\"err\":").append(p.err.total());
    b.append('}');
  }

  /**
   * Returns the JSON of {@code pid}'s output on {@code fd} between offsets {@code from} (negative:
   * the last {@code max} bytes) and {@code until} (negative: the end), as far as kept, or null when
   * the process is not known.
   */
  String output(String pid, int fd, long from, long until, int max) {
    OutputTail.Slice slice;
    long total;
    long kept;
    lock.lock();
    try {
      Proc p = byName.get(pid);
      if (p == null) {
        return null;
      }
      OutputTail tail = fd == 1 ? p.out : p.err;
      slice = tail.read(from, until, max);
      total = tail.total();
      kept = tail.start();
    } finally {
      lock.unlock();
    }
    StringBuilder b = new StringBuilder(slice.bytes().length + 96);
    b.append("{\"start\":").append(slice.start());
    b.append(",\"end\":").append(slice.start() + slice.bytes().length);
    b.append(",\"total\":").append(total).append(",\"kept\":").append(kept);
    b.append(",\"text\":\"");
    Json.appendEscaped(b, new String(slice.bytes(), StandardCharsets.UTF_8));
    return b.append("\"}").toString();
  }
}
