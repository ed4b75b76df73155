import { describe, expect, it } from 'vitest';
import {
  SourceTracker,
  parseRtp,
  parseTelephoneEvent,
  serializeRtp,
  serializeTelephoneEvent,
} from '../src/index.js';

describe('RTP packets', () => {
  it('round-trips the fixed header', () => {
    const buf = serializeRtp({
      marker: true,
      payloadType: 8,
      sequenceNumber: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
      payload: new Uint8Array([1, 2, 3]),
    });
    expect(buf[0]).toBe(0x80);
    expect(buf[1]).toBe(0x88);
    const r = parseRtp(buf);
    expect(r.ok && r.value).toMatchObject({
      version: 2,
      marker: true,
      payloadType: 8,
      sequenceNumber: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
    });
    expect(r.ok && Array.from(r.value.payload)).toEqual([1, 2, 3]);
  });

  it('skips CSRCs and extensions and strips padding', () => {
    const buf = Buffer.from([
      0xb1,
      0x00,
      0,
      1,
      0,
      0,
      0,
      2,
      0,
      0,
      0,
      3, // V=2 P=1 X=1 CC=1
      0,
      0,
      0,
      9, // CSRC
      0xbe,
      0xde,
      0,
      1,
      1,
      2,
      3,
      4, // extension, 1 word
      7,
      7, // payload
      0,
      0,
      3, // padding (3)
    ]);
    const r = parseRtp(buf);
    expect(r.ok && r.value.csrc).toEqual([9]);
    expect(r.ok && Array.from(r.value.payload)).toEqual([7, 7]);
  });

  it.each([
    ['short', Buffer.from([0x80, 0, 0])],
    ['version 1', Buffer.alloc(20, 0x40)],
    ['CSRC overrun', Buffer.from([0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
    ['bad padding', Buffer.from([0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50])],
    ['RTCP', Buffer.from([0x80, 200, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0])],
  ])('rejects %s', (_name, buf) => {
    expect(parseRtp(buf).ok).toBe(false);
  });
});

describe('telephone-event payload', () => {
  it('round-trips', () => {
    const bytes = serializeTelephoneEvent({ event: 11, end: true, volume: 10, duration: 800 });
    expect(Array.from(bytes)).toEqual([11, 0x8a, 3, 32]);
    expect(parseTelephoneEvent(bytes)).toEqual({
      ok: true,
      value: { event: 11, end: true, volume: 10, duration: 800 },
    });
    expect(parseTelephoneEvent(new Uint8Array(3)).ok).toBe(false);
  });
});

describe('SourceTracker (RFC 3550 A.1, A.3, A.8)', () => {
  it('counts loss across a sequence wrap', () => {
    const t = new SourceTracker(1, 65530);
    for (const seq of [65530, 65531, 65533, 65534, 65535, 0, 2, 3]) t.update(seq, 160, 0, undefined);
    const s = t.snapshot();
    expect(s.expected).toBe(10);
    expect(s.packets).toBe(8);
    expect(s.lost).toBe(2);
    expect(s.extendedHighestSequence).toBe(65536 + 3);
  });

  it('computes jitter per A.8', () => {
    const t = new SourceTracker(1, 0);
    // Arrivals 0, 160, 400 (timestamp units) for timestamps 0, 160, 320: D = 0 then 80.
    t.update(0, 160, 0, 0);
    t.update(1, 160, 160, 160);
    expect(t.snapshot().jitter).toBe(0);
    t.update(2, 160, 320, 400);
    expect(t.snapshot().jitter).toBe(5);
  });

  it('handles a timestamp wrap without a jitter spike', () => {
    const t = new SourceTracker(1, 0);
    t.update(0, 160, 0xffffff60, 1000);
    t.update(1, 160, 0, 1160);
    expect(t.snapshot().jitter).toBe(0);
  });

  it('rejects a single large jump and resynchronises on two sequential packets', () => {
    const t = new SourceTracker(1, 100);
    expect(t.update(100, 1, 0, undefined)).toBe(true);
    expect(t.update(20000, 1, 0, undefined)).toBe(false);
    expect(t.update(20001, 1, 0, undefined)).toBe(true);
    expect(t.snapshot()).toMatchObject({ packets: 1, expected: 1 });
  });
});
