package dev.deploy.bridge;

/**
 * Where fabrics send what happens to their processes: the bridge, in this JVM or over the network.
 * Called from fabrics' pump, control and exit threads, concurrently.
 */
public interface EventSink {
  /** A process's event; events of one process arrive in their order. */
  void onEvent(Event event);

  /** A launch began: the run is not over until it registers or fails. */
  void onLaunchPending();

  /** A launch registered (its Spawned event was sent first) or failed. */
  void onLaunchSettled();
}
