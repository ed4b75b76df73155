import type { TransferOptions, TransferTarget } from './transfer-options.js';
import type { TransferAttempt, TransferOutcome, TransferProgress } from './transfer-outcome.js';
import type { TransitionError } from './transition-error.js';

/** A NOTIFY's `Subscription-State` value (RFC 6665 section 8.2.3). */
export type SubscriptionStateValue = 'active' | 'pending' | 'terminated';

/** A parsed `message/sipfrag` status line (RFC 3420): `SIP/2.0 180 Ringing` -> `{ code: 180, reason: 'Ringing' }`. */
export interface SipfragStatus {
  /** Status code, 100-699. */
  readonly code: number;
  /** Reason phrase (may be empty). */
  readonly reason: string;
}

/** The attempt in flight: one target of the hunt list. */
export interface TransferorAttemptContext {
  /** Zero-based index of the target in the hunt list. */
  readonly index: number;
  /** The target referred. */
  readonly target: TransferTarget;
  /** CSeq number of the REFER, known once the adapter reports `referSent`. */
  readonly cseq: number | undefined;
  /**
   * Whether this is the first REFER of the dialog: its NOTIFYs may omit `id` in `Event: refer`
   * (RFC 3515 section 2.4.6).
   */
  readonly firstInDialog: boolean;
  /** Id of this attempt's timer (for `startTimer` / `cancelTimer` / `timerFired`). */
  readonly timerId: string;
}

/** Everything a transfer in flight carries between states. */
export interface TransferorRun {
  /** Options of this transfer. */
  readonly options: TransferOptions;
  /** The attempt in flight. */
  readonly attempt: TransferorAttemptContext;
  /** Attempts already finished in this hunt, oldest first. */
  readonly history: readonly TransferAttempt[];
  /** REFERs sent on this dialog so far (including the one in flight). */
  readonly refersSent: number;
}

/**
 * State of the transferor: the endpoint (AI agent, PBX) that sends REFER on an established dialog.
 *
 * ```text
 *            transfer               2xx              NOTIFY 100           NOTIFY 180/183
 *   idle ---------------> referring ------> accepted ------------> trying ---------------> ringing
 *    |                     |    |    (RFC 3515 2.4.2)                  ^                      ^
 *    |                     |    +--- NOTIFY 1xx before the 2xx (RFC 6665 4.1.2.4) ------------+
 *    |                     |
 *    |                     |  non-2xx final: rejected(code)     in accepted / trying / ringing:
 *    |                     |  2xx + Refer-Sub: false:             NOTIFY 2xx: succeeded
 *    |                     |    unverified (RFC 4488)             NOTIFY 3xx-6xx: failed(code)
 *    |                     v                                      terminated, no final: unverified
 *    |               done (outcome) <----------------------       timer: timedOut
 *    |                 |
 *    |                 |  hunt list: failed / rejected (not 481) / timedOut with targets left
 *    |                 |  -> the next target is referred at once (back to referring)
 *    |                 |  transfer again -> referring
 *    v                 v
 *   ended <-- dialogEnded (any state); hangUp from idle / done, or in flight with allowEarlyHangup
 *             (a transfer in flight then ends cancelled)
 * ```
 *
 * At most one transfer is in flight per dialog. NOTIFYs are correlated by `Event: refer;id=<CSeq>`
 * (RFC 3515 section 2.4.6); one that matches no subscription is answered 481 (RFC 6665 section
 * 4.1.3).
 */
export type TransferorState =
  | { readonly kind: 'idle'; readonly refersSent: number }
  | { readonly kind: 'referring'; readonly run: TransferorRun }
  | { readonly kind: 'accepted'; readonly run: TransferorRun; readonly code: number }
  | { readonly kind: 'trying'; readonly run: TransferorRun }
  | { readonly kind: 'ringing'; readonly run: TransferorRun }
  | {
      readonly kind: 'done';
      readonly refersSent: number;
      readonly outcome: TransferOutcome;
      readonly attempts: readonly TransferAttempt[];
    }
  | { readonly kind: 'ended'; readonly refersSent: number };

/** The `kind` of a {@link TransferorState}. */
export type TransferorStateKind = TransferorState['kind'];

