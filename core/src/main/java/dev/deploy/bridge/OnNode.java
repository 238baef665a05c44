package dev.deploy.bridge;

import java.util.Objects;

/**
 * Names the node on every {@link Event.Spawned} passing to a sink: for the events of a fabric that
 * does not know what the cluster calls its machine (the master's own, a worker's relayed ones).
 *
 * <p>Thread safe as its sink: it holds nothing but the two.
 */
public final class OnNode implements EventSink {
  private final String node;
  private final EventSink sink;

  /** Passes {@code sink} every event, spawns marked as on {@code node}. */
  public OnNode(String node, EventSink sink) {
    this.node = Objects.requireNonNull(node, "node");
    this.sink = Objects.requireNonNull(sink, "sink");
  }

  /** Returns {@code event}, on {@code node} if it is a spawn whose node is not known yet. */
  public static Event mark(String node, Event event) {
    return event instanceof Event.Spawned s && s.node() == null ? s.on(node) : event;
  }

  @Override
  public void onEvent(Event event) {
    sink.onEvent(mark(node, event));
  }

  @Override
  public void onLaunchPending() {
    sink.onLaunchPending();
  }

  @Override
  public void onLaunchSettled() {
    sink.onLaunchSettled();
  }
}
