// The README example, with its console.log lines turned into assertions.
import { describe, expect, it } from 'vitest';
import {
  ToneDetector,
  answerOffer,
  buildOffer,
  createRtpSession,
  createToneSource,
  parseRemoteMedia,
  startRtpEngine,
} from '../../src/index.js';
import { requireRtpEngineInCi, rtpengineInstalled, SKIP_REASON, waitFor } from './harness.js';

requireRtpEngineInCi();

describe.skipIf(!rtpengineInstalled)(
  `README example${rtpengineInstalled ? '' : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    it('bridges two phones through rtpengine', async () => {
      const engine = await startRtpEngine({ deleteDelay: 0 });
      const rtpengine = await engine.controller();

      const alice = await createRtpSession();
      const bob = await createRtpSession();
      const bobHears = new ToneDetector({ candidatesHz: [440, 1000] });
      bob.on('audio', (pcm) => bobHears.push(pcm));

      const offer = await rtpengine.offer({
        callId: 'call-1',
        fromTag: 'alice',
        sdp: buildOffer({ address: '127.0.0.1', port: alice.local.port }),
      });
      const answer = answerOffer(offer.sdp, { address: '127.0.0.1', port: bob.local.port });
      if (!answer.ok) throw answer.error;
      const back = await rtpengine.answer({
        callId: 'call-1',
        fromTag: 'alice',
        toTag: 'bob',
        sdp: answer.value.sdp,
      });
      const toBob = parseRemoteMedia(offer.sdp);
      const toAlice = parseRemoteMedia(back.sdp);
      if (!toBob.ok || !toAlice.ok) throw new Error('bad SDP from rtpengine');
      bob.setRemote(toBob.value);
      alice.setRemote(toAlice.value);

      alice.play(createToneSource({ frequencyHz: 1000, levelDbfs: -10 }));
      await waitFor(() => bobHears.heard(1000), 'bob hears 1000 Hz'); // README: sleep 500 ms
      expect(bobHears.heard(1000)).toBe(true);
      expect(bob.stats.received.lost).toBe(0);

      alice.play(undefined);
      await new Promise((r) => setTimeout(r, 200));
      const counts = await rtpengine.query({ callId: 'call-1' });
      expect(counts.tags.alice?.packets).toBe(alice.stats.sent.packets);

      await rtpengine.delete({ callId: 'call-1' });
      await Promise.all([alice.close(), bob.close()]);
      rtpengine.close();
      await engine.stop();
    });
  },
);
