import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerOffer,
  createToneSource,
  startRtpEngine,
  type RtpEngineController,
  type RtpEngineSupervisor,
} from '../../src/index.js';
import {
  bridge,
  connect,
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
  `transfer re-bridge${rtpengineInstalled ? '' : ` (skipped: ${SKIP_REASON})`}`,
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

    it('moves the customer from the agent to the target; the agent hears nothing after', async () => {
      const callId = 'transfer-1';
      const a = await party('customer'); // A: 440 Hz
      const b = await party('agent'); // B: 1000 Hz
      const c = await party('target'); // C: 1600 Hz
      parties.push(a, b, c);
      await bridge(ctl, callId, a, b);
      a.session.play(createToneSource({ frequencyHz: 440 }));
      b.session.play(createToneSource({ frequencyHz: 1000 }));
      c.session.play(createToneSource({ frequencyHz: 1600 }));
      await waitFor(
        () => a.detector.heard(1000, { minMs: 300 }) && b.detector.heard(440, { minMs: 300 }),
        'A and B hear each other',
      );

      const result = await ctl.rebridge({
        callId,
        customerTag: a.tag,
        oldTag: b.tag,
        targetTag: c.tag,
        customerSdp: a.sdp(),
        connectTarget: (offer) => {
          // What an INVITE to C and its 200 OK would carry.
          const answer = answerOffer(offer, {
            address: '127.0.0.1',
            port: c.session.local.port,
            codecs: ['PCMU'],
          });
          if (!answer.ok) return Promise.reject(answer.error);
          connect(c, offer);
          return Promise.resolve(answer.value.sdp);
        },
      });
      // Re-INVITE A with its new SDP: its rtpengine port changes.
      connect(a, result.customerSdp);
      await sleep(200); // packets already in flight
      const switched = a.detector.now();
      const bReceivedAt = b.session.stats.received.packets;

      await waitFor(
        () =>
          a.detector.heard(1600, { since: switched, minMs: 500 }) &&
          c.detector.heard(440, { since: switched, minMs: 500 }),
        'A hears C and C hears A',
      );
      await sleep(300);
      expect(a.detector.heardMs(1000, { since: switched + 100 })).toBe(0);
      expect(b.session.stats.received.packets).toBe(bReceivedAt);
      expect(b.detector.heardMs(440, { since: switched + 100 })).toBe(0);

      const q = await ctl.query({ callId });
      // rtpengine 10.5 keeps the deleted party's record, with its media ports released.
      expect(q.tags.agent?.streams.every((s) => s.localPort === undefined)).toBe(true);
      expect(q.tags.target?.streams.every((s) => s.localPort !== undefined)).toBe(true);
      expect(q.tags.customer?.inDialogueWith).toBe('target');

      await ctl.delete({ callId, deleteDelay: 0 });
      expect(await ctl.list()).toEqual([]);
    });
  },
);
