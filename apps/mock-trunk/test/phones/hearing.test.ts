import { createSilenceSource, createToneSource } from '@referkit/media';
import type { AudioSource } from '@referkit/media';
import { describe, expect, it } from 'vitest';
import { HeardTracker, createRingbackSource } from '../../src/phones/index.js';

/** Feeds `ms` of `source` in 20 ms frames on a synthetic clock; returns the debounced changes. */
function feed(tracker: HeardTracker, source: AudioSource, ms: number, start = 0): number {
  let t = start;
  for (; t < start + ms; t += 20) tracker.push(source.read(160)!, t);
  return t;
}

function changesFor(source: AudioSource, ms = 400): string[] {
  const changes: string[] = [];
  const tracker = new HeardTracker({ onChange: (heard) => changes.push(heard) });
  feed(tracker, source, ms);
  return changes;
}

function noise(): AudioSource {
  let seed = 12345;
  return {
    kind: 'noise',
    read(n) {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        out[i] = (seed % 20000) - 10000;
      }
      return out;
    },
  };
}

describe('HeardTracker', () => {
  it.each([440, 480, 600, 800, 1000, 1020, 2600])('labels a %i Hz tone as tone:<Hz>', (hz) => {
    expect(changesFor(createToneSource({ frequencyHz: hz }))).toEqual([`tone:${hz}`]);
  });

  it('labels US ring-back (440+480 Hz) as ringback, not as a tone in between', () => {
    expect(changesFor(createRingbackSource({ cadence: false }))).toEqual(['ringback']);
    expect(changesFor(createToneSource({ frequencyHz: 460 }))).toEqual(['tone:460']);
  });

  it('follows the ring-back cadence: 2 s ringback, 4 s silence', () => {
    expect(changesFor(createRingbackSource(), 7000)).toEqual(['ringback', 'silence', 'ringback']);
  });

  it('labels silence, and sound with no single tone as audio', () => {
    expect(changesFor(createSilenceSource())).toEqual(['silence']);
    expect(changesFor(noise())).toEqual(['audio']);
  });

  it('debounces: a single odd frame is no change', () => {
    const changes: string[] = [];
    const tracker = new HeardTracker({ onChange: (heard, at) => changes.push(`${heard}@${at}`) });
    let t = feed(tracker, createToneSource({ frequencyHz: 800 }), 200);
    t = feed(tracker, createSilenceSource(), 20, t);
    feed(tracker, createToneSource({ frequencyHz: 800 }), 200, t);
    expect(changes).toEqual(['tone:800@0']);
  });

  it('notices a change of 20 Hz while a tone holds', () => {
    const changes: string[] = [];
    const tracker = new HeardTracker({ onChange: (heard) => changes.push(heard) });
    const t = feed(tracker, createToneSource({ frequencyHz: 1000 }), 200);
    feed(tracker, createToneSource({ frequencyHz: 1020 }), 200, t);
    expect(changes).toEqual(['tone:1000', 'tone:1020']);
  });

  it('gap() counts missing audio as silence and the timeline adds up', () => {
    const tracker = new HeardTracker();
    const t = feed(tracker, createToneSource({ frequencyHz: 1000 }), 200);
    for (let i = 0; i < 5; i++) tracker.gap(t + i * 20);
    expect(tracker.current).toBe('silence');
    expect(tracker.heardMs('tone:1000')).toBe(200);
    expect(tracker.heardMs('silence')).toBe(100);
    expect(tracker.timeline().map((s) => [s.heard, s.hz, s.frames])).toEqual([
      ['tone:1000', 1000, 10],
      ['silence', null, 5],
    ]);
  });
});
