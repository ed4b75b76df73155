/**
 * Time source and timers used by pacing and protocol timers, injectable for tests.
 */
export interface MediaClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Schedules `fn` after `ms`; returns a handle for {@link MediaClock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a handle from {@link MediaClock.setTimeout}. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `performance.now()` and the global timers. */
export const systemClock: MediaClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
