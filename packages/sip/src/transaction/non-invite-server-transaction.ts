import type { TimerHandle } from './clock.js';
import { timerDuration } from './timers.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionError, TransactionErrorCode, assertTransition } from './transaction-error.js';

/**
 * States of the non-INVITE server transaction (RFC 3261 section 17.2.2, Figure 8).
 *
 * ```text
 *                                   |Request received
 *                                   |pass to TU
 *                                   V
 *                             +-----------+
 *                             |           |
 *                             | Trying    |-------------+
 *                             |           |             |
 *                             +-----------+             |200-699 from TU
 *                                   |                   |send response
 *                                   |1xx from TU        |
 *                                   |send response      |
 *                                   |                   |
 *                Request            V      1xx from TU  |
 *                send response+-----------+send response|
 *                    +--------|           |--------+    |
 *                    |        | Proceeding|        |    |
 *                    +------->|           |<-------+    |
 *             +<--------------|           |             |
 *             |Trnsprt Err    +-----------+             |
 *             |Inform TU            |                   |
 *             |                     |                   |
 *             |                     |200-699 from TU    |
 *             |                     |send response      |
 *             |  Request            V                   |
 *             |  send response+-----------+             |
 *             |      +--------|           |             |
 *             |      |        | Completed |<------------+
 *             |      +------->|           |
 *             +<--------------|           |
 *             |Trnsprt Err    +-----------+
 *             |Inform TU            |
 *             |                     |Timer J fires
 *             |                     |-
 *             |                     |
 *             |                     V
 *             |               +-----------+
 *             |               |           |
 *             +-------------->| Terminated|
 *                             |           |
 *                             +-----------+
 * ```
 */
export type NonInviteServerTransactionState = 'trying' | 'proceeding' | 'completed' | 'terminated';

const TRANSITIONS: Readonly<
  Record<NonInviteServerTransactionState, readonly NonInviteServerTransactionState[]>
> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

/** What the non-INVITE server transaction asks of its transport and its TU. */
export interface NonInviteServerTransactionUser<Res> {
  /** Sends (or re-sends) a response (RFC 3261 18.2.2). */
  sendResponse(response: Res): void;
  /** The transport failed (RFC 3261 17.2.4). */
  onError(error: TransactionError): void;
  /** The transaction reached "terminated". */
  onTerminated(): void;
}

/** The non-INVITE server transaction of RFC 3261 section 17.2.2. */
export class NonInviteServerTransaction<Res> {
  #state: NonInviteServerTransactionState = 'trying';
  #last: Res | undefined;
  #timerJ: TimerHandle | undefined;
  readonly #ctx: TransactionContext;
  readonly #tu: NonInviteServerTransactionUser<Res>;

  /** Creates the transaction in "trying" (the request has been received). */
  constructor(ctx: TransactionContext, tu: NonInviteServerTransactionUser<Res>) {
    this.#ctx = ctx;
    this.#tu = tu;
  }

  /** Current state. */
  get state(): NonInviteServerTransactionState {
    return this.#state;
  }

  /** True once a final response has been sent. */
  get finalSent(): boolean {
    return this.#state === 'completed' || this.#state === 'terminated';
  }

  /** A retransmission of the request arrived. */
  receiveRequest(): void {
    switch (this.#state) {
      case 'trying':
        // https://www.rfc-editor.org/rfc/rfc3261#section-17.2.2 : Trying discards retransmissions.
        return;
      case 'proceeding':
      case 'completed':
        // https://www.rfc-editor.org/rfc/rfc3261#section-17.2.2 : resend the most recent response.
        if (this.#last !== undefined) this.#send(this.#last);
        return;
      case 'terminated':
        return;
      default: {
        const never: never = this.#state;
        return never;
      }
    }
  }

  /** The TU sends a response through this transaction. */
  respond(status: number, response: Res): void {
    switch (this.#state) {
      case 'trying':
      case 'proceeding':
        this.#last = response;
        this.#send(response);
        if (this.state === 'terminated') return; // the transport failed and terminated us
        if (status < 200) {
          // https://www.rfc-editor.org/rfc/rfc3261#section-17.2.2 : 1xx -> Proceeding.
          if (this.#state === 'trying') this.#move('proceeding');
        } else {
          // https://www.rfc-editor.org/rfc/rfc3261#section-17.2.2 : 200-699 -> Completed, Timer J.
          this.#move('completed');
          this.#timerJ = this.#ctx.clock.setTimeout(
            () => this.#terminate(),
            timerDuration('J', this.#ctx.timers, this.#ctx.reliable),
          );
        }
        return;
      case 'completed':
      case 'terminated':
        // https://www.rfc-editor.org/rfc/rfc3261#section-17.2.2 : further finals from the TU are discarded.
        return;
      default: {
        const never: never = this.#state;
        return never;
      }
    }
  }

  /** The transport failed to deliver a response (RFC 3261 17.2.4). */
  transportError(cause?: unknown): void {
    if (this.#state === 'terminated') return;
    this.#terminate(
      new TransactionError(TransactionErrorCode.TransportError, 'transport error sending response', {
        cause,
      }),
    );
  }

  /** Stops all timers and terminates silently (stack shutdown). */
  dispose(): void {
    this.#terminate();
  }

  #send(response: Res): void {
    try {
      this.#tu.sendResponse(response);
    } catch (cause) {
      this.transportError(cause);
    }
  }

  #move(to: NonInviteServerTransactionState): void {
    assertTransition('NonInviteServerTransaction', TRANSITIONS, this.#state, to);
    this.#state = to;
  }

  #terminate(error?: TransactionError): void {
    if (this.#state === 'terminated') return;
    if (this.#timerJ !== undefined) this.#ctx.clock.clearTimeout(this.#timerJ);
    this.#timerJ = undefined;
    this.#last = undefined;
    this.#move('terminated');
    if (error) this.#tu.onError(error);
    this.#tu.onTerminated();
  }
}
