import type {
  TransferAttempt,
  TransferOptions,
  TransferOutcome,
  TransferProgress,
  TransferTarget,
} from '@referkit/core';
import type { TrunkProfile } from '@referkit/validators';

/**
 * A transfer target as given to {@link transfer}: an E.164 number (`+14155550101`, placed in the
 * dialog's domain or {@link SessionTransferOptions.domain}), a SIP/SIPS/TEL URI (`sip:+14155550101@example.zt.plivo.com`,
 * with or without angle brackets), or a `TransferTarget` with its own display name and time budget.
 */
export type TransferTargetInput = string | TransferTarget;

/** Something that logs; `console` fits. Default: silent. */
export interface TransferLogger {
  /** Unexpected but handled conditions (a NOTIFY that could not be answered, a failed BYE). */
  warn(message: string, ...details: unknown[]): void;
  /** Each step (REFER sent, NOTIFY received). */
  debug?(message: string, ...details: unknown[]): void;
}

/**
 * Options of {@link transfer}: those of `@referkit/core`'s `TransferOptions` (without `targets`,
 * which come from the `target` argument) plus what the SIP.js adapter needs.
 */
export interface SessionTransferOptions extends Omit<TransferOptions, 'targets' | 'referredBy'> {
  /**
   * Domain for targets given as bare numbers, and the termination domain the default trunk
   * profile accepts. Default: the host of the dialog's remote URI (the `To` of an outbound call,
   * i.e. `XXXXXXXXXXXX.zt.plivo.com` for a call placed through a Plivo trunk).
   */
  readonly domain?: string | undefined;
  /**
   * Validate every target's `Refer-To` before sending anything (default `true`). With `false`
   * the targets are sent as given (only angle brackets are added), so a lab can show the trunk's
   * own 400 / 403 answers.
   */
  readonly validate?: boolean | undefined;
  /**
   * Trunk rules used for validation. Default: `plivoProfile({ terminationDomain: domain })` from
   * `@referkit/validators` (E.164 user part, the trunk's domain, no private addresses).
   */
  readonly profile?: TrunkProfile | undefined;
  /**
   * `Referred-By` value (RFC 3892). Default: the dialog's local URI in angle brackets. Pass
   * `false` to omit the header.
   */
  readonly referredBy?: string | false | undefined;
  /** Called on each step of the attempt in flight: `accepted`, `trying`, `ringing`, `attemptEnded`. */
  readonly onProgress?: ((progress: TransferProgress) => void) | undefined;
  /**
   * Stops following the transfer: the promise resolves `cancelled` (by `local`) at once, later
   * NOTIFYs of it are answered 481 (which ends the subscription, RFC 6665 section 4.1.3) and no BYE
   * is sent. A REFER cannot be withdrawn: the trunk may still complete the transfer.
   */
  readonly signal?: AbortSignal | undefined;
  /** Logger for handled oddities; default silent. */
  readonly logger?: TransferLogger | undefined;
}

/**
 * What {@link transfer} resolves with: the final `TransferOutcome` (discriminated on `kind`) plus
 * every attempt of the hunt list, oldest first.
 *
 * @example
 * ```ts
 * const result = await transfer(session, '+14155550101');
 * if (result.kind === 'failed') console.log(result.code); // e.g. 486
 * ```
 */
export type TransferResult = TransferOutcome & {
  /** Every attempt, oldest first (one per target tried). */
  readonly attempts: readonly TransferAttempt[];
};
