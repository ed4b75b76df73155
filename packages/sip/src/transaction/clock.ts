/**
 * An opaque handle returned by {@link Clock.setTimeout}; pass it back to {@link Clock.clearTimeout}.
 */
export interface TimerHandle {
  /** Brand so handles from different clocks are not confused with numbers. */
  readonly __timer: unknown;
}

/**
 * The source of time for every protocol timer in the engine (RFC 3261 timers A to M, TCP idle
 * timers, dialog timers). Inject {@link ManualClock} in tests to run the full timer tables without
 * waiting on wall time; {@link realClock} in production.
 */
export interface Clock {
  /** Milliseconds since an arbitrary epoch, monotonic. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a no-op for a timer that already fired or was cleared. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The wall clock: `performance.now()` and Node's timers. Timers are `unref()`ed so that a pending
 * protocol timer never keeps the process alive on its own.
 */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t as unknown as TimerHandle;
  },
  clearTimeout: (handle) => {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};
