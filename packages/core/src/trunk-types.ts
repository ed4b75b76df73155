import type { TransitionError } from './transition-error.js';

/**
 * The trunk's verdict on a REFER's `Refer-To`, computed by the adapter (e.g. with
 * `@referkit/validators`' `validateReferTo`): the target to call, or the status to refuse with.
 */
export type TrunkReferVerdict =
  | { readonly ok: true; readonly target: string }
  | { readonly ok: false; readonly status: 400 | 403; readonly reason: string };

/** The transfer the trunk is carrying out, identified by its REFER's CSeq. */
export interface TrunkTransferContext {
  /** CSeq number of the REFER; also the `id` of `Event: refer` on its NOTIFYs (RFC 3515 section 2.4.6). */
  readonly referCseq: number;
  /** Target URI being called. */
  readonly target: string;
}

/**
 * State of the trunk side of a transfer (what Plivo does with a REFER on an outbound call), for
 * one dialog with the transferor. The caller (customer) leg is up throughout `connected`,
 * `calling` and `ringing`.
 *
 * ```text
 *              REFER ok: 202, NOTIFY 100 (active),        target 180/183: NOTIFY 180
 *              place the target leg                       (active), ring-back to the caller
 *   connected -----------------------------------> calling -----------------------------> ringing
 *    |   ^                                          |   |                                  |   |
 *    |   +--- target 4xx-6xx: NOTIFY <status> ------+---|----------------------------------+   |
 *    |        (terminated); the caller stays            |                                      |
 *    |                                                  | target 200: bridge, NOTIFY 200       |
 *    |   REFER not ok: 400/403, stays connected         | (terminated), BYE to the transferor  |
 *    |                                                  v                                      |
 *    |                                             transferred <-------------------------------+
 *    |                                                  |             (target 200 while ringing)
 *    |  transferor BYE: hang up the caller              |  caller BYE: hang up the target
 *    |  caller BYE: hang up the transferor              |
 *    v                                                  v
 *   ended <---------------------------------------------+
 *     ^   calling / ringing + transferor BYE: caller dropped, target leg cancelled, recorded
 *     +-- calling / ringing + caller BYE: target leg cancelled, NOTIFY 487, BYE to transferor
 *
 *   A REFER while calling / ringing gets 491; in transferred / ended, 481.
 * ```
 */
export type TrunkTransferState =
  | { readonly kind: 'connected'; readonly transfers: number }
  | { readonly kind: 'calling'; readonly transfers: number; readonly transfer: TrunkTransferContext }
  | { readonly kind: 'ringing'; readonly transfers: number; readonly transfer: TrunkTransferContext }
  | { readonly kind: 'transferred'; readonly transfers: number; readonly transfer: TrunkTransferContext }
  | { readonly kind: 'ended'; readonly transfers: number };

/** The `kind` of a {@link TrunkTransferState}. */
export type TrunkTransferStateKind = TrunkTransferState['kind'];

/** Which call leg an effect or record is about. */
export type TrunkLeg = 'caller' | 'transferor' | 'target';

/** Events fed to the trunk-side machine. */
export type TrunkTransferEvent =
  /** A REFER arrived in the dialog, with the adapter's verdict on its `Refer-To`. */
  | { readonly type: 'refer'; readonly cseq: number; readonly verdict: TrunkReferVerdict }
  /** The target leg of the REFER with `referCseq` got a 180/183. */
  | {
      readonly type: 'targetRinging';
      readonly referCseq: number;
      readonly status: number;
      readonly reason: string;
    }
  /** The target leg answered (200). */
  | { readonly type: 'targetAnswered'; readonly referCseq: number }
  /** The target leg failed with a final status (486, 408, 480, 603, 404, 503, 402...). */
  | {
      readonly type: 'targetFailed';
      readonly referCseq: number;
      readonly status: number;
      readonly reason: string;
    }
  /** The transferor (endpoint) sent BYE. */
  | { readonly type: 'transferorBye' }
  /** The caller (customer) hung up. */
  | { readonly type: 'callerBye' }
  /**
   * A NOTIFY the trunk sent got no 2xx: `status` 408 for a transaction timeout (the endpoint does
   * not listen on its Contact), or the non-2xx it got.
   */
  | { readonly type: 'notifyFailed'; readonly referCseq: number; readonly status: number };

