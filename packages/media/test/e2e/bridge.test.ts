import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createToneSource,
  encodeG711,
  encodeWav,
  startRtpEngine,
  type RtpEngineController,
  type RtpEngineSupervisor,
  type RtpPacket,
} from '../../src/index.js';
import {
  bridge,
  party,
  quietLogger,
  requireRtpEngineInCi,
  rtpengineInstalled,
  sleep,
  SKIP_REASON,
  waitFor,
  type Party,
} from './harness.js';

requireRtpEngineInCi();

describe.skipIf(!rtpengineInstalled)(
  `two RTP sessions bridged through rtpengine${rtpengineInstalled ? '' : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    let engine: RtpEngineSupervisor;
    let ctl: RtpEngineController;
    const parties: Party[] = [];

    beforeAll(async () => {
      engine = await startRtpEngine({ deleteDelay: 0, logger: quietLogger() });
      ctl = await engine.controller();
    });

    afterAll(async () => {
      await Promise.all(parties.map((p) => p.session.close()));
      ctl?.close();
      await engine?.stop();
    });

    it('carries tones both ways with sequence numbers and payloads intact, and query counts match', async () => {
      const a = await party('tag-a');
      const b = await party('tag-b');
      parties.push(a, b);
      await bridge(ctl, 'bridge-1', a, b);

      const atB: RtpPacket[] = [];
      b.session.on('packet', (p) => atB.push(p));
      a.session.play(createToneSource({ frequencyHz: 1000 }));
      b.session.play(createToneSource({ frequencyHz: 440 }));
      await waitFor(
        () => b.detector.heard(1000, { minMs: 500 }) && a.detector.heard(440, { minMs: 500 }),
        'tones both ways',
      );
      a.session.play(undefined);
      b.session.play(undefined);
      await waitFor(
        () =>
          b.session.stats.received.packets === a.session.stats.sent.packets &&
          a.session.stats.received.packets === b.session.stats.sent.packets,
        'every packet delivered',
      );

      expect(b.detector.dominantTone()).toBe(1000);
      expect(a.detector.dominantTone()).toBe(440);

      // Every packet from A arrived once, in order, with A's SSRC and the exact G.711 bytes sent.
      const sent = a.session.stats.sent.packets;
      expect(atB).toHaveLength(sent);
      const reference = createToneSource({ frequencyHz: 1000 });
      atB.forEach((p, i) => {
        expect(p.ssrc).toBe(a.session.ssrc);
        expect(p.sequenceNumber).toBe((atB[0]!.sequenceNumber + i) & 0xffff);
        expect(p.timestamp).toBe((atB[0]!.timestamp + i * 160) >>> 0);
        expect(p.marker).toBe(i === 0);
        expect(Buffer.from(p.payload).equals(Buffer.from(encodeG711('PCMU', reference.read(160)!)))).toBe(
          true,
        );
      });
      expect(b.session.stats.received).toMatchObject({
        packets: sent,
        expected: sent,
        lost: 0,
        malformed: 0,
      });
      expect(a.session.stats.received.lost).toBe(0);

      // rtpengine counts packets received from each party.
      await sleep(50);
      const q = await ctl.query({ callId: 'bridge-1' });
      expect(q.tags['tag-a']?.packets).toBe(a.session.stats.sent.packets);
      expect(q.tags['tag-b']?.packets).toBe(b.session.stats.sent.packets);
      expect(q.tags['tag-a']?.inDialogueWith).toBe('tag-b');
      expect(q.totals.packets).toBe(a.session.stats.sent.packets + b.session.stats.sent.packets);

      await ctl.delete({ callId: 'bridge-1', deleteDelay: 0 });
      expect(await ctl.list()).not.toContain('bridge-1');
    });

    it('relays RFC 4733 DTMF', async () => {
      const a = await party('dtmf-a');
      const b = await party('dtmf-b');
      parties.push(a, b);
      await bridge(ctl, 'bridge-dtmf', a, b);
      const digits: string[] = [];
      b.session.on('dtmf', (e) => digits.push(e.digit));
      a.session.play(createToneSource({ frequencyHz: 1000 }));
      for (const d of ['1', '#', '9']) await a.session.sendDtmf(d, { durationMs: 80 });
      await waitFor(() => digits.length === 3, 'three digits');
      expect(digits).toEqual(['1', '#', '9']);
      a.session.play(undefined);
      await ctl.delete({ callId: 'bridge-dtmf', deleteDelay: 0 });
    });

    it('block media holds back what one party sends, and unblock media lets it through again', async () => {
      const a = await party('bm-a');
      const b = await party('bm-b');
      parties.push(a, b);
      await bridge(ctl, 'bridge-bm', a, b);
      a.session.play(createToneSource({ frequencyHz: 1000 }));
      b.session.play(createToneSource({ frequencyHz: 440 }));
      await waitFor(() => b.detector.heard(1000, { minMs: 200 }), 'B hears A');
      await ctl.blockMedia({ callId: 'bridge-bm', fromTag: a.tag });
      await sleep(200);
      const blocked = b.detector.now();
      const aHears = a.detector.now();
      await sleep(600);
      expect(b.detector.heardMs(1000, { since: blocked })).toBe(0);
      // Only A's direction is blocked.
      expect(a.detector.heardMs(440, { since: aHears })).toBeGreaterThan(400);
      await ctl.unblockMedia({ callId: 'bridge-bm', fromTag: a.tag });
      const unblocked = b.detector.now();
      await waitFor(() => b.detector.heard(1000, { since: unblocked, minMs: 200 }), 'B hears A again');
      a.session.play(undefined);
      b.session.play(undefined);
      await ctl.delete({ callId: 'bridge-bm', deleteDelay: 0 });
    });

    it('plays a WAV file to one party with play media, and stops it', async () => {
      const a = await party('pm-a');
      const b = await party('pm-b');
      parties.push(a, b);
      await bridge(ctl, 'bridge-pm', a, b);
      const dir = mkdtempSync(join(tmpdir(), 'referkit-media-'));
      const file = join(dir, 'ringback.wav');
      const tone = createToneSource({ frequencyHz: 1600, durationMs: 3000 });
      const samples = new Int16Array(24000);
      for (let i = 0; i < 150; i++) samples.set(tone.read(160)!, i * 160);
      writeFileSync(file, encodeWav(samples));
      try {
        const mark = a.detector.now();
        const played = await ctl.playMedia({ callId: 'bridge-pm', fromTag: a.tag, file });
        expect(played.supported).toBe(true);
        if (played.supported) expect(played.durationMs).toBe(3000);
        await waitFor(() => a.detector.heard(1600, { since: mark, minMs: 300 }), 'A hears the file');
        expect(b.detector.heardMs(1600)).toBe(0);
        const stopped = await ctl.stopMedia({ callId: 'bridge-pm', fromTag: a.tag });
        expect(stopped.supported).toBe(true);
        await sleep(300);
        const after = a.detector.now();
        await sleep(500);
        expect(a.detector.heardMs(1600, { since: after })).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await ctl.delete({ callId: 'bridge-pm', deleteDelay: 0 });
      }
    });
  },
);