/**
 * Events fed to the transferor. Values arrive already parsed (the adapter parses with
 * `@referkit/validators`), so the machine needs no parser.
 */
export type TransferorEvent =
  /** Start a transfer (hunt list in `options.targets`). */
  | { readonly type: 'transfer'; readonly options: TransferOptions }
  /**
   * The adapter sent the REFER asked for by `sendRefer`; `cseq` is its CSeq number. Report it as
   * soon as the REFER is sent: until then only NOTIFYs without `id` (allowed for the dialog's first
   * REFER) can be matched, others are answered 481.
   */
  | { readonly type: 'referSent'; readonly cseq: number }
  /**
   * A response to the REFER (provisional or final). `referSub` is the parsed `Refer-Sub` header
   * (RFC 4488), absent when the header is absent. A transaction timeout is reported as 408.
   */
  | {
      readonly type: 'referResponse';
      readonly status: number;
      readonly reason?: string | undefined;
      readonly referSub?: boolean | undefined;
    }
  /**
   * A NOTIFY in the dialog. `eventId` is the `id` parameter of `Event: refer` (undefined when
   * absent), `sipfrag` the parsed body (undefined when missing or unparseable).
   */
  | {
      readonly type: 'notify';
      readonly eventId: number | undefined;
      readonly subscriptionState: SubscriptionStateValue;
      readonly sipfrag: SipfragStatus | undefined;
    }
  /** A timer started by `startTimer` fired. */
  | { readonly type: 'timerFired'; readonly id: string }
  /** The application asks to hang up (subject to {@link TransferOptions.allowEarlyHangup}). */
  | { readonly type: 'hangUp' }
  /** The dialog ended: BYE received (`remote`) or sent outside the machine (`local`). */
  | { readonly type: 'dialogEnded'; readonly by: 'local' | 'remote' };

/** The `type` of a {@link TransferorEvent}. */
export type TransferorEventType = TransferorEvent['type'];

/** Effects the adapter executes for the transferor, in order. */
export type TransferorEffect =
  /**
   * Send REFER in the dialog. `referTo` is the ready `Refer-To` value (bracketed), `referredBy`
   * the `Referred-By` value if any, `headers` extra headers. Report its CSeq with `referSent`.
   */
  | {
      readonly type: 'sendRefer';
      readonly referTo: string;
      readonly referredBy: string | undefined;
      readonly headers: Readonly<Record<string, string>>;
      readonly target: TransferTarget;
      readonly attempt: number;
    }
  /** Answer the NOTIFY just received with this status (200, or 481 when it matches no subscription). */
  | { readonly type: 'answerNotify'; readonly status: 200 | 481; readonly reason: string }
  /** Start (or restart) a timer; feed `timerFired` with the same id when it expires. */
  | { readonly type: 'startTimer'; readonly id: string; readonly ms: number }
  /** Cancel a timer started earlier. */
  | { readonly type: 'cancelTimer'; readonly id: string }
  /** Report progress of the attempt in flight. */
  | { readonly type: 'progress'; readonly progress: TransferProgress }
  /** The transfer is over: final outcome and every attempt of the hunt. Emitted once per transfer. */
  | {
      readonly type: 'outcome';
      readonly outcome: TransferOutcome;
      readonly attempts: readonly TransferAttempt[];
    }
  /** Send BYE on the dialog. */
  | { readonly type: 'sendBye' }
  /** A refused or invalid move; the state did not change. */
  | { readonly type: 'error'; readonly error: TransitionError };

/** The `type` of a {@link TransferorEffect}. */
export type TransferorEffectType = TransferorEffect['type'];

/**
 * Allowed transitions of the transferor (state kind -> kinds reachable in one event). Staying in
 * the same kind is always allowed.
 */
export const TRANSFEROR_TRANSITIONS: Readonly<Record<TransferorStateKind, readonly TransferorStateKind[]>> = {
  idle: ['referring', 'ended'],
  referring: ['accepted', 'trying', 'ringing', 'done', 'ended'],
  accepted: ['trying', 'ringing', 'referring', 'done', 'ended'],
  trying: ['ringing', 'referring', 'done', 'ended'],
  ringing: ['referring', 'done', 'ended'],
  done: ['referring', 'ended'],
  ended: [],
};
