import type { Clock, TimerHandle } from './clock.js';

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

const before = (a: ManualTimer, b: ManualTimer): boolean => a.at < b.at || (a.at === b.at && a.id < b.id);

/**
 * A {@link Clock} that only moves when told to. Timers fire in due-time order (ties in creation
 * order) during {@link ManualClock.advance}, including timers scheduled by other timers inside the
 * advanced window. Timers live in a binary heap (cancelled ones are skipped lazily), so
 * hundreds of thousands of pending timers stay cheap.
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
  readonly #heap: ManualTimer[] = [];
  readonly #live = new Set<number>();

  /** Current time in milliseconds (starts at 0). */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at `now() + ms` (negative delays count as 0). */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#push({ id, at: this.#now + Math.max(0, ms), fn });
    this.#live.add(id);
    return { __timer: id };
  }

  /** Cancels a pending timer. */
  clearTimeout(handle: TimerHandle): void {
    this.#live.delete(handle.__timer as number);
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.#live.size;
  }

  /** Due time of the earliest pending timer, or `undefined` if none. */
  nextDue(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.at;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      this.#dropCancelled();
      const next = this.#heap[0];
      if (next === undefined || next.at > target) break;
      this.#pop();
      this.#live.delete(next.id);
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

  #dropCancelled(): void {
    while (this.#heap.length > 0 && !this.#live.has(this.#heap[0]!.id)) this.#pop();
  }

  #push(t: ManualTimer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
