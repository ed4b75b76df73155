import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_RATE, encodeWav } from '@referkit/media';
import type { RtpEngineController } from '@referkit/media';
import type { Logger } from 'pino';

/** Tags of the parties of one trunk call in the media anchor. */
export interface MediaTags {
  /** rtpengine call id (the trunk call id). */
  readonly call: string;
  /** The endpoint (transferor, B). */
  readonly endpoint: string;
  /** The customer (A). */
  readonly customer: string;
}

/**
 * Where the trunk anchors media. `none` passes SDP through (signalling only); `rtpengine`
 * rewrites every SDP through rtpengine and re-bridges on transfer.
 */
export interface MediaAnchor {
  /** The endpoint's offer -> the SDP to offer the customer. */
  customerOffer(tags: MediaTags, sdp: string | undefined): Promise<string | undefined>;
  /** The customer's answer (183 or 200) -> the SDP to answer the endpoint with. */
  customerAnswer(tags: MediaTags, sdp: string | undefined): Promise<string | undefined>;
  /** The customer's current SDP -> the SDP to offer the transfer target. */
  targetOffer(tags: MediaTags, target: string, customerSdp: string | undefined): Promise<string | undefined>;
  /** The target's answer -> the customer's new SDP (re-INVITE the customer with it); drops the endpoint. */
  bridgeTarget(tags: MediaTags, target: string, targetSdp: string | undefined): Promise<string | undefined>;
  /** A target leg that never answered: forget its media. */
  abandonTarget(tags: MediaTags, target: string): Promise<void>;
  /** Ring-back to the customer while the target rings. */
  ringback(tags: MediaTags, on: boolean): Promise<void>;
  /** Frees everything held for the call. */
  release(tags: MediaTags): Promise<void>;
  /** Frees the anchor itself. */
  close(): Promise<void>;
}

/** Signalling only: SDP passes through untouched; re-bridging points the customer at the target. */
export function noMedia(): MediaAnchor {
  return {
    customerOffer: (_t, sdp) => Promise.resolve(sdp),
    customerAnswer: (_t, sdp) => Promise.resolve(sdp),
    targetOffer: (_t, _target, sdp) => Promise.resolve(sdp),
    bridgeTarget: (_t, _target, sdp) => Promise.resolve(sdp),
    abandonTarget: () => Promise.resolve(),
    ringback: () => Promise.resolve(),
    release: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/** US ring-back (440 + 480 Hz, 2 s on, 4 s off) as 16-bit PCM at 8 kHz. */
function ringbackSamples(): Int16Array {
  const on = 2 * SAMPLE_RATE;
  const out = new Int16Array(6 * SAMPLE_RATE);
  const amplitude = 32767 * 10 ** (-16 / 20);
  for (let i = 0; i < on; i++) {
    const t = i / SAMPLE_RATE;
    out[i] = Math.round(amplitude * (Math.sin(2 * Math.PI * 440 * t) + Math.sin(2 * Math.PI * 480 * t)));
  }
  return out;
}

/** Options of {@link rtpengineMedia}. */
export interface RtpEngineMediaOptions {
  /** The ng controller. */
  readonly controller: RtpEngineController;
  /** Let rtpengine transcode between the legs (`codec-transcode`). */
  readonly transcode?: boolean | undefined;
  /** Logger. */
  readonly logger: Logger;
}

/**
 * Media anchored in rtpengine. The re-bridge is the sequence verified on rtpengine 10.5 (see
 * `RtpEngineController.rebridge`), split across the target's ringing: `offer` with the target's
 * to-tag when the target leg is placed, `answer` when it answers, then `delete` of the endpoint's
 * tag with no delay.
 */
export function rtpengineMedia(options: RtpEngineMediaOptions): MediaAnchor {
  const { controller, logger } = options;
  const flags = ['trust-address'];
  const extra: Record<string, unknown> = options.transcode ? { codec: { transcode: ['PCMU', 'PCMA'] } } : {};
  const dir = mkdtempSync(join(tmpdir(), 'referkit-trunk-'));
  const ringbackFile = join(dir, 'ringback.wav');
  writeFileSync(ringbackFile, encodeWav(ringbackSamples()));
  const ringing = new Set<string>();
  return {
    async customerOffer(tags, sdp) {
      if (sdp === undefined || sdp === '') return sdp;
      const r = await controller.offer({ callId: tags.call, fromTag: tags.endpoint, sdp, flags, extra });
      return r.sdp;
    },
    async customerAnswer(tags, sdp) {
      if (sdp === undefined || sdp === '') return sdp;
      const r = await controller.answer({
        callId: tags.call,
        fromTag: tags.endpoint,
        toTag: tags.customer,
        sdp,
        flags,
      });
      return r.sdp;
    },
    async targetOffer(tags, target, customerSdp) {
      if (customerSdp === undefined || customerSdp === '') return customerSdp;
      const r = await controller.offer({
        callId: tags.call,
        fromTag: tags.customer,
        toTag: target,
        sdp: customerSdp,
        flags,
        extra,
      });
      return r.sdp;
    },
    async bridgeTarget(tags, target, targetSdp) {
      if (targetSdp === undefined || targetSdp === '') return targetSdp;
      const r = await controller.answer({
        callId: tags.call,
        fromTag: tags.customer,
        toTag: target,
        sdp: targetSdp,
        flags,
      });
      await controller.delete({ callId: tags.call, fromTag: tags.endpoint, deleteDelay: 0 });
      return r.sdp;
    },
    async abandonTarget(tags, target) {
      try {
        await controller.delete({ callId: tags.call, fromTag: target, deleteDelay: 0 });
      } catch (err) {
        logger.debug({ err, call: tags.call, target }, 'rtpengine delete of an abandoned target failed');
      }
    },
    async ringback(tags, on) {
      try {
        if (on) {
          const r = await controller.playMedia({
            callId: tags.call,
            fromTag: tags.customer,
            file: ringbackFile,
            repeatTimes: 100,
          });
          if (r.supported) ringing.add(tags.call);
          else logger.info({ reason: r.reason }, 'rtpengine cannot play ring-back');
        } else if (ringing.delete(tags.call)) {
          await controller.stopMedia({ callId: tags.call, fromTag: tags.customer });
        }
      } catch (err) {
        logger.warn({ err, call: tags.call }, 'ring-back failed');
      }
    },
    async release(tags) {
      ringing.delete(tags.call);
      try {
        await controller.delete({ callId: tags.call, deleteDelay: 0 });
      } catch (err) {
        logger.debug({ err, call: tags.call }, 'rtpengine delete failed (call already gone?)');
      }
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
