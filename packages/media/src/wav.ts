import { MediaError, MediaErrorCode, type MediaResult } from './errors.js';
import { SAMPLE_RATE, type AudioSource } from './audio-source.js';

/** A decoded WAV file, resampled to 8 kHz mono PCM16. */
export interface WavAudio {
  /** Samples at 8 kHz. */
  readonly samples: Int16Array;
  /** The file's original sample rate. */
  readonly originalSampleRate: number;
  /** `true` when the samples were resampled (linear interpolation) from another rate. */
  readonly resampled: boolean;
}

function fail(code: MediaErrorCode, message: string): { ok: false; error: MediaError } {
  return { ok: false, error: new MediaError(code, message) };
}

/**
 * Decodes a RIFF/WAVE file holding 16-bit PCM mono audio. Other sample rates are resampled to
 * 8 kHz by linear interpolation (adequate for test tones and prompts; it does not low-pass
 * before decimating, so content above 4 kHz aliases). Non-PCM formats, other bit depths and
 * more than one channel are refused with `WAV_UNSUPPORTED`; a malformed file gives `WAV_INVALID`.
 */
export function decodeWav(data: Uint8Array): MediaResult<WavAudio> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const ascii = (at: number): string =>
    String.fromCharCode(data[at] ?? 0, data[at + 1] ?? 0, data[at + 2] ?? 0, data[at + 3] ?? 0);
  if (data.byteLength < 12 || ascii(0) !== 'RIFF' || ascii(8) !== 'WAVE') {
    return fail(MediaErrorCode.WAV_INVALID, 'not a RIFF/WAVE file');
  }
  let offset = 12;
  let format: { tag: number; channels: number; rate: number; bits: number } | undefined;
  let pcm: Uint8Array | undefined;
  while (offset + 8 <= data.byteLength) {
    const id = ascii(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (body + size > data.byteLength && id !== 'data') {
      return fail(MediaErrorCode.WAV_INVALID, `chunk '${id}' runs past the end of the file`);
    }
    if (id === 'fmt ') {
      if (size < 16) return fail(MediaErrorCode.WAV_INVALID, 'fmt chunk too short');
      format = {
        tag: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      // Tolerate a data chunk whose size overruns the file (streamed writers): take what is there.
      pcm = data.subarray(body, Math.min(body + size, data.byteLength));
      break;
    }
    offset = body + size + (size % 2);
  }
  if (!format) return fail(MediaErrorCode.WAV_INVALID, 'no fmt chunk');
  if (!pcm) return fail(MediaErrorCode.WAV_INVALID, 'no data chunk');
  // WAVE_FORMAT_PCM = 1; WAVE_FORMAT_EXTENSIBLE = 0xfffe is refused for simplicity.
  if (format.tag !== 1 || format.bits !== 16) {
    return fail(
      MediaErrorCode.WAV_UNSUPPORTED,
      `only 16-bit PCM WAV is supported (format tag ${format.tag}, ${format.bits} bits)`,
    );
  }
  if (format.channels !== 1) {
    return fail(MediaErrorCode.WAV_UNSUPPORTED, `only mono WAV is supported (${format.channels} channels)`);
  }
  if (format.rate < 1000 || format.rate > 192000) {
    return fail(MediaErrorCode.WAV_UNSUPPORTED, `unsupported sample rate ${format.rate} Hz`);
  }
  const count = Math.floor(pcm.byteLength / 2);
  const input = new Int16Array(count);
  const pcmView = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  for (let i = 0; i < count; i++) input[i] = pcmView.getInt16(i * 2, true);
  if (format.rate === SAMPLE_RATE) {
    return { ok: true, value: { samples: input, originalSampleRate: format.rate, resampled: false } };
  }
  return {
    ok: true,
    value: {
      samples: resampleLinear(input, format.rate, SAMPLE_RATE),
      originalSampleRate: format.rate,
      resampled: true,
    },
  };
}

/** Linear-interpolation resampler for PCM16. */
export function resampleLinear(input: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (input.length === 0) return new Int16Array(0);
  const outLength = Math.max(1, Math.round((input.length * toRate) / fromRate));
  const out = new Int16Array(outLength);
  const ratio = fromRate / toRate;
  for (let i = 0; i < outLength; i++) {
    const pos = i * ratio;
    const i0 = Math.floor(pos);
    const frac = pos - i0;
    const a = input[Math.min(i0, input.length - 1)] ?? 0;
    const b = input[Math.min(i0 + 1, input.length - 1)] ?? 0;
    out[i] = Math.round(a + (b - a) * frac);
  }
  return out;
}

/** Encodes 8 kHz mono PCM16 samples as a RIFF/WAVE file (handy for fixtures and captures). */
export function encodeWav(samples: Int16Array, sampleRate = SAMPLE_RATE): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(out.buffer);
  const put = (at: number, s: string): void => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  put(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) view.setInt16(44 + i * 2, samples[i] ?? 0, true);
  return out;
}

/**
 * A source playing decoded WAV samples, once or looped.
 *
 * @throws {@link MediaError} `WAV_INVALID` / `WAV_UNSUPPORTED` as {@link decodeWav} returns them.
 */
export function createWavSource(
  data: Uint8Array,
  options: { readonly loop?: boolean | undefined } = {},
): AudioSource {
  const decoded = decodeWav(data);
  if (!decoded.ok) throw decoded.error;
  const { samples } = decoded.value;
  const loop = options.loop ?? false;
  let position = 0;
  return {
    kind: 'wav',
    read(n) {
      if (samples.length === 0 || (!loop && position >= samples.length)) return undefined;
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        if (position >= samples.length) {
          if (!loop) break;
          position = 0;
        }
        out[i] = samples[position++] ?? 0;
      }
      return out;
    },
  };
}
