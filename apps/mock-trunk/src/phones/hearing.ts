import { FRAME_SAMPLES, SAMPLE_RATE, ToneDetector, goertzelPower } from '@referkit/media';
import type { AudioSource } from '@referkit/media';
import type { HeardSegment } from './types.js';

const FRAME_MS = (FRAME_SAMPLES * 1000) / SAMPLE_RATE;
/** US ring-back: 440 + 480 Hz (ANSI T1.401), 2 s on, 4 s off. */
const RINGBACK_HZ = [440, 480] as const;
const DEFAULT_CANDIDATES: readonly number[] = (() => {
  const list: number[] = [];
  for (let hz = 200; hz <= 3800; hz += 50) list.push(hz);
  return list;
})();

/** Options of {@link HeardTracker}. */
export interface HeardTrackerOptions {
  /** Extra tone frequencies to recognise exactly (the default grid is 200-3800 Hz in 50 Hz steps). */
  readonly extraHz?: readonly number[] | undefined;
  /** Consecutive frames of a new label before it counts as a change (default 3, i.e. 60 ms). */
  readonly debounceFrames?: number | undefined;
  /** Called with each debounced change: the label and when it started (epoch ms). */
  readonly onChange?: ((heard: string, at: number) => void) | undefined;
  /** Clock in epoch ms (default `Date.now`). */
  readonly now?: (() => number) | undefined;
}

/**
 * Labels received audio in 20 ms frames as `'tone:<Hz>'`, `'ringback'` (US 440+480 Hz, checked
 * over a 40 ms window so the two tones 40 Hz apart are resolved), `'silence'` (below -45 dBFS, or
 * no audio at all: call {@link HeardTracker.gap} when packets stop) or `'audio'` (sound that is no
 * single tone), and keeps a debounced timeline. Tones are found on a 50 Hz grid and refined to the
 * nearest 10 Hz.
 */
export class HeardTracker {
  private readonly detector: ToneDetector;
  private readonly debounceFrames: number;
  private readonly onChange: ((heard: string, at: number) => void) | undefined;
  private readonly clock: () => number;
  private readonly pending = new Int16Array(FRAME_SAMPLES);
  private pendingLength = 0;
  private readonly window = new Int16Array(FRAME_SAMPLES * 2);
  private haveWindow = false;
  private readonly segments: HeardSegment[] = [];
  private stable: string | undefined;
  private candidate: string | undefined;
  private candidateCount = 0;
  private candidateAt = 0;
  private lastLabel: string | undefined;
  private lastHz: number | undefined;

  /** @param options - extra frequencies, debounce and change callback */
  constructor(options: HeardTrackerOptions = {}) {
    const extra = (options.extraHz ?? []).filter((hz) => !DEFAULT_CANDIDATES.includes(hz));
    this.detector = new ToneDetector({ candidatesHz: [...DEFAULT_CANDIDATES, ...extra], maxFrames: 1 });
    this.debounceFrames = Math.max(1, options.debounceFrames ?? 3);
    this.onChange = options.onChange;
    this.clock = options.now ?? Date.now;
  }

