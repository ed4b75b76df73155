import * as dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ToneDetector,
  createRtpSession,
  createToneSource,
  type MediaClock,
  type RtpPacket,
  type RtpSession,
} from '../src/index.js';
import { sleep, waitFor } from './helpers.js';

const open: RtpSession[] = [];
async function session(...args: Parameters<typeof createRtpSession>): Promise<RtpSession> {
  const s = await createRtpSession(...args);
  open.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function pair(): Promise<[RtpSession, RtpSession]> {
  const a = await session();
  const b = await session({ codec: 'PCMA' });
  a.setRemote(b.local);
  b.setRemote(a.local);
  return [a, b];
}

function listen(s: RtpSession, hz: number[]): ToneDetector {
  const d = new ToneDetector({ candidatesHz: hz });
  s.on('audio', (pcm) => d.push(pcm));
  return d;
}

describe('RtpSession on loopback', () => {
  it('exchanges tones both ways with correct RTP headers', async () => {
    const [a, b] = await pair();
    const atB = listen(b, [440, 1000]);
    const atA = listen(a, [440, 1000]);
    const packets: RtpPacket[] = [];
    b.on('packet', (p) => packets.push(p));
    a.play(createToneSource({ frequencyHz: 1000 }));
    b.play(createToneSource({ frequencyHz: 440 }));
    await waitFor(() => atB.heard(1000, { minMs: 300 }) && atA.heard(440, { minMs: 300 }), 'tones both ways');
    expect(atB.dominantTone()).toBe(1000);
    expect(atA.dominantTone()).toBe(440);

    const first = packets[0]!;
    expect(first.marker).toBe(true);
    expect(first.payloadType).toBe(0);
    expect(first.ssrc).toBe(a.ssrc);
    for (let i = 1; i < packets.length; i++) {
      const p = packets[i]!;
      expect(p.marker).toBe(false);
      expect(p.ssrc).toBe(a.ssrc);
      expect(p.sequenceNumber).toBe((packets[i - 1]!.sequenceNumber + 1) & 0xffff);
      expect(p.timestamp).toBe((packets[i - 1]!.timestamp + 160) >>> 0);
      expect(p.payload).toHaveLength(160);
    }
    const stats = b.stats.received;
    expect(stats.packets).toBe(packets.length);
    expect(stats.expected).toBe(packets.length);
    expect(stats.lost).toBe(0);
    expect(stats.octets).toBe(packets.length * 160);
    expect(stats.jitterMs).toBeGreaterThanOrEqual(0);
    expect(a.stats.sent.packets).toBeGreaterThanOrEqual(packets.length);
    // PCMA from b arrives with payload type 8.
    expect(a.stats.received.sources[0]?.ssrc).toBe(b.ssrc);
  });

  it('sets the marker again when a new source starts', async () => {
    const [a, b] = await pair();
    const markers: boolean[] = [];
    b.on('packet', (p) => markers.push(p.marker));
    a.play(createToneSource({ frequencyHz: 1000, durationMs: 60 }));
    await waitFor(() => markers.length === 3, 'first spurt');
    a.play(createToneSource({ frequencyHz: 1000, durationMs: 60 }));
    await waitFor(() => markers.length === 6, 'second spurt');
    expect(markers).toEqual([true, false, false, true, false, false]);
  });

  it('sends and receives RFC 4733 DTMF', async () => {
    const [a, b] = await pair();
    const digits: string[] = [];
    b.on('dtmf', (e) => digits.push(`${e.digit}:${e.durationMs}`));
    a.play(createToneSource({ frequencyHz: 1000 }));
    await a.sendDtmf('5', { durationMs: 100 });
    await a.sendDtmf('#', { durationMs: 60 });
    await waitFor(() => digits.length === 2, 'two digits');
    expect(digits).toEqual(['5:100', '#:60']);
    // 5 updates + 2 extra end packets, then 3 + 2.
    expect(a.stats.sent.telephoneEventPackets).toBe(12);
    await expect(a.sendDtmf('x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Hold while a digit is queued: it fails instead of hanging.
    const pending = a.sendDtmf('7', { durationMs: 200 });
    a.setDirection('recvonly');
    await expect(pending).rejects.toMatchObject({ code: 'SEND_DISABLED' });
  });

  it('honours hold directions', async () => {
    const [a, b] = await pair();
    a.play(createToneSource({ frequencyHz: 1000 }));
    b.play(createToneSource({ frequencyHz: 440 }));
    await waitFor(() => a.stats.received.packets > 5 && b.stats.received.packets > 5, 'media');
    // a puts b on hold: a sendonly, b recvonly (RFC 3264 section 8.4).
    a.setDirection('sendonly');
    b.setDirection('recvonly');
    const bSent = b.stats.sent.packets;
    await sleep(200);
    expect(b.stats.sent.packets).toBe(bSent);
    const bReceived = b.stats.received.packets;
    await waitFor(() => b.stats.received.packets > bReceived + 5, 'a still sends');
    await expect(b.sendDtmf('1')).rejects.toMatchObject({ code: 'SEND_DISABLED' });
    // inactive: nobody sends; what arrives is discarded.
    a.setDirection('inactive');
    const aSent = a.stats.sent.packets;
    await sleep(200);
    expect(a.stats.sent.packets).toBe(aSent);
    a.setDirection('sendrecv');
    b.setDirection('sendrecv');
    const before = a.stats.received.packets;
    await waitFor(() => a.stats.received.packets > before + 5, 'resumed');
  });

  it('discards what arrives while sendonly', async () => {
    const [a, b] = await pair();
    b.setDirection('sendonly');
    a.play(createToneSource({ frequencyHz: 1000 }));
    await waitFor(() => b.stats.received.discarded > 5, 'discards');
    expect(b.stats.received.packets).toBe(0);
  });

  it('follows a remote change mid-call', async () => {
    const [a, b] = await pair();
    const c = await session();
    a.play(createToneSource({ frequencyHz: 1000 }));
    await waitFor(() => b.stats.received.packets > 3, 'b receives');
    a.setRemote(c.local);
    await waitFor(() => c.stats.received.packets > 3, 'c receives');
    const atB = b.stats.received.packets;
    await sleep(100);
    expect(b.stats.received.packets).toBe(atB);
    expect(c.stats.received.sources[0]?.ssrc).toBe(a.ssrc);
  });

  it('counts and drops malformed datagrams', async () => {
    const b = await session();
    const malformed: string[] = [];
    b.on('malformed', (reason) => malformed.push(reason));
    const raw = dgram.createSocket('udp4');
    const send = (buf: Buffer): Promise<void> =>
      new Promise((r) => raw.send(buf, b.local.port, '127.0.0.1', () => r()));
    await send(Buffer.from('hello'));
    await send(Buffer.alloc(40, 0xff));
    await send(Buffer.from([0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    await waitFor(() => b.stats.received.malformed === 3, 'three malformed');
    raw.close();
    expect(b.stats.received.packets).toBe(0);
    expect(malformed).toHaveLength(3);
  });

  it('close() frees the port', async () => {
    const a = await createRtpSession();
    const { port } = a.local;
    a.setRemote({ address: '127.0.0.1', port: 9 });
    a.play(createToneSource({ frequencyHz: 1000 }));
    await a.close();
    await a.close();
    expect(() => a.play(undefined)).toThrow();
    const again = await session({ port });
    expect(again.local.port).toBe(port);
  });

  it('binds IPv6 loopback when asked', async () => {
    const s = await session({ host: '::1' }).catch(() => undefined);
    if (s) expect(s.local.address).toBe('::1');
  });
});

/** A manual clock: timers fire only when the test advances time. */
class ManualClock implements MediaClock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  /** Advances to `to`, firing each due timer `lateMs` after its due time. */
  advance(to: number, lateMs = 0): void {
    for (;;) {
      this.timers.sort((x, y) => x.at - y.at);
      const next = this.timers[0];
      if (!next || next.at + lateMs > to) break;
      this.timers.shift();
      this.t = next.at + lateMs;
      next.fn();
    }
    this.t = to;
  }
}

describe('pacing', () => {
  it('keeps 50 frames per second when every timer fires late', async () => {
    const clock = new ManualClock();
    const a = await session({ clock });
    a.setRemote({ address: '127.0.0.1', port: 9 });
    a.play(createToneSource({ frequencyHz: 1000 }));
    clock.advance(1000, 7); // every timer 7 ms late: no accumulation
    // Frames 0..49 went out by t=1000 (frame 50's timer fires at 1007).
    expect(a.stats.sent.packets).toBe(50);
    clock.advance(2000, 7);
    expect(a.stats.sent.packets).toBe(100);
    expect(a.stats.sent.skippedFrames).toBe(0);
  });

  it('skips frames after a long stall instead of bursting', async () => {
    const clock = new ManualClock();
    const a = await session({ clock });
    a.setRemote({ address: '127.0.0.1', port: 9 });
    a.play(createToneSource({ frequencyHz: 1000 }));
    clock.advance(530, 500); // the first timer fires at 520, 500 ms late
    // Frame 0 at start, a burst of 5, then the remaining 400 ms (20 frames) skipped.
    expect(a.stats.sent.packets).toBe(6);
    expect(a.stats.sent.skippedFrames).toBe(20);
    a.play(undefined);
  });
});

describe('SDP negotiation on the session', () => {
  it('offer/answer connects two sessions; a sendonly re-offer holds the answerer', async () => {
    const a = await session();
    const b = await session();
    const atB = listen(b, [440, 1000]);
    const atA = listen(a, [440, 1000]);
    const offer = a.localOffer();
    const answer = b.acceptOffer(offer, { codecs: ['PCMA', 'PCMU'] });
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    expect(answer.value.codec).toBe('PCMA');
    expect(a.applyAnswer(answer.value.sdp).ok).toBe(true);
    expect(a.codec).toBe('PCMA');
    expect(a.remote?.port).toBe(b.local.port);
    a.play(createToneSource({ frequencyHz: 1000 }));
    b.play(createToneSource({ frequencyHz: 440 }));
    await waitFor(() => atB.heard(1000) && atA.heard(440), 'both hear');

    // Hold: re-offer sendonly; o= keeps its id and bumps its version.
    const hold = a.localOffer({ direction: 'sendonly' });
    expect(hold.split('\r\n')[1]?.split(' ')[1]).toBe(offer.split('\r\n')[1]?.split(' ')[1]);
    expect(Number(hold.split('\r\n')[1]?.split(' ')[2])).toBe(
      Number(offer.split('\r\n')[1]?.split(' ')[2]) + 1,
    );
    const held = b.acceptOffer(hold);
    expect(held.ok && held.value.direction).toBe('recvonly');
    expect(held.ok && a.applyAnswer(held.value.sdp).ok).toBe(true);
    expect(a.direction).toBe('sendonly');
    expect(b.direction).toBe('recvonly');
    const sentByB = b.stats.sent.packets;
    await sleep(100);
    expect(b.stats.sent.packets).toBe(sentByB);
  });

  it('treats c=0.0.0.0 as nowhere to send', async () => {
    const a = await session();
    const r = a.acceptOffer(
      'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
    );
    expect(r.ok).toBe(true);
    expect(a.remote).toBeUndefined();
  });

  it('refuses an answer without G.711', async () => {
    const a = await session();
    a.localOffer();
    const r = a.applyAnswer(
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9\r\n',
    );
    expect(!r.ok && r.error.code).toBe('NO_COMMON_CODEC');
  });
});

describe('timestamps across a pause', () => {
  it('advance with the sampling clock while nothing is sent', async () => {
    const clock = new ManualClock();
    const a = await session({ clock });
    const b = await session();
    a.setRemote(b.local);
    const stamps: number[] = [];
    b.on('packet', (p) => stamps.push(p.timestamp));
    a.play(createToneSource({ frequencyHz: 1000, durationMs: 40 })); // frames at 0 and 20
    clock.advance(100);
    a.play(createToneSource({ frequencyHz: 1000, durationMs: 20 })); // starts at 100
    clock.advance(200);
    await waitFor(() => stamps.length === 3, 'three packets');
    expect(((stamps[1]! - stamps[0]!) >>> 0) / 160).toBe(1);
    expect(((stamps[2]! - stamps[0]!) >>> 0) / 160).toBe(5); // 100 ms after the first frame
  });
});
