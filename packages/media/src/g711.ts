import alawmulaw from 'alawmulaw';

/** G.711 codecs by their SDP encoding name, with their static RTP payload types (RFC 3551 table 4). */
export const G711 = {
  /** G.711 mu-law, static payload type 0. */
  PCMU: { name: 'PCMU', payloadType: 0, clockRate: 8000 },
  /** G.711 A-law, static payload type 8. */
  PCMA: { name: 'PCMA', payloadType: 8, clockRate: 8000 },
} as const;

/** A G.711 codec name. */
export type G711Codec = keyof typeof G711;

/** Encodes 16-bit linear PCM into G.711 (one byte per sample). Uses `alawmulaw`. */
export function encodeG711(codec: G711Codec, pcm: Int16Array): Uint8Array {
  return codec === 'PCMU' ? alawmulaw.mulaw.encode(pcm) : alawmulaw.alaw.encode(pcm);
}

/** Decodes G.711 bytes into 16-bit linear PCM. Uses `alawmulaw`. */
export function decodeG711(codec: G711Codec, payload: Uint8Array): Int16Array {
  return codec === 'PCMU' ? alawmulaw.mulaw.decode(payload) : alawmulaw.alaw.decode(payload);
}

/** The G.711 codec for a static payload type (0 or 8), or `undefined`. */
export function g711ForPayloadType(payloadType: number): G711Codec | undefined {
  if (payloadType === 0) return 'PCMU';
  if (payloadType === 8) return 'PCMA';
  return undefined;
}