  /** Feeds decoded PCM (any length). */
  push(samples: Int16Array, at: number = this.clock()): void {
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(FRAME_SAMPLES - this.pendingLength, samples.length - offset);
      this.pending.set(samples.subarray(offset, offset + take), this.pendingLength);
      this.pendingLength += take;
      offset += take;
      if (this.pendingLength === FRAME_SAMPLES) {
        this.pendingLength = 0;
        this.record(this.classify(this.pending), at);
      }
    }
  }

  /** Records one frame of silence: no audio arrived for a frame time (packets stopped). */
  gap(at: number = this.clock()): void {
    this.haveWindow = false;
    this.record('silence', at);
  }

  /** The debounced label, or `undefined` before anything was heard. */
  get current(): string | undefined {
    return this.stable;
  }

  /** The timeline: runs of equal (undebounced) labels. */
  timeline(): HeardSegment[] {
    return this.segments.map((s) => ({ ...s }));
  }

  /** Milliseconds labelled `heard` since `since` (epoch ms; default: all). */
  heardMs(heard: string, since = -Infinity): number {
    let total = 0;
    for (const s of this.segments) {
      if (s.heard !== heard || s.endMs <= since) continue;
      total += s.endMs - Math.max(s.startMs, since);
    }
    return total;
  }

  private classify(frame: Int16Array): string {
    // Slide the 40 ms window used for the ring-back check.
    this.window.copyWithin(0, FRAME_SAMPLES);
    this.window.set(frame, FRAME_SAMPLES);
    const wasFull = this.haveWindow;
    this.haveWindow = true;
    // Fast path: the label of the previous frame still holds (one or two Goertzel runs instead of a scan).
    const previous = this.lastLabel;
    if (previous !== undefined && wasFull) {
      if (previous === 'ringback' && isRingback(this.window)) return previous;
      if (this.lastHz !== undefined) {
        let energy = 0;
        for (const v of frame) energy += v * v;
        const levelDbfs =
          energy === 0 ? -Infinity : 10 * Math.log10(energy / frame.length / (32767 * 32767 * 0.5));
        if (levelDbfs >= -45 && goertzelPower(frame, this.lastHz) / ((frame.length / 2) * energy) >= 0.95) {
          return previous;
        }
      }
    }
    const single = this.detector.classify(frame);
    if (single.hz === null && single.levelDbfs < -45) return 'silence';
    if (wasFull && isRingback(this.window)) return 'ringback';
    if (single.hz === null) return 'audio';
    return `tone:${refine(wasFull ? this.window : frame, single.hz)}`;
  }

  private record(label: string, at: number): void {
    this.lastLabel = label;
    this.lastHz = label.startsWith('tone:') ? Number(label.slice(5)) : undefined;
    const last = this.segments[this.segments.length - 1];
    if (last && last.heard === label && at - last.endMs < FRAME_MS * 3) {
      this.segments[this.segments.length - 1] = {
        ...last,
        endMs: Math.max(last.endMs, at + FRAME_MS),
        frames: last.frames + 1,
      };
    } else {
      const hz = label.startsWith('tone:') ? Number(label.slice(5)) : null;
      this.segments.push({ heard: label, hz, startMs: at, endMs: at + FRAME_MS, frames: 1 });
      if (this.segments.length > 10_000) this.segments.splice(0, this.segments.length - 10_000);
    }
    if (label === this.candidate) {
      this.candidateCount++;
    } else {
      this.candidate = label;
      this.candidateCount = 1;
      this.candidateAt = at;
    }
    if (this.candidateCount >= this.debounceFrames && this.candidate !== this.stable) {
      this.stable = this.candidate;
      this.onChange?.(label, this.candidateAt);
    }
  }
}

/**
 * Refines a grid frequency to the nearest 10 Hz: the Goertzel power over the window (40 ms, or
 * the first 20 ms frame) peaks at the tone's frequency, searched 25 Hz either side in 5 Hz steps.
 */
function refine(window: Int16Array, hz: number): number {
  let best = hz;
  let bestPower = -1;
  for (let f = hz - 25; f <= hz + 25; f += 5) {
    if (f <= 0 || f >= SAMPLE_RATE / 2) continue;
    const power = goertzelPower(window, f);
    if (power > bestPower) {
      bestPower = power;
      best = f;
    }
  }
  return Math.round(best / 10) * 10;
}

/** `true` when both ring-back tones carry at least a quarter of the window's energy each. */
function isRingback(window: Int16Array): boolean {
  let energy = 0;
  for (const v of window) energy += v * v;
  if (energy === 0) return false;
  const scale = (window.length / 2) * energy;
  const [low, high] = RINGBACK_HZ;
  const a = goertzelPower(window, low) / scale;
  const b = goertzelPower(window, high) / scale;
  return a >= 0.25 && b >= 0.25 && a + b >= 0.75;
}

/** Options of {@link createRingbackSource}. */
export interface RingbackSourceOptions {
  /** Level of each of the two tones in dBFS (default -13). */
  readonly levelDbfs?: number | undefined;
  /** Play the 2 s on / 4 s off cadence (default `true`); `false` plays the tones continuously. */
  readonly cadence?: boolean | undefined;
}

/**
 * An endless US ring-back source (440 + 480 Hz, 2 s on, 4 s off): what a caller hears while the
 * far end rings. Play it with `RtpSession.play`.
 */
export function createRingbackSource(options: RingbackSourceOptions = {}): AudioSource {
  const amplitude = 32767 * 10 ** ((options.levelDbfs ?? -13) / 20);
  const cadence = options.cadence ?? true;
  const on = 2 * SAMPLE_RATE;
  const period = 6 * SAMPLE_RATE;
  const [low, high] = RINGBACK_HZ;
  const stepLow = (2 * Math.PI * low) / SAMPLE_RATE;
  const stepHigh = (2 * Math.PI * high) / SAMPLE_RATE;
  let index = 0;
  return {
    kind: 'ringback',
    read(n) {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        const t = index + i;
        if (cadence && t % period >= on) continue;
        out[i] = Math.round(amplitude * (Math.sin(stepLow * t) + Math.sin(stepHigh * t)));
      }
      index += n;
      return out;
    },
  };
}
