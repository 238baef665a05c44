package dev.deploy.wire;

import dev.deploy.bridge.Event;

/** Which {@link Event} a {@link Link.EventOf} carries: the byte before its fields. */
enum EventKind {
  SPAWNED(1),
  OUTPUT(2),
  EOF(3),
  EXIT(4),
  /** Since protocol 4. */
  WAITING(5),
  CHANNEL_STATS(6);

  private final int code;

  EventKind(int code) {
    this.code = code;
  }

  /** Returns the byte on the wire. */
  int code() {
    return code;
  }

  /**
   * Returns the kind numbered {@code code} on the wire.
   *
   * @throws ProtocolException naming the code when no kind has it
   */
  static EventKind of(int code) throws ProtocolException {
    for (EventKind k : values()) {
      if (k.code == code) {
        return k;
      }
    }
    throw new ProtocolException("unknown event kind " + code);
  }
}
