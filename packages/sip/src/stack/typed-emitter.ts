import type { SipLogger } from '../transport/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

/** A map from event name to listener argument tuple. */
export type EventMap = Record<string, unknown[]>;

/**
 * A minimal typed event emitter. A listener that throws is logged and skipped: no exception
 * from application code escapes into the transport's event loop.
 */
export class TypedEmitter<E extends EventMap> {
  readonly #listeners = new Map<keyof E, Set<Listener>>();
  readonly #logger: SipLogger;

  /** @param logger - where listener exceptions are reported. */
  constructor(logger: SipLogger) {
    this.#logger = logger;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener. */
  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): void {
    this.#listeners.get(event)?.delete(listener);
  }

  /** Number of listeners for an event. */
  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Calls every listener of `event`; returns true if there was at least one. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    return this.emitChecked(event, ...args).listeners > 0;
  }

  /** Like {@link TypedEmitter.emit}, also reporting how many listeners threw. */
  emitChecked<K extends keyof E>(event: K, ...args: E[K]): { listeners: number; threw: number } {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return { listeners: 0, threw: 0 };
    let threw = 0;
    for (const l of [...set]) {
      try {
        (l as unknown as (...a: E[K]) => void)(...args);
      } catch (err) {
        threw++;
        this.#logger.error({ err, event: String(event) }, 'event listener threw');
      }
    }
    return { listeners: set.size, threw };
  }

  /** Drops every listener. */
  removeAll(): void {
    this.#listeners.clear();
  }
}
