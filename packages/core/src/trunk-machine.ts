import { errorEffect, invalidInput, kindOf, runStep } from './transition-error.js';
import type { TransitionResult } from './transition-error.js';
import { TRUNK_RECORD_CODES, TRUNK_TRANSFER_TRANSITIONS } from './trunk-types.js';
import type {
  TrunkReferVerdict,
  TrunkTransferContext,
  TrunkTransferEffect,
  TrunkTransferEvent,
  TrunkTransferState,
} from './trunk-types.js';

type Result = TransitionResult<TrunkTransferState, TrunkTransferEffect>;
type Pending = Extract<TrunkTransferState, { kind: 'calling' | 'ringing' }>;

/**
 * Reason recorded when the transferor's BYE drops the caller (Plivo's "202 but caller dropped").
 */
export const TRANSFEROR_HUNG_UP_EARLY_REASON = 'transferor hung up before the transfer completed';

/**
 * The trunk side's starting state: caller and transferor connected, no transfer yet.
 *
 * @param transfers - transfers already carried out on this call (for chained transfers), default 0
 */
export function initialTrunkTransferState(transfers = 0): TrunkTransferState {
  return { kind: 'connected', transfers };
}

/**
 * The trunk side's transition function (what Plivo does with a REFER): pure, never throws.
 * Returns the next state and the effects to execute in order.
 *
 * @example
 * ```ts
 * const r = trunkTransferTransition(initialTrunkTransferState(), {
 *   type: 'refer', cseq: 2, verdict: { ok: true, target: 'sip:+14155551234@x.zt.plivo.com' },
 * });
 * // r.effects: respondRefer 202, sendNotify 100 (active), placeLeg
 * ```
 */
export function trunkTransferTransition(
  state: TrunkTransferState,
  event: TrunkTransferEvent,
): TransitionResult<TrunkTransferState, TrunkTransferEffect> {
  return runStep(TRUNK_TRANSFER_TRANSITIONS, state, event, step, errorEffect);
}

function step(state: TrunkTransferState, event: TrunkTransferEvent): Result {
  switch (event.type) {
    case 'refer':
      return onRefer(state, event.cseq, event.verdict);
    case 'targetRinging':
      if (state.kind !== 'calling' || state.transfer.referCseq !== event.referCseq) return same(state);
      // https://www.rfc-editor.org/rfc/rfc3515#section-2.4.5: each provisional of the referenced
      // request is reported in a sipfrag NOTIFY; the caller hears ring-back meanwhile (Plivo's
      // guide, step 5).
      return {
        state: { kind: 'ringing', transfers: state.transfers, transfer: state.transfer },
        effects: [
          notify(state.transfer, event.status, event.reason, 'active'),
          { type: 'ringback', action: 'start' },
        ],
      };
    case 'targetAnswered':
      return onTargetAnswered(state, event.referCseq);
    case 'targetFailed':
      if (!isPending(state, event.referCseq)) return same(state);
      // https://www.rfc-editor.org/rfc/rfc3515#section-2.4.7: the final NOTIFY carries the failure
      // and terminates the subscription; the caller stays on the transferor's leg (Plivo's guide).
      return {
        state: { kind: 'connected', transfers: state.transfers },
        effects: [
          ...stopRingback(state),
          notify(state.transfer, event.status, event.reason, 'terminated'),
          record(
            'TRANSFER_FAILED',
            `target answered ${event.status} ${event.reason}`,
            state.transfer,
            event.status,
          ),
        ],
      };
    case 'transferorBye':
      return onTransferorBye(state);
    case 'callerBye':
      return onCallerBye(state);
    case 'notifyFailed':
      // https://www.rfc-editor.org/rfc/rfc6665#section-4.2.2 would end the subscription; Plivo
      // keeps sending NOTIFYs and the final BYE to the advertised Contact regardless, so the
      // transfer goes on and is recorded.
      return {
        state,
        effects: [
          {
            type: 'record',
            record: {
              code: TRUNK_RECORD_CODES.NOTIFY_FAILED,
              reason:
                event.status === 408
                  ? 'NOTIFY timed out: the transferor does not answer on its advertised Contact'
                  : `NOTIFY answered ${event.status}`,
              status: event.status,
              referCseq: event.referCseq,
            },
          },
        ],
      };
    default:
      return invalid(state, kindOf(event, 'type'), event);
  }
}

function onRefer(state: TrunkTransferState, cseq: number, verdict: TrunkReferVerdict): Result {
  switch (state.kind) {
    case 'transferred':
    case 'ended':
      // https://www.rfc-editor.org/rfc/rfc3261#section-12.2.2: a request that matches no (live)
      // dialog gets 481.
      return refuseRefer(state, cseq, 481, 'Call/Transaction Does Not Exist');
    case 'calling':
    case 'ringing':
      // https://www.rfc-editor.org/rfc/rfc3261#section-14.2 (by analogy): one transfer at a time on
      // a call; 491 Request Pending.
      return refuseRefer(state, cseq, 491, 'Request Pending');
    case 'connected': {
      if (!verdict.ok) return refuseRefer(state, cseq, verdict.status, verdict.reason);
      const transfer: TrunkTransferContext = { referCseq: cseq, target: verdict.target };
      // https://www.rfc-editor.org/rfc/rfc3515#section-2.4.2 / 2.4.5: 202 Accepted, then an
      // immediate NOTIFY 100 Trying.
      return {
        state: { kind: 'calling', transfers: state.transfers + 1, transfer },
        effects: [
          { type: 'respondRefer', status: 202, reason: 'Accepted' },
          notify(transfer, 100, 'Trying', 'active'),
          { type: 'placeLeg', referCseq: cseq, target: verdict.target },
        ],
      };
    }
    default:
      return invalid(state, 'refer', state);
  }
}