/** The `type` of a {@link TrunkTransferEvent}. */
export type TrunkTransferEventType = TrunkTransferEvent['type'];

/** What the trunk records about a call (call-detail notes the mock trunk exposes). */
export const TRUNK_RECORD_CODES = {
  /** The REFER was refused (400/403/481/491). */
  REFER_REFUSED: 'REFER_REFUSED',
  /** The target answered and the caller was bridged to it. */
  TRANSFER_SUCCEEDED: 'TRANSFER_SUCCEEDED',
  /** The target leg failed; the caller stays with the transferor. */
  TRANSFER_FAILED: 'TRANSFER_FAILED',
  /** The transferor sent BYE before the final NOTIFY: the caller was dropped. */
  TRANSFEROR_HUNG_UP_EARLY: 'TRANSFEROR_HUNG_UP_EARLY',
  /** The caller hung up while the target leg was being placed. */
  CALLER_HUNG_UP_DURING_TRANSFER: 'CALLER_HUNG_UP_DURING_TRANSFER',
  /** A NOTIFY got no answer (transaction timeout) or a non-2xx. */
  NOTIFY_FAILED: 'NOTIFY_FAILED',
} as const;

/** One of {@link TRUNK_RECORD_CODES}. */
export type TrunkRecordCode = (typeof TRUNK_RECORD_CODES)[keyof typeof TRUNK_RECORD_CODES];

/** A note the trunk records about the call. */
export interface TrunkRecord {
  /** Machine-readable code. */
  readonly code: TrunkRecordCode;
  /** Human-readable reason, e.g. "transferor hung up before the transfer completed". */
  readonly reason: string;
  /** SIP status involved, if any. */
  readonly status?: number;
  /** CSeq of the REFER involved, if any. */
  readonly referCseq?: number;
}

/** Effects the adapter (e.g. the mock trunk) executes for the trunk side, in order. */
export type TrunkTransferEffect =
  /** Answer the REFER just received. */
  | { readonly type: 'respondRefer'; readonly status: 202 | 400 | 403 | 481 | 491; readonly reason: string }
  /**
   * Send a NOTIFY to the transferor's Contact: `Event: refer;id=<eventId>`,
   * `Subscription-State: <subscriptionState>` (`;reason=noresource` when terminated),
   * `Content-Type: message/sipfrag;version=2.0`, body `SIP/2.0 <status> <reason>`.
   */
  | {
      readonly type: 'sendNotify';
      readonly eventId: number;
      readonly status: number;
      readonly reason: string;
      readonly subscriptionState: 'active' | 'terminated';
    }
  /** Place the target leg (INVITE to `target`). */
  | { readonly type: 'placeLeg'; readonly referCseq: number; readonly target: string }
  /** Cancel the target leg still ringing (CANCEL). */
  | { readonly type: 'cancelLeg'; readonly referCseq: number }
  /** Start or stop ring-back toward the caller. */
  | { readonly type: 'ringback'; readonly action: 'start' | 'stop' }
  /** Bridge the caller's media to the target leg (and away from the transferor). */
  | { readonly type: 'bridge'; readonly referCseq: number }
  /** Send BYE on a leg (for `target`, the leg of `referCseq`). */
  | { readonly type: 'hangUp'; readonly leg: TrunkLeg; readonly referCseq?: number }
  /** Record a note about the call. */
  | { readonly type: 'record'; readonly record: TrunkRecord }
  /** A refused or invalid move; the state did not change. */
  | { readonly type: 'error'; readonly error: TransitionError };

/** The `type` of a {@link TrunkTransferEffect}. */
export type TrunkTransferEffectType = TrunkTransferEffect['type'];

/**
 * Allowed transitions of the trunk side (state kind -> kinds reachable in one event). Staying in
 * the same kind is always allowed.
 */
export const TRUNK_TRANSFER_TRANSITIONS: Readonly<
  Record<TrunkTransferStateKind, readonly TrunkTransferStateKind[]>
> = {
  connected: ['calling', 'ended'],
  calling: ['ringing', 'transferred', 'connected', 'ended'],
  ringing: ['transferred', 'connected', 'ended'],
  transferred: ['ended'],
  ended: [],
};
