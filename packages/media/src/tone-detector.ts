import { EventEmitter } from 'node:events';
import { FRAME_SAMPLES, SAMPLE_RATE } from './audio-source.js';

/** Classification of one 20 ms frame. */
export interface ToneFrame {
  /** When the frame was pushed (ms, from the detector's clock). */
  readonly atMs: number;
  /** The tone heard (Hz), or `null` for silence / no single tone. */
  readonly hz: number | null;
  /** Frame level in dBFS (a full-scale sine is 0 dBFS). */
  readonly levelDbfs: number;
  /** Share of the frame's energy at `hz` (0..1); 1 is a pure tone. */
  readonly purity: number;
}

/** A run of consecutive frames with the same classification. */
export interface ToneSegment {
  /** The tone (Hz), or `null` for silence / no single tone. */
  readonly hz: number | null;
  /** Time of the first frame (ms). */
  readonly startMs: number;
  /** Time of the last frame plus one frame duration (ms). */
  readonly endMs: number;
  /** Number of frames. */
  readonly frames: number;
}

/** Options for {@link ToneDetector}. */
export interface ToneDetectorOptions {
  /**
   * Frequencies to look for (Hz). Keep them at least 100 Hz apart: a 20 ms frame resolves about
   * 50 Hz. Without candidates the detector scans 100-3900 Hz in 10 Hz steps (slower).
   */
  readonly candidatesHz?: readonly number[] | undefined;
  /** Frames quieter than this are silence (default -45 dBFS). */
  readonly minLevelDbfs?: number | undefined;
  /** Minimum share of energy at the best frequency to call it a tone (default 0.5). */
  readonly minPurity?: number | undefined;
  /** Consecutive frames needed before a `change` event fires (default 2). */
  readonly debounceFrames?: number | undefined;
  /** Clock in ms (default `performance.now`). */
  readonly now?: (() => number) | undefined;
  /** Frames kept for queries (default 90 000 = 30 minutes). */
  readonly maxFrames?: number | undefined;
}

/** Window options for timeline queries. */
export interface ToneQuery {
  /** Only frames at or after this time (ms, detector clock). */
  readonly since?: number | undefined;
  /** Only frames before this time. */
  readonly until?: number | undefined;
}

/** Events of {@link ToneDetector}. */
export interface ToneDetectorEvents {
  /** The debounced classification changed (`hz` null = silence). */
  change: [segment: { readonly hz: number | null; readonly atMs: number }];
  /** Every analysed frame. */
  frame: [frame: ToneFrame];
}

const FRAME_MS = (FRAME_SAMPLES * 1000) / SAMPLE_RATE;

/**
 * Goertzel power of one frequency over a frame (generalised to non-integer bins). For a sine of
 * amplitude A at exactly `hz` the result is about (A * N / 2)^2.
 */
export function goertzelPower(
  samples: Int16Array | Float64Array,
  hz: number,
  sampleRate = SAMPLE_RATE,
): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = (samples[i] ?? 0) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/**
 * A sink that classifies audio in 20 ms frames (Goertzel over candidate frequencies, or a scan)
 * and keeps a timeline that tests can query: which tone was heard, when, and for how long.
 *
 * @example
 * ```ts
 * const detector = new ToneDetector({ candidatesHz: [440, 1000] });
 * session.on('audio', (pcm) => detector.push(pcm));
 * const t0 = detector.now();
 * // ... later
 * detector.heard(1000, { since: t0 }); // true once >= 100 ms of 1000 Hz arrived after t0
 * ```
 */
export class ToneDetector extends EventEmitter<ToneDetectorEvents> {
  private readonly frequencies: readonly number[];
  private readonly minLevelDbfs: number;
  private readonly minPurity: number;
  private readonly debounceFrames: number;
  private readonly maxFrames: number;
  private readonly clock: () => number;
  private readonly pending = new Int16Array(FRAME_SAMPLES);
  private pendingLength = 0;
  private readonly frames: ToneFrame[] = [];
  private stable: number | null | undefined = undefined;
  private candidate: number | null | undefined = undefined;
  private candidateCount = 0;
  private candidateAt = 0;

  /** @param options - candidates, thresholds and clock */
  constructor(options: ToneDetectorOptions = {}) {
    super();
    const candidates = options.candidatesHz;
    if (candidates && candidates.length > 0) {
      this.frequencies = [...candidates];
    } else {
      const scan: number[] = [];
      for (let f = 100; f <= 3900; f += 10) scan.push(f);
      this.frequencies = scan;
    }
    this.minLevelDbfs = options.minLevelDbfs ?? -45;
    this.minPurity = options.minPurity ?? 0.5;
    this.debounceFrames = Math.max(1, options.debounceFrames ?? 2);
    this.maxFrames = options.maxFrames ?? 90_000;
    this.clock = options.now ?? (() => performance.now());
  }

