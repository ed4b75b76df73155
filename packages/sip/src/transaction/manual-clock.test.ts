import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';

describe('ManualClock', () => {
  it('fires in due order, ties in creation order, including timers scheduled while advancing', () => {
    const c = new ManualClock();
    const log: string[] = [];
    c.setTimeout(() => log.push('b@200'), 200);
    c.setTimeout(() => {
      log.push('a@100');
      c.setTimeout(() => log.push('c@150'), 50);
    }, 100);
    c.setTimeout(() => log.push('d@200'), 200);
    const x = c.setTimeout(() => log.push('never'), 150);
    c.clearTimeout(x);
    c.advance(199);
    expect(log).toEqual(['a@100', 'c@150']);
    expect(c.now()).toBe(199);
    c.advance(1);
    expect(log).toEqual(['a@100', 'c@150', 'b@200', 'd@200']);
    expect(c.pending).toBe(0);
  });

  it('runAll drains chains of timers', () => {
    const c = new ManualClock();
    let n = 0;
    const tick = (): void => {
      if (++n < 5) c.setTimeout(tick, 1000);
    };
    c.setTimeout(tick, 1000);
    c.runAll();
    expect(n).toBe(5);
    expect(c.now()).toBe(5000);
  });
});
