/**
 * SIP timer T1 (RTT estimate), 500 ms.
 *
 * @see https://www.rfc-editor.org/rfc/rfc3261#section-17.1.1.1
 */
export const SIP_T1_MS = 500;

/**
 * Default time a transferor waits for the final NOTIFY of one target: 64 x T1 = 32 s, the same
 * bound RFC 3261 puts on a non-INVITE transaction (Timer F).
 *
 * @see https://www.rfc-editor.org/rfc/rfc3261#section-17.1.2.2
 */
export const DEFAULT_NOTIFY_TIMEOUT_MS = 64 * SIP_T1_MS;

/**
 * One transfer target: where the REFER's `Refer-To` points.
 *
 * @example
 * ```ts
 * const target: TransferTarget = { uri: 'sip:+14155551234@example.zt.plivo.com', timeoutMs: 20_000 };
 * ```
 */
export interface TransferTarget {
  /**
   * The target as a SIP URI in addr-spec form (no angle brackets), e.g.
   * `sip:+14155551234@XXXXXXXXXXXX.zt.plivo.com`. The machine wraps it in `<...>` for `Refer-To`
   * (RFC 3515 section 2.1: a URI with `;`, `?` or `,` must be bracketed, so it always is).
   */
  readonly uri: string;
  /** Optional display name placed before the bracketed URI in `Refer-To`. */
  readonly displayName?: string | undefined;
  /**
   * Time budget for this target in milliseconds, from sending the REFER to the final NOTIFY.
   * Defaults to {@link TransferOptions.notifyTimeoutMs}.
   */
  readonly timeoutMs?: number | undefined;
}

/**
 * What a transfer should do: the hunt list and the rules around it. Shared by every adapter's
 * `transfer()`.
 */
export interface TransferOptions {
  /**
   * Hunt list, tried in order: the next target is referred when the previous one ends `failed`,
   * `rejected` (except 481, the dialog is gone) or `timedOut`. Must not be empty.
   *
   * After a timeout the trunk may still be working on the previous target: NOTIFYs for it are then
   * answered 481 (which ends that subscription, RFC 6665 section 4.2.2) and a trunk that allows one
   * transfer at a time may answer the next REFER 491.
   */
  readonly targets: readonly TransferTarget[];
  /**
   * Default per-target time budget in milliseconds (REFER sent -> final NOTIFY).
   * Default {@link DEFAULT_NOTIFY_TIMEOUT_MS} (32 000 = 64 x T1).
   */
  readonly notifyTimeoutMs?: number | undefined;
  /**
   * Allow hanging up while the transfer is in flight (before a 2xx NOTIFY). Off by default:
   * on a Plivo trunk an early BYE drops the caller before the transfer completes.
   */
  readonly allowEarlyHangup?: boolean | undefined;
  /**
   * Send BYE as soon as a 2xx NOTIFY arrives instead of waiting for the trunk's BYE. Default off.
   */
  readonly hangUpOnSuccess?: boolean | undefined;
  /** `Referred-By` value (RFC 3892), e.g. `<sip:agent@pbx.example.com>`. Omitted when absent. */
  readonly referredBy?: string | undefined;
  /** Extra headers to put on every REFER (name -> value), e.g. `{ 'X-Reason': 'escalation' }`. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}
