import type { TransitionError } from '@referkit/core';
import type { ReferToError } from '@referkit/validators';

/**
 * Codes of {@link TransferError} (the same codes as `@referkit/sipjs`). Callers branch on `code`,
 * never on message text. Nothing was sent on the wire when one of these is raised.
 *
 * - `INVALID_TARGET`: a target failed `Refer-To` validation (see {@link TransferError.referToError}),
 *   could not be turned into a SIP URI, or contains characters that would break the header.
 * - `TRANSFER_IN_PROGRESS`: a transfer is already in flight on this dialog (one at a time).
 * - `DIALOG_ENDED`: the dialog has ended.
 * - `NO_TARGETS`: the hunt list is empty.
 * - `HANG_UP_BEFORE_FINAL_NOTIFY`: a BYE was refused because the transfer has no 2xx NOTIFY yet
 *   and `allowEarlyHangup` is off (on a Plivo trunk that BYE drops the caller).
 * - `INVALID_INPUT`: an argument of the wrong shape: a header name that is not a token, a value
 *   with CR/LF, a header the adapter writes itself, a dialog without the needed methods.
 */
export const TRANSFER_ERROR_CODES = {
  INVALID_TARGET: 'INVALID_TARGET',
  TRANSFER_IN_PROGRESS: 'TRANSFER_IN_PROGRESS',
  DIALOG_ENDED: 'DIALOG_ENDED',
  NO_TARGETS: 'NO_TARGETS',
  HANG_UP_BEFORE_FINAL_NOTIFY: 'HANG_UP_BEFORE_FINAL_NOTIFY',
  INVALID_INPUT: 'INVALID_INPUT',
} as const;

/** One of {@link TRANSFER_ERROR_CODES}. */
export type TransferErrorCode = (typeof TRANSFER_ERROR_CODES)[keyof typeof TRANSFER_ERROR_CODES];

/** Details attached to a {@link TransferError}. */
export interface TransferErrorDetails {
  /** The target (as given) that was refused, for `INVALID_TARGET`. */
  readonly target?: string | undefined;
  /** Why `validateReferTo` refused the target, for `INVALID_TARGET`. */
  readonly referToError?: ReferToError | undefined;
  /** The refused move of the transferor machine, when the machine refused it. */
  readonly transition?: TransitionError | undefined;
  /** Underlying cause. */
  readonly cause?: unknown;
}

/**
 * Rejected by {@link transfer} and {@link hangUp} when nothing can be sent: bad targets or
 * headers, a dialog that has ended, a second transfer, an early hang-up. Outcomes of a transfer
 * that was sent (busy, 403, timeout...) are never errors: they resolve.
 *
 * @example
 * ```ts
 * try {
 *   await transfer(dialog, 'sip:+14155550101@192.168.1.10');
 * } catch (error) {
 *   if (error instanceof TransferError && error.code === 'INVALID_TARGET') {
 *     console.log(error.referToError?.code, error.message); // PRIVATE_ADDRESS, names the fix
 *   }
 * }
 * ```
 */
export class TransferError extends Error {
  /** Machine-readable code. */
  readonly code: TransferErrorCode;
  /** The target (as given) that was refused, for `INVALID_TARGET`. */
  readonly target: string | undefined;
  /** Why `validateReferTo` refused the target, for `INVALID_TARGET`. */
  readonly referToError: ReferToError | undefined;
  /** The refused move of the transferor machine, when the machine refused it. */
  readonly transition: TransitionError | undefined;

  /**
   * @param code - one of {@link TRANSFER_ERROR_CODES}
   * @param message - what happened and how to fix it
   * @param details - target, validation error, refused transition, cause
   */
  constructor(code: TransferErrorCode, message: string, details: TransferErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TransferError';
    this.code = code;
    this.target = details.target;
    this.referToError = details.referToError;
    this.transition = details.transition;
  }
}
