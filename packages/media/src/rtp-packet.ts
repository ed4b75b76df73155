import type { MediaResult } from './errors.js';
import { MediaError, MediaErrorCode } from './errors.js';

/** A parsed RTP packet (RFC 3550 section 5.1). */
export interface RtpPacket {
  /** Always 2. */
  readonly version: 2;
  /** P bit: padding octets were removed from `payload`. */
  readonly padding: boolean;
  /** X bit: a header extension was present (skipped). */
  readonly extension: boolean;
  /** M bit: for audio, the first packet of a talk spurt (RFC 3551 section 4.1). */
  readonly marker: boolean;
  /** 7-bit payload type. */
  readonly payloadType: number;
  /** 16-bit sequence number. */
  readonly sequenceNumber: number;
  /** 32-bit media timestamp. */
  readonly timestamp: number;
  /** 32-bit synchronisation source. */
  readonly ssrc: number;
  /** Contributing sources. */
  readonly csrc: readonly number[];
  /** The payload (padding removed). */
  readonly payload: Uint8Array;
}

/** Fields needed to serialise an RTP packet. */
export interface RtpPacketInit {
  /** M bit. */
  readonly marker?: boolean | undefined;
  /** 7-bit payload type. */
  readonly payloadType: number;
  /** 16-bit sequence number. */
  readonly sequenceNumber: number;
  /** 32-bit timestamp. */
  readonly timestamp: number;
  /** 32-bit SSRC. */
  readonly ssrc: number;
  /** Payload bytes. */
  readonly payload: Uint8Array;
}

/** RTP fixed header length. */
export const RTP_HEADER_LENGTH = 12;

/** Serialises an RTP packet with a 12-byte fixed header (no CSRC, no extension, no padding). */
export function serializeRtp(init: RtpPacketInit): Buffer {
  const buf = Buffer.allocUnsafe(RTP_HEADER_LENGTH + init.payload.byteLength);
  buf[0] = 0x80; // V=2, P=0, X=0, CC=0
  buf[1] = ((init.marker ? 1 : 0) << 7) | (init.payloadType & 0x7f);
  buf.writeUInt16BE(init.sequenceNumber & 0xffff, 2);
  buf.writeUInt32BE(init.timestamp >>> 0, 4);
  buf.writeUInt32BE(init.ssrc >>> 0, 8);
  buf.set(init.payload, RTP_HEADER_LENGTH);
  return buf;
}

function malformed(reason: string): { ok: false; error: MediaError } {
  return { ok: false, error: new MediaError(MediaErrorCode.INVALID_ARGUMENT, `malformed RTP: ${reason}`) };
}

/**
 * Parses an RTP datagram, validating it per RFC 3550 appendix A.1 (version, length, padding,
 * CSRC count and header extension must fit the datagram). RTCP packet types 200-204 (which
 * share the port when rtcp-mux is used, RFC 5761 section 4) are rejected as not RTP.
 */
export function parseRtp(data: Uint8Array): MediaResult<RtpPacket> {
  if (data.byteLength < RTP_HEADER_LENGTH)
    return malformed(`${data.byteLength} bytes is shorter than the header`);
  const b0 = data[0] ?? 0;
  const b1 = data[1] ?? 0;
  const version = b0 >> 6;
  if (version !== 2) return malformed(`version ${version}`);
  if (b1 >= 200 && b1 <= 204) return malformed('RTCP packet type');
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = RTP_HEADER_LENGTH + cc * 4;
  if (offset > data.byteLength) return malformed('CSRC list overruns the datagram');
  const csrc: number[] = [];
  for (let i = 0; i < cc; i++) csrc.push(view.getUint32(RTP_HEADER_LENGTH + i * 4));
  if (extension) {
    if (offset + 4 > data.byteLength) return malformed('extension header overruns the datagram');
    const words = view.getUint16(offset + 2);
    offset += 4 + words * 4;
    if (offset > data.byteLength) return malformed('extension overruns the datagram');
  }
  let end = data.byteLength;
  if (padding) {
    const count = data[data.byteLength - 1] ?? 0;
    if (count === 0 || end - count < offset) return malformed('bad padding count');
    end -= count;
  }
  return {
    ok: true,
    value: {
      version: 2,
      padding,
      extension,
      marker: (b1 & 0x80) !== 0,
      payloadType: b1 & 0x7f,
      sequenceNumber: view.getUint16(2),
      timestamp: view.getUint32(4),
      ssrc: view.getUint32(8),
      csrc,
      payload: data.subarray(offset, end),
    },
  };
}
