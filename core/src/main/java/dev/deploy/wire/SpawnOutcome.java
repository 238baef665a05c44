package dev.deploy.wire;

/**
 * How a spawn request ended, as {@link Control.SpawnReply} (fabric to process) and {@link
 * WorkerLink.SpawnResult} (master to worker) carry it: one byte, {@link #code}.
 */
public enum SpawnOutcome {
  /** The child started and registered; the message carries its pid. */
  STARTED(0),
  /** No machine has the resources free. */
  NO_ROOM(1),
  /** The spawn failed; the message carries one sentence saying why. */
  FAILED(2);

  private static final SpawnOutcome[] BY_CODE = values();

  private final int code;

  SpawnOutcome(int code) {
    this.code = code;
  }

  /** Returns the byte on the wire. */
  public int code() {
    return code;
  }

  /**
   * Returns the outcome numbered {@code code} on the wire.
   *
   * @throws ProtocolException naming the code when no outcome has it
   */
  public static SpawnOutcome of(int code) throws ProtocolException {
    if (code < 0 || code >= BY_CODE.length) {
      throw new ProtocolException("unknown spawn outcome " + code);
    }
    return BY_CODE[code];
  }
}
