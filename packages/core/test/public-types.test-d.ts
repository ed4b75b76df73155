/**
 * Type tests, checked by `tsc` in the typecheck task: what the public types accept and refuse.
 */
import {
  transferorTransition,
  initialTransferorState,
  trunkTransferTransition,
  initialTrunkTransferState,
} from '../src/index.js';
import type {
  TrunkReferVerdict,
  TransferOptions,
  TransferOutcome,
  TransferorEffect,
  TrunkTransferEffect,
} from '../src/index.js';

// Outcomes narrow on `kind`: only failed / rejected carry a SIP code besides succeeded.
export function describeOutcome(outcome: TransferOutcome): string {
  switch (outcome.kind) {
    case 'succeeded':
      return `connected (${outcome.code})`;
    case 'failed':
    case 'rejected':
      return `${outcome.kind} ${outcome.code} ${outcome.reason}`;
    case 'timedOut':
    case 'unverified':
      return outcome.kind;
    case 'cancelled':
      return `cancelled by ${outcome.by}`;
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

// @ts-expect-error timedOut has no code
export type NoCode = Extract<TransferOutcome, { kind: 'timedOut' }>['code'];

// Options: explicit undefined is accepted for optional fields; targets are required.
export const options: TransferOptions = {
  targets: [{ uri: 'sip:+14155551234@x.zt.plivo.com' }],
  referredBy: undefined,
};
// @ts-expect-error targets is required
export const noTargets: TransferOptions = { notifyTimeoutMs: 1000 };

const refusal: TrunkReferVerdict = { ok: false, status: 403, reason: 'domain' };

// Events are checked: an unknown event type or a NOTIFY without parsed fields does not compile.
// @ts-expect-error unknown event
transferorTransition(initialTransferorState(), { type: 'bye' });
// @ts-expect-error a NOTIFY must say its subscription state
transferorTransition(initialTransferorState(), { type: 'notify', eventId: 1, sipfrag: undefined });
trunkTransferTransition(initialTrunkTransferState(), { type: 'refer', cseq: 1, verdict: refusal });
// @ts-expect-error the trunk only refuses a REFER with 400 or 403 from a verdict
export const badVerdict: TrunkReferVerdict = { ok: false, status: 404, reason: 'x' };

// Effects narrow on `type`.
export function effectName(effect: TransferorEffect | TrunkTransferEffect): string {
  return effect.type === 'sendRefer' ? effect.referTo : effect.type;
}
