import type { Clock, TimerHandle } from './clock.js';

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A {@link Clock} that only moves when told to. Timers fire in due-time order (ties in creation
 * order) during {@link ManualClock.advance}, including timers scheduled by other timers inside the
 * advanced window.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * clock.setTimeout(() => console.log('A'), 500);
 * clock.advance(500); // prints A
 * ```
 */
export class ManualClock implements Clock {
  #now = 0;
  #nextId = 1;
  #timers = new Map<number, ManualTimer>();

  /** Current time in milliseconds (starts at 0). */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at `now() + ms` (negative delays count as 0). */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fn });
    return { __timer: id };
  }

  /** Cancels a pending timer. */
  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle.__timer as number);
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Due time of the earliest pending timer, or `undefined` if none. */
  nextDue(): number | undefined {
    let best: number | undefined;
    for (const t of this.#timers.values()) if (best === undefined || t.at < best) best = t.at;
    return best;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.#timers.values()) {
        if (t.at <= target && (next === undefined || t.at < next.at || (t.at === next.at && t.id < next.id)))
          next = t;
      }
      if (next === undefined) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }

  /** Fires every pending timer (and those they schedule) until none is left or `limitMs` passes. */
  runAll(limitMs = 3_600_000): void {
    const stop = this.#now + limitMs;
    for (let due = this.nextDue(); due !== undefined && due <= stop; due = this.nextDue()) {
      this.advance(due - this.#now);
    }
  }
}
