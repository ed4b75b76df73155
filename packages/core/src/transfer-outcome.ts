import type { TransferTarget } from './transfer-options.js';

/**
 * How one transfer attempt (or a whole hunt) ended. Discriminated on `kind`.
 *
 * - `succeeded`: a NOTIFY carried a 2xx sipfrag (RFC 3515 section 2.4.5).
 * - `failed`: a NOTIFY carried a 3xx-6xx sipfrag, e.g. 486 busy at the target.
 * - `rejected`: the REFER itself got a non-2xx final response, e.g. 400 or 403 from the trunk.
 * - `timedOut`: no final NOTIFY within the target's time budget.
 * - `unverified`: the REFER was accepted but no final status will be reported: `Refer-Sub: false`
 *   (RFC 4488 section 4) or a subscription terminated without a final sipfrag.
 * - `cancelled`: the dialog ended (or was hung up) before the transfer finished.
 */
export type TransferOutcome =
  | { readonly kind: 'succeeded'; readonly code: number; readonly reason: string }
  | { readonly kind: 'failed'; readonly code: number; readonly reason: string }
  | { readonly kind: 'rejected'; readonly code: number; readonly reason: string }
  | { readonly kind: 'timedOut' }
  | { readonly kind: 'unverified' }
  | { readonly kind: 'cancelled'; readonly by: 'local' | 'remote' };

/** The `kind` of a {@link TransferOutcome}. */
export type TransferOutcomeKind = TransferOutcome['kind'];

/**
 * Progress of the attempt in flight, for UIs ("Transferring...") and ring-back relays.
 *
 * - `accepted`: the REFER got a 2xx (`code` 200 or 202).
 * - `trying`: NOTIFY `100 Trying` (or another non-180/183 provisional).
 * - `ringing`: NOTIFY `180 Ringing` / `183 Session Progress`.
 * - `attemptEnded`: this target ended without success and the next target of the hunt list is tried.
 */
export type TransferProgress =
  | {
      readonly kind: 'accepted';
      readonly code: number;
      readonly target: TransferTarget;
      readonly attempt: number;
    }
  | {
      readonly kind: 'trying';
      readonly code: number;
      readonly target: TransferTarget;
      readonly attempt: number;
    }
  | {
      readonly kind: 'ringing';
      readonly code: number;
      readonly target: TransferTarget;
      readonly attempt: number;
    }
  | {
      readonly kind: 'attemptEnded';
      readonly outcome: TransferOutcome;
      readonly target: TransferTarget;
      readonly attempt: number;
    };

/** One finished attempt of a hunt: which target and how it ended. */
export interface TransferAttempt {
  /** The target referred. */
  readonly target: TransferTarget;
  /** CSeq of its REFER, when known. */
  readonly cseq: number | undefined;
  /** How it ended. */
  readonly outcome: TransferOutcome;
}
