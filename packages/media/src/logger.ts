/**
 * Minimal logger interface (pino-compatible): every method takes a message and optional fields.
 */
export interface Logger {
  /** Verbose diagnostics. */
  debug(obj: unknown, msg?: string): void;
  /** Normal operation. */
  info(obj: unknown, msg?: string): void;
  /** Something unexpected that was handled. */
  warn(obj: unknown, msg?: string): void;
  /** A failure. */
  error(obj: unknown, msg?: string): void;
}

/** A {@link Logger} that discards everything (the default). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