  /** The detector's clock (use it to take `since` marks). */
  now(): number {
    return this.clock();
  }

  /**
   * Feeds PCM samples (any length); every complete 160-sample frame is analysed and stamped
   * with `atMs` (default: now).
   */
  push(samples: Int16Array, atMs: number = this.clock()): void {
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(FRAME_SAMPLES - this.pendingLength, samples.length - offset);
      this.pending.set(samples.subarray(offset, offset + take), this.pendingLength);
      this.pendingLength += take;
      offset += take;
      if (this.pendingLength === FRAME_SAMPLES) {
        this.pendingLength = 0;
        this.analyse(this.pending, atMs);
      }
    }
  }

  /** Classifies one frame without recording it. */
  classify(frame: Int16Array): { hz: number | null; levelDbfs: number; purity: number } {
    const n = frame.length;
    let energy = 0;
    for (let i = 0; i < n; i++) {
      const v = frame[i] ?? 0;
      energy += v * v;
    }
    // 0 dBFS = full-scale sine, whose mean square is 32767^2 / 2.
    const levelDbfs = energy === 0 ? -Infinity : 10 * Math.log10(energy / n / (32767 * 32767 * 0.5));
    if (levelDbfs < this.minLevelDbfs) return { hz: null, levelDbfs, purity: 0 };
    let bestHz = 0;
    let bestPower = -1;
    for (const hz of this.frequencies) {
      const power = goertzelPower(frame, hz);
      if (power > bestPower) {
        bestPower = power;
        bestHz = hz;
      }
    }
    const purity = Math.min(1, bestPower / ((n / 2) * energy));
    return { hz: purity >= this.minPurity ? bestHz : null, levelDbfs, purity };
  }

  private analyse(frameSamples: Int16Array, atMs: number): void {
    const result = this.classify(frameSamples);
    const frame: ToneFrame = { atMs, ...result };
    this.frames.push(frame);
    if (this.frames.length > this.maxFrames) this.frames.splice(0, this.frames.length - this.maxFrames);
    this.emit('frame', frame);
    if (frame.hz === this.candidate) {
      this.candidateCount++;
    } else {
      this.candidate = frame.hz;
      this.candidateCount = 1;
      this.candidateAt = atMs;
    }
    if (this.candidateCount >= this.debounceFrames && this.candidate !== this.stable) {
      this.stable = this.candidate;
      this.emit('change', { hz: this.candidate ?? null, atMs: this.candidateAt });
    }
  }

  /** The current debounced classification: a frequency, `null` for silence, `undefined` before any frame. */
  get current(): number | null | undefined {
    return this.stable;
  }

  /** Frames recorded in the window. */
  framesIn(query: ToneQuery = {}): readonly ToneFrame[] {
    const since = query.since ?? -Infinity;
    const until = query.until ?? Infinity;
    return this.frames.filter((f) => f.atMs >= since && f.atMs < until);
  }

  /** The timeline as runs of equal classification. */
  timeline(query: ToneQuery = {}): readonly ToneSegment[] {
    const segments: ToneSegment[] = [];
    for (const frame of this.framesIn(query)) {
      const last = segments[segments.length - 1];
      if (last && last.hz === frame.hz) {
        segments[segments.length - 1] = { ...last, endMs: frame.atMs + FRAME_MS, frames: last.frames + 1 };
      } else {
        segments.push({ hz: frame.hz, startMs: frame.atMs, endMs: frame.atMs + FRAME_MS, frames: 1 });
      }
    }
    return segments;
  }

  /** Milliseconds of audio classified as `hz` (`null`: silence) in the window. */
  heardMs(hz: number | null, query: ToneQuery = {}): number {
    return this.framesIn(query).filter((f) => f.hz === hz).length * FRAME_MS;
  }

  /** `true` when at least `minMs` (default 100) of `hz` was heard in the window. */
  heard(hz: number, query: ToneQuery & { readonly minMs?: number | undefined } = {}): boolean {
    return this.heardMs(hz, query) >= (query.minMs ?? 100);
  }

  /** The tone heard longest in the window (silence excluded), or `null` if none. */
  dominantTone(query: ToneQuery = {}): number | null {
    const totals = new Map<number, number>();
    for (const f of this.framesIn(query)) {
      if (f.hz !== null) totals.set(f.hz, (totals.get(f.hz) ?? 0) + 1);
    }
    let best: number | null = null;
    let bestCount = 0;
    for (const [hz, count] of totals) {
      if (count > bestCount) {
        best = hz;
        bestCount = count;
      }
    }
    return best;
  }

  /** Total frames analysed and kept. */
  get frameCount(): number {
    return this.frames.length;
  }

  /** Forgets the timeline and the current classification. */
  reset(): void {
    this.frames.length = 0;
    this.pendingLength = 0;
    this.stable = undefined;
    this.candidate = undefined;
    this.candidateCount = 0;
  }
}
