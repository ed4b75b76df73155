import { MediaError, MediaErrorCode } from './errors.js';

/** Sample rate of every source and sink in this package (G.711 narrowband). */
export const SAMPLE_RATE = 8000;

/** Samples in one 20 ms frame at 8 kHz. */
export const FRAME_SAMPLES = 160;

/**
 * A pull-based audio source of 16-bit linear PCM at 8 kHz mono.
 *
 * `read(n)` returns exactly `n` samples, or `undefined` once the source has ended.
 */
export interface AudioSource {
  /** What kind of source this is (for logs). */
  readonly kind: 'tone' | 'silence' | 'wav' | (string & {});
  /** The next `n` samples, or `undefined` when the source is exhausted. */
  read(n: number): Int16Array | undefined;
}

/** Options for {@link createToneSource}. */
export interface ToneSourceOptions {
  /** Frequency in Hz (0 < f < 4000). */
  readonly frequencyHz: number;
  /** Level in dBFS (<= 0; default -10: 0 dBFS is a full-scale sine). */
  readonly levelDbfs?: number | undefined;
  /** Stop after this many ms (default: endless). */
  readonly durationMs?: number | undefined;
}

/**
 * A continuous-phase sine tone.
 *
 * @throws {@link MediaError} `INVALID_ARGUMENT` for a frequency outside (0, 4000) Hz or a level above 0 dBFS.
 */
export function createToneSource(options: ToneSourceOptions): AudioSource {
  const { frequencyHz } = options;
  const levelDbfs = options.levelDbfs ?? -10;
  if (!(frequencyHz > 0 && frequencyHz < SAMPLE_RATE / 2)) {
    throw new MediaError(
      MediaErrorCode.INVALID_ARGUMENT,
      `tone frequency ${frequencyHz} Hz is outside (0, 4000)`,
    );
  }
  if (!(levelDbfs <= 0) || !Number.isFinite(levelDbfs)) {
    throw new MediaError(MediaErrorCode.INVALID_ARGUMENT, `tone level ${levelDbfs} dBFS must be <= 0`);
  }
  const amplitude = 32767 * 10 ** (levelDbfs / 20);
  const step = (2 * Math.PI * frequencyHz) / SAMPLE_RATE;
  let index = 0;
  const limit =
    options.durationMs === undefined ? Infinity : Math.round((options.durationMs * SAMPLE_RATE) / 1000);
  return {
    kind: 'tone',
    read(n) {
      if (index >= limit) return undefined;
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = index + i < limit ? Math.round(amplitude * Math.sin(step * (index + i))) : 0;
      }
      index += n;
      return out;
    },
  };
}

/** Digital silence (all-zero samples), endless unless `durationMs` is given. */
export function createSilenceSource(options: { readonly durationMs?: number | undefined } = {}): AudioSource {
  let remaining =
    options.durationMs === undefined ? Infinity : Math.round((options.durationMs * SAMPLE_RATE) / 1000);
  return {
    kind: 'silence',
    read(n) {
      if (remaining <= 0) return undefined;
      remaining -= n;
      return new Int16Array(n);
    },
  };
}
