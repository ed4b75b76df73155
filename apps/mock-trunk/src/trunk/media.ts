import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_RATE, encodeWav, withG711Codecs } from '@referkit/media';
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
  /** Whether the anchor converts between codecs, so legs with no codec in common still hear each other. */
  readonly transcodes: boolean;
  /** The endpoint's offer -> the SDP to offer the customer. */
  customerOffer(tags: MediaTags, sdp: string | undefined): Promise<string | undefined>;
  /** The customer's answer (183 or 200) -> the SDP to answer the endpoint with. */
  customerAnswer(tags: MediaTags, sdp: string | undefined): Promise<string | undefined>;
  /** The customer's current SDP -> the SDP to offer the transfer target. */
  targetOffer(tags: MediaTags, target: string, customerSdp: string | undefined): Promise<string | undefined>;
  /** The target's answer -> the customer's new SDP (re-INVITE the customer with it). */
  bridgeTarget(tags: MediaTags, target: string, targetSdp: string | undefined): Promise<string | undefined>;
  /** After the customer's re-INVITE: drop the endpoint's media. */
  dropEndpoint(tags: MediaTags): Promise<void>;
  /** A target leg that never answered: forget its media. */
  abandonTarget(tags: MediaTags, target: string): Promise<void>;
  /** Ring-back to the customer while the target rings. */
  ringback(tags: MediaTags, on: boolean): Promise<void>;
  /** Frees everything held for the call. */
  release(tags: MediaTags): Promise<void>;
  /** Frees the anchor itself. */
  close(): Promise<void>;
}

/**
 * The SDP a transfer target is offered: the customer's, with every codec the trunk carries (PCMU
 * and PCMA) listed, as a B2BUA offers a new leg its own codec set rather than the one the customer
 * leg negotiated. Without transcoding, a target that picks a codec the customer does not decode
 * answers, and nobody hears anything after the transfer (Plivo's "no audio after transfer").
 */
function carrierOffer(sdp: string | undefined): string | undefined {
  if (sdp === undefined || sdp === '') return sdp;
  const widened = withG711Codecs(sdp, ['PCMU', 'PCMA']);
  return widened.ok ? widened.value : sdp;
}

/**
 * Signalling only: SDP passes through (the target is offered the trunk's codecs, see
 * {@link carrierOffer}); re-bridging points the customer at the target.
 */
export function noMedia(): MediaAnchor {
  return {
    transcodes: false,
    customerOffer: (_t, sdp) => Promise.resolve(sdp),
    customerAnswer: (_t, sdp) => Promise.resolve(sdp),
    targetOffer: (_t, _target, sdp) => Promise.resolve(carrierOffer(sdp)),
    bridgeTarget: (_t, _target, sdp) => Promise.resolve(sdp),
    dropEndpoint: () => Promise.resolve(),
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
 * Media anchored in rtpengine. The endpoint and the customer share rtpengine call `<call>`. A
 * transfer target is offered the customer's SDP in its own rtpengine call `<call>~<target>`
 * (from-tag customer, to-tag target), so while it rings nothing changes between the customer and
 * the endpoint, and a failed target is simply deleted with its call. When the target answers,
 * `answer` in that call gives the customer's new SDP (re-INVITE the customer with it), and the
 * original call is deleted with no delay.
 *
 * Why not the in-call re-bridge (`offer` with the target's to-tag in call `<call>`, as
 * `RtpEngineController.rebridge` does): on rtpengine 10.5 that offer already moves the
 * customer's stream toward the target, and when the target then fails (busy, no answer) the
 * customer and the endpoint no longer hear each other (the e2e test "a failed transfer" shows it).
 */
export function rtpengineMedia(options: RtpEngineMediaOptions): MediaAnchor {
  const { controller, logger } = options;
  const flags = ['trust-address'];
  const extra: Record<string, unknown> = options.transcode ? { codec: { transcode: ['PCMU', 'PCMA'] } } : {};
  const dir = mkdtempSync(join(tmpdir(), 'referkit-trunk-'));
  const ringbackFile = join(dir, 'ringback.wav');
  writeFileSync(ringbackFile, encodeWav(ringbackSamples()));
  const ringing = new Set<string>();
  // rtpengine calls held per trunk call (the call itself plus one per target leg).
  const held = new Map<string, Set<string>>();
  const hold = (call: string, id: string): void => {
    let set = held.get(call);
    if (!set) held.set(call, (set = new Set()));
    set.add(id);
  };
  const legCall = (tags: MediaTags, target: string): string => `${tags.call}~${target}`;
  const drop = async (id: string): Promise<void> => {
    try {
      await controller.delete({ callId: id, deleteDelay: 0 });
    } catch (err) {
      logger.debug({ err, id }, 'rtpengine delete failed (call already gone?)');
    }
  };
  return {
    transcodes: options.transcode ?? false,
    async customerOffer(tags, sdp) {
      if (sdp === undefined || sdp === '') return sdp;
      hold(tags.call, tags.call);
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
      hold(tags.call, legCall(tags, target));
      const r = await controller.offer({
        callId: legCall(tags, target),
        fromTag: tags.customer,
        toTag: target,
        // With transcoding rtpengine adds the codecs itself (and converts between them).
        sdp: options.transcode ? customerSdp : (carrierOffer(customerSdp) ?? customerSdp),
        flags,
        extra,
      });
      return r.sdp;
    },
    async bridgeTarget(tags, target, targetSdp) {
      if (targetSdp === undefined || targetSdp === '') return targetSdp;
      const r = await controller.answer({
        callId: legCall(tags, target),
        fromTag: tags.customer,
        toTag: target,
        sdp: targetSdp,
        flags,
      });
      return r.sdp;
    },
    async dropEndpoint(tags) {
      ringing.delete(tags.call);
      held.get(tags.call)?.delete(tags.call);
      await drop(tags.call);
    },
    async abandonTarget(tags, target) {
      held.get(tags.call)?.delete(legCall(tags, target));
      await drop(legCall(tags, target));
    },
    async ringback(tags, on) {
      try {
        if (on) {
          if (ringing.has(tags.call)) return;
          const r = await controller.playMedia({
            callId: tags.call,
            fromTag: tags.customer,
            file: ringbackFile,
            repeatTimes: 100,
          });
          if (!r.supported) return void logger.info({ reason: r.reason }, 'rtpengine cannot play ring-back');
          ringing.add(tags.call);
          // rtpengine adds the played stream to the endpoint's: hold the endpoint's back so the
          // caller hears ring-back alone, as on a carrier.
          await controller.blockMedia({ callId: tags.call, fromTag: tags.endpoint });
        } else if (ringing.delete(tags.call)) {
          await controller.stopMedia({ callId: tags.call, fromTag: tags.customer });
          await controller.unblockMedia({ callId: tags.call, fromTag: tags.endpoint });
        }
      } catch (err) {
        logger.warn({ err, call: tags.call }, 'ring-back failed');
      }
    },
    async release(tags) {
      ringing.delete(tags.call);
      const ids = held.get(tags.call) ?? new Set<string>();
      held.delete(tags.call);
      await Promise.all([...ids].map(drop));
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
