import { describe, expect, it } from 'vitest';
import { expectCode } from './helpers.js';
import {
  ToneDetector,
  createSilenceSource,
  createToneSource,
  createWavSource,
  decodeG711,
  decodeWav,
  encodeG711,
  encodeWav,
} from '../src/index.js';

function feed(detector: ToneDetector, frames: Int16Array[], startMs: number): void {
  frames.forEach((f, i) => detector.push(f, startMs + i * 20));
}

function framesOf(source: { read(n: number): Int16Array | undefined }, count: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i < count; i++) {
    const f = source.read(160);
    if (!f) break;
    out.push(f);
  }
  return out;
}

describe('G.711 round trip', () => {
  it.each(['PCMU', 'PCMA'] as const)('%s keeps a tone detectable', (codec) => {
    const tone = createToneSource({ frequencyHz: 1000, levelDbfs: -10 });
    const detector = new ToneDetector({ candidatesHz: [440, 1000, 2000] });
    const frames = framesOf(tone, 10).map((f) => decodeG711(codec, encodeG711(codec, f)));
    expect(encodeG711(codec, new Int16Array(160))).toHaveLength(160);
    feed(detector, frames, 0);
    expect(detector.dominantTone()).toBe(1000);
    expect(detector.heard(1000, { minMs: 200 })).toBe(true);
  });
});

describe('sources', () => {
  it('tone level matches dBFS', () => {
    const frame = createToneSource({ frequencyHz: 1000, levelDbfs: -6 }).read(160)!;
    const peak = Math.max(...frame);
    expect(peak).toBeGreaterThan(16000);
    expect(peak).toBeLessThan(16700);
  });

  it('rejects impossible tones', () => {
    expectCode(() => createToneSource({ frequencyHz: 5000 }), 'INVALID_ARGUMENT');
    expectCode(() => createToneSource({ frequencyHz: 400, levelDbfs: 3 }), 'INVALID_ARGUMENT');
  });

  it('silence and durations end', () => {
    const s = createSilenceSource({ durationMs: 40 });
    expect(s.read(160)).toEqual(new Int16Array(160));
    expect(s.read(160)).toBeDefined();
    expect(s.read(160)).toBeUndefined();
    expect(framesOf(createToneSource({ frequencyHz: 500, durationMs: 100 }), 100)).toHaveLength(5);
  });

  it('WAV at 8 kHz plays as is; 16 kHz is resampled; stereo and 8-bit are refused', () => {
    const tone8k = framesOf(createToneSource({ frequencyHz: 700 }), 5);
    const samples = new Int16Array(800);
    tone8k.forEach((f, i) => samples.set(f, i * 160));
    const wav = decodeWav(encodeWav(samples));
    expect(wav.ok && wav.value.samples).toEqual(samples);

    const hi = new Int16Array(3200);
    for (let i = 0; i < hi.length; i++) hi[i] = Math.round(10000 * Math.sin((2 * Math.PI * 700 * i) / 16000));
    const src = createWavSource(encodeWav(hi, 16000));
    const detector = new ToneDetector({ candidatesHz: [700, 1400] });
    feed(detector, framesOf(src, 100), 0);
    expect(detector.heardMs(700)).toBe(200);
    expect(src.read(160)).toBeUndefined();

    const stereo = encodeWav(new Int16Array(10));
    stereo[22] = 2;
    const r = decodeWav(stereo);
    expect(!r.ok && r.error.code).toBe('WAV_UNSUPPORTED');
    const eight = encodeWav(new Int16Array(10));
    eight[34] = 8;
    expectCode(() => createWavSource(eight), 'WAV_UNSUPPORTED');
    expect(decodeWav(new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false, error: { code: 'WAV_INVALID' } });
  });

  it('looped WAV keeps playing', () => {
    const src = createWavSource(encodeWav(new Int16Array([1, 2, 3])), { loop: true });
    expect(Array.from(src.read(7)!)).toEqual([1, 2, 3, 1, 2, 3, 1]);
  });
});

describe('ToneDetector', () => {
  it('builds a timeline and fires debounced change events', () => {
    const detector = new ToneDetector({ candidatesHz: [440, 1000] });
    const changes: (number | null)[] = [];
    detector.on('change', (c) => changes.push(c.hz));
    feed(detector, framesOf(createToneSource({ frequencyHz: 440 }), 25), 0);
    feed(detector, framesOf(createSilenceSource(), 10), 500);
    feed(detector, framesOf(createToneSource({ frequencyHz: 1000, levelDbfs: -20 }), 25), 700);
    expect(changes).toEqual([440, null, 1000]);
    expect(detector.timeline().map((s) => [s.hz, s.startMs, s.endMs])).toEqual([
      [440, 0, 500],
      [null, 500, 700],
      [1000, 700, 1200],
    ]);
    expect(detector.heard(440, { since: 700 })).toBe(false);
    expect(detector.heard(1000, { since: 700 })).toBe(true);
    expect(detector.dominantTone({ until: 600 })).toBe(440);
    expect(detector.current).toBe(1000);
  });

  it('scans when no candidates are given, and ignores quiet or noisy frames', () => {
    const detector = new ToneDetector();
    feed(detector, framesOf(createToneSource({ frequencyHz: 1230 }), 5), 0);
    expect(detector.dominantTone()).toBe(1230);
    const quiet = new ToneDetector({ candidatesHz: [1000] });
    feed(quiet, framesOf(createToneSource({ frequencyHz: 1000, levelDbfs: -60 }), 5), 0);
    expect(quiet.dominantTone()).toBeNull();
    const noise = new Int16Array(160).map(() => Math.round((Math.random() - 0.5) * 20000));
    const noisy = new ToneDetector({ candidatesHz: [1000] });
    noisy.push(noise, 0);
    expect(noisy.framesIn()[0]?.hz).toBeNull();
  });

  it('accepts pushes of any size', () => {
    const detector = new ToneDetector({ candidatesHz: [1000] });
    const src = createToneSource({ frequencyHz: 1000 });
    for (let i = 0; i < 30; i++) detector.push(src.read(37)!, i);
    expect(detector.frameCount).toBe(Math.floor((30 * 37) / 160));
  });
});
