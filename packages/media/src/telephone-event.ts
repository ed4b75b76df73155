import type { MediaResult } from './errors.js';
import { MediaError, MediaErrorCode } from './errors.js';

/** DTMF digits in RFC 4733 event-code order (section 3.2: 0-9, *, #, A-D). */
export const DTMF_EVENTS = '0123456789*#ABCD';

/** A DTMF digit. */
export type DtmfDigit =
  '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

/** The 4-byte telephone-event payload (RFC 4733 section 2.3). */
export interface TelephoneEvent {
  /** Event code (0-15 DTMF). */
  readonly event: number;
  /** E bit: this is (a retransmission of) the final packet of the event. */
  readonly end: boolean;
  /** Power level as -dBm0 (0-63). */
  readonly volume: number;
  /** Duration so far, in timestamp units (8 kHz). */
  readonly duration: number;
}

/** A DTMF digit received from the peer. */
export interface DtmfEvent {
  /** The digit. */
  readonly digit: DtmfDigit;
  /** Duration in ms as reported by the final packet. */
  readonly durationMs: number;
  /** Power level as -dBm0. */
  readonly volume: number;
  /** RTP timestamp of the event start. */
  readonly timestamp: number;
}

/** Event code of a DTMF digit, or `undefined` for anything else. */
export function dtmfEventCode(digit: string): number | undefined {
  if (digit.length !== 1) return undefined;
  const index = DTMF_EVENTS.indexOf(digit.toUpperCase());
  return index < 0 ? undefined : index;
}

/** Serialises a telephone-event payload (RFC 4733 section 2.3). */
export function serializeTelephoneEvent(event: TelephoneEvent): Uint8Array {
  const out = new Uint8Array(4);
  out[0] = event.event & 0xff;
  out[1] = ((event.end ? 1 : 0) << 7) | (event.volume & 0x3f);
  out[2] = (event.duration >> 8) & 0xff;
  out[3] = event.duration & 0xff;
  return out;
}

/** Parses a telephone-event payload; fewer than 4 bytes is an error. */
export function parseTelephoneEvent(payload: Uint8Array): MediaResult<TelephoneEvent> {
  if (payload.byteLength < 4) {
    return {
      ok: false,
      error: new MediaError(MediaErrorCode.INVALID_ARGUMENT, 'telephone-event payload shorter than 4 bytes'),
    };
  }
  const b1 = payload[1] ?? 0;
  return {
    ok: true,
    value: {
      event: payload[0] ?? 0,
      end: (b1 & 0x80) !== 0,
      volume: b1 & 0x3f,
      duration: ((payload[2] ?? 0) << 8) | (payload[3] ?? 0),
    },
  };
}
