/**
 * The minimal logger the engine writes to: pino, bunyan and `console` all satisfy it.
 * Each method takes a context object first and a message second (pino's order).
 */
export interface SipLogger {
  /** Per-message detail (every datagram, every transaction). */
  debug(obj: object, msg?: string): void;
  /** Lifecycle events (listening, closed). */
  info(obj: object, msg?: string): void;
  /** Dropped input, retransmission exhaustion, peer misbehaviour. */
  warn(obj: object, msg?: string): void;
  /** Internal faults caught at a boundary so they never reach the event loop. */
  error(obj: object, msg?: string): void;
}

/** A logger that discards everything (the default). */
export const silentLogger: SipLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