function onTargetAnswered(state: TrunkTransferState, referCseq: number): Result {
  if (isPending(state, referCseq)) {
    // Plivo's guide, steps 5-6: bridge, NOTIFY 200 terminating the subscription (RFC 3515
    // section 2.4.7), then BYE to the transferor.
    return {
      state: { kind: 'transferred', transfers: state.transfers, transfer: state.transfer },
      effects: [
        ...stopRingback(state),
        { type: 'bridge', referCseq },
        notify(state.transfer, 200, 'OK', 'terminated'),
        { type: 'hangUp', leg: 'transferor' },
        record('TRANSFER_SUCCEEDED', `caller bridged to ${state.transfer.target}`, state.transfer, 200),
      ],
    };
  }
  if (state.kind === 'transferred' && state.transfer.referCseq === referCseq) return same(state);
  // A target leg that answers after its transfer was abandoned is hung up at once.
  return { state, effects: [{ type: 'hangUp', leg: 'target', referCseq }] };
}

function onTransferorBye(state: TrunkTransferState): Result {
  switch (state.kind) {
    case 'connected':
      // The transferor ends an ordinary call: the caller leg goes with it.
      return {
        state: { kind: 'ended', transfers: state.transfers },
        effects: [{ type: 'hangUp', leg: 'caller' }],
      };
    case 'calling':
    case 'ringing':
      // Plivo's troubleshooting table, "202 but caller dropped": a BYE before NOTIFY 200 tears
      // down the caller leg and the pending target leg.
      return {
        state: { kind: 'ended', transfers: state.transfers },
        effects: [
          ...stopRingback(state),
          { type: 'cancelLeg', referCseq: state.transfer.referCseq },
          { type: 'hangUp', leg: 'caller' },
          record('TRANSFEROR_HUNG_UP_EARLY', TRANSFEROR_HUNG_UP_EARLY_REASON, state.transfer),
        ],
      };
    case 'transferred':
    case 'ended':
      // After NOTIFY 200 the transferor may hang up (its BYE may cross ours): caller and target
      // stay.
      return same(state);
    default:
      return invalid(state, 'transferorBye', state);
  }
}

function onCallerBye(state: TrunkTransferState): Result {
  switch (state.kind) {
    case 'connected':
      return {
        state: { kind: 'ended', transfers: state.transfers },
        effects: [{ type: 'hangUp', leg: 'transferor' }],
      };
    case 'calling':
    case 'ringing':
      // The transfer cannot complete: cancel the target, report 487 in the final NOTIFY
      // (https://www.rfc-editor.org/rfc/rfc3515#section-2.4.7) and end the transferor's leg.
      return {
        state: { kind: 'ended', transfers: state.transfers },
        effects: [
          ...stopRingback(state),
          { type: 'cancelLeg', referCseq: state.transfer.referCseq },
          notify(state.transfer, 487, 'Request Terminated', 'terminated'),
          { type: 'hangUp', leg: 'transferor' },
          record(
            'CALLER_HUNG_UP_DURING_TRANSFER',
            'caller hung up before the target answered',
            state.transfer,
          ),
        ],
      };
    case 'transferred':
      return {
        state: { kind: 'ended', transfers: state.transfers },
        effects: [{ type: 'hangUp', leg: 'target', referCseq: state.transfer.referCseq }],
      };
    case 'ended':
      return same(state);
    default:
      return invalid(state, 'callerBye', state);
  }
}

function refuseRefer(
  state: TrunkTransferState,
  cseq: number,
  status: 400 | 403 | 481 | 491,
  reason: string,
): Result {
  return {
    state,
    effects: [
      { type: 'respondRefer', status, reason },
      { type: 'record', record: { code: TRUNK_RECORD_CODES.REFER_REFUSED, reason, status, referCseq: cseq } },
    ],
  };
}

function isPending(state: TrunkTransferState, referCseq: number): state is Pending {
  return (state.kind === 'calling' || state.kind === 'ringing') && state.transfer.referCseq === referCseq;
}

function stopRingback(state: Pending): TrunkTransferEffect[] {
  return state.kind === 'ringing' ? [{ type: 'ringback', action: 'stop' }] : [];
}

function notify(
  transfer: TrunkTransferContext,
  status: number,
  reason: string,
  subscriptionState: 'active' | 'terminated',
): TrunkTransferEffect {
  return { type: 'sendNotify', eventId: transfer.referCseq, status, reason, subscriptionState };
}

function record(
  code:
    'TRANSFER_SUCCEEDED' | 'TRANSFER_FAILED' | 'TRANSFEROR_HUNG_UP_EARLY' | 'CALLER_HUNG_UP_DURING_TRANSFER',
  reason: string,
  transfer: TrunkTransferContext,
  status?: number,
): TrunkTransferEffect {
  const base = { code: TRUNK_RECORD_CODES[code], reason, referCseq: transfer.referCseq };
  return { type: 'record', record: status === undefined ? base : { ...base, status } };
}

function same(state: TrunkTransferState): Result {
  return { state, effects: [] };
}

function invalid(state: TrunkTransferState, event: string, value: never): Result {
  return { state, effects: [{ type: 'error', error: invalidInput(state, event, value) }] };
}
