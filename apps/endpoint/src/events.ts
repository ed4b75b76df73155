/**
 * What the endpoint reports while it works: one event per step of the call and of the transfer.
 * The CLI renders them as one live progress line, or as JSON lines with `--json`; `serve` streams
 * them as server-sent events.
 */
export type EndpointEvent =
  | { readonly type: 'calling'; readonly callId: string; readonly number: string }
  | { readonly type: 'ringing'; readonly callId: string }
  | { readonly type: 'answered'; readonly callId: string }
  | { readonly type: 'call-failed'; readonly callId: string; readonly code: number; readonly reason: string }
  | { readonly type: 'transferring'; readonly callId: string; readonly target: string }
  | {
      readonly type: 'transfer-progress';
      readonly callId: string;
      readonly target: string;
      readonly stage: 'trying' | 'ringing';
    }
  | {
      readonly type: 'transfer-outcome';
      readonly callId: string;
      readonly target: string;
      readonly outcome: string;
      readonly code?: number;
      readonly reason?: string;
    }
  | {
      readonly type: 'hangup';
      readonly callId: string;
      readonly by: 'endpoint' | 'trunk';
      readonly reason: string;
    }
  | {
      /** What the endpoint hears changed: `tone:<Hz>` or `silence` (debounced, 20 ms frames). */
      readonly type: 'hearing';
      readonly callId: string;
      readonly heard: string;
    };

/**
 * Exit statuses of `referkit-endpoint call`. Scripts branch on these; the values never change.
 *
 * | status | meaning |
 * |---|---|
 * | 0 | the call was transferred (or, without `--transfer-to`, ended normally) |
 * | 1 | an unexpected error (the message says what) |
 * | 2 | bad arguments |
 * | 3 | the call was not answered |
 * | 4 | the trunk rejected the REFER (4xx/5xx/6xx to REFER): the caller stayed |
 * | 5 | the transfer failed (NOTIFY 4xx/5xx/6xx for every target): the caller stayed |
 * | 6 | no final NOTIFY arrived in time |
 * | 7 | the trunk accepted the REFER without a subscription (`Refer-Sub: false`): outcome unknown |
 * | 8 | the call ended before the transfer completed |
 */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  notAnswered: 3,
  rejected: 4,
  failed: 5,
  timedOut: 6,
  unverified: 7,
  cancelled: 8,
} as const;

/** Renders events as the single live progress line a human watches. */
export function progressText(event: EndpointEvent): string {
  switch (event.type) {
    case 'calling':
      return `Calling ${event.number}... `;
    case 'ringing':
      return 'ringing... ';
    case 'answered':
      return 'answered... ';
    case 'call-failed':
      return `not answered (${event.code} ${event.reason})`;
    case 'transferring':
      return `Transferring to ${event.target}... `;
    case 'transfer-progress':
      return event.stage === 'trying' ? 'trying... ' : 'ringing... ';
    case 'transfer-outcome':
      return event.outcome === 'succeeded'
        ? 'connected, '
        : `${event.outcome}${event.code === undefined ? '' : ` (${event.code} ${event.reason ?? ''})`.trimEnd()}, caller still with you... `;
    case 'hangup':
      return event.by === 'trunk' ? 'trunk hung up' : 'hung up';
    case 'hearing':
      return '';
  }
}

/**
 * The exit status for how a transfer ended (`kind` of a `TransferOutcome`).
 *
 * @param kind - `succeeded`, `failed`, `rejected`, `timedOut`, `unverified` or `cancelled`
 */
export function exitCodeForOutcome(kind: string): number {
  switch (kind) {
    case 'succeeded':
      return EXIT.ok;
    case 'rejected':
      return EXIT.rejected;
    case 'failed':
      return EXIT.failed;
    case 'timedOut':
      return EXIT.timedOut;
    case 'unverified':
      return EXIT.unverified;
    case 'cancelled':
      return EXIT.cancelled;
    default:
      return EXIT.error;
  }
}
