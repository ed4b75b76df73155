import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerOffer,
  createToneSource,
  parseRemoteMedia,
  startRtpEngine,
  type MediaDirection,
  type RtpEngineController,
  type RtpEngineSupervisor,
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
  `hold through rtpengine${rtpengineInstalled ? '' : ` (skipped: ${SKIP_REASON})`}`,
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

    /** A re-offers with `direction` through rtpengine; B answers per RFC 3264 section 6.1. */
    async function reoffer(callId: string, a: Party, b: Party, direction: MediaDirection): Promise<void> {
      const offer = await ctl.offer({ callId, fromTag: a.tag, toTag: b.tag, sdp: a.sdp(direction) });
      const offered = parseRemoteMedia(offer.sdp);
      expect(offered.ok && offered.value.direction).toBe(direction);
      const answer = answerOffer(offer.sdp, {
        address: '127.0.0.1',
        port: b.session.local.port,
        codecs: ['PCMU'],
      });
      if (!answer.ok) throw answer.error;
      const back = await ctl.answer({ callId, fromTag: a.tag, toTag: b.tag, sdp: answer.value.sdp });
      const answered = parseRemoteMedia(back.sdp);
      if (!answered.ok) throw answered.error;
      a.session.setDirection(direction);
      b.session.setDirection(answer.value.direction);
      expect(answered.value.direction).toBe(answer.value.direction);
    }

    it('sendonly holds the other side; inactive stops both; sendrecv resumes', async () => {
      const callId = 'hold-1';
      const a = await party('holder');
      const b = await party('held');
      parties.push(a, b);
      await bridge(ctl, callId, a, b);
      a.session.play(createToneSource({ frequencyHz: 440 })); // e.g. hold music
      b.session.play(createToneSource({ frequencyHz: 1000 }));
      await waitFor(
        () => a.detector.heard(1000, { minMs: 200 }) && b.detector.heard(440, { minMs: 200 }),
        'media both ways',
      );

      await reoffer(callId, a, b, 'sendonly');
      expect(b.session.direction).toBe('recvonly');
      await sleep(300); // packets already in flight through rtpengine
      let mark = a.detector.now();
      const aReceived = a.session.stats.received.packets;
      await sleep(500);
      expect(a.session.stats.received.packets).toBe(aReceived); // B stopped sending
      expect(a.detector.heardMs(1000, { since: mark })).toBe(0);
      expect(b.detector.heard(440, { since: mark, minMs: 300 })).toBe(true); // A still sends

      await reoffer(callId, a, b, 'inactive');
      expect(b.session.direction).toBe('inactive');
      await sleep(300); // packets already in flight through rtpengine
      mark = b.detector.now();
      const bReceived = b.session.stats.received.packets;
      const aSent = a.session.stats.sent.packets;
      await sleep(500);
      expect(b.session.stats.received.packets).toBe(bReceived);
      expect(a.session.stats.sent.packets).toBe(aSent);
      expect(b.detector.heardMs(440, { since: mark })).toBe(0);

      await reoffer(callId, a, b, 'sendrecv');
      mark = a.detector.now();
      await waitFor(
        () =>
          a.detector.heard(1000, { since: mark, minMs: 200 }) &&
          b.detector.heard(440, { since: mark, minMs: 200 }),
        'media resumes',
      );
      await ctl.delete({ callId, deleteDelay: 0 });
    });
  },
);
