package dev.deploy.testing;

import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventSink;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link EventSink} that keeps every event, and counts launches pending, in the order they came.
 * Thread safe.
 */
public final class RecordingSink implements EventSink {
  private final List<Event> events = new ArrayList<>();
  private int pending;

  @Override
  public synchronized void onEvent(Event event) {
    events.add(event);
  }

  @Override
  public synchronized void onLaunchPending() {
    pending++;
  }

  @Override
  public synchronized void onLaunchSettled() {
    pending--;
  }

  /** Returns the events so far, oldest first. */
  public synchronized List<Event> events() {
    return List.copyOf(events);
  }

  /** Returns the launches pending now. */
  public synchronized int pending() {
    return pending;
  }

  /** Returns the bytes of fd {@code fd} so far, concatenated. */
  public synchronized byte[] output(int fd) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (Event e : events) {
      if (e instanceof Event.Output o && o.fd() == fd) {
        out.writeBytes(o.data());
      }
    }
    return out.toByteArray();
  }
}
