import type { TimerHandle } from './clock.js';
import { timerDuration } from './timers.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionError, TransactionErrorCode, assertTransition } from './transaction-error.js';

/**
 * States of the non-INVITE client transaction (RFC 3261 section 17.1.2.2, Figure 6).
 *
 * ```text
 *                                    |Request from TU
 *                                    |send request
 *                Timer E             V
 *                send request  +-----------+
 *                    +---------|           |-------------------+
 *                    |         |  Trying   |  Timer F          |
 *                    +-------->|           |  or Transport Err.|
 *                              +-----------+  inform TU        |
 *                 200-699         |  |                         |
 *                 resp. to TU     |  |1xx                      |
 *                 +---------------+  |resp. to TU              |
 *                 |                  |                         |
 *                 |   Timer E        V       Timer F           |
 *                 |   send req +-----------+ or Transport Err. |
 *                 |  +---------|           | inform TU         |
 *                 |  |         |Proceeding |------------------>|
 *                 |  +-------->|           |-----+             |
 *                 |            +-----------+     |1xx          |
 *                 |              |      ^        |resp to TU   |
 *                 | 200-699      |      +--------+             |
 *                 | resp. to TU  |                             |
 *                 |              |                             |
 *                 |              V                             |
 *                 |            +-----------+                   |
 *                 |            |           |                   |
 *                 |            | Completed |                   |
 *                 |            |           |                   |
 *                 |            +-----------+                   |
 *                 |              ^   |                         |
 *                 |              |   | Timer K                 |
 *                 +--------------+   | -                       |
 *                                    |                         |
 *                                    V                         |
 *              NOTE:           +-----------+                   |
 *                              |           |                   |
 *          transitions         | Terminated|<------------------+
 *          labeled with        |           |
 *          the event           +-----------+
 *          over the action
 *          to take
 * ```
 */
export type NonInviteClientTransactionState = 'trying' | 'proceeding' | 'completed' | 'terminated';

const TRANSITIONS: Readonly<
  Record<NonInviteClientTransactionState, readonly NonInviteClientTransactionState[]>
> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

/** What the non-INVITE client transaction asks of its transport and its TU. */
export interface NonInviteClientTransactionUser<Res> {
  /** Transmits (or retransmits) the request. */
  sendRequest(): void;
  /** A response passed up to the TU (every 1xx, the first final response). */
  onResponse(status: number, response: Res): void;
  /** Timer F fired or the transport failed (RFC 3261 17.1.2.2). */
  onError(error: TransactionError): void;
  /** The transaction reached "terminated". */
  onTerminated(): void;
}

/**
 * The non-INVITE client transaction of RFC 3261 section 17.1.2 (also used for CANCEL, RFC 3261
 * section 9.1). Timer E retransmits with doubling capped at T2 (unreliable transports only).
 */
export class NonInviteClientTransaction<Res> {
  #state: NonInviteClientTransactionState = 'trying';
  #timerE: TimerHandle | undefined;
  #timerF: TimerHandle | undefined;
  #timerK: TimerHandle | undefined;
  #intervalE: number;
  readonly #ctx: TransactionContext;
  readonly #tu: NonInviteClientTransactionUser<Res>;

  /** Creates the transaction; call {@link NonInviteClientTransaction.start} to send the request. */
  constructor(ctx: TransactionContext, tu: NonInviteClientTransactionUser<Res>) {
    this.#ctx = ctx;
    this.#tu = tu;
    this.#intervalE = timerDuration('E', ctx.timers, ctx.reliable);
  }

  /** Current state. */
  get state(): NonInviteClientTransactionState {
    return this.#state;
  }

  /** Sends the request and starts timers E (unreliable only) and F. RFC 3261 17.1.2.2. */
  start(): void {
    const { clock, timers, reliable } = this.#ctx;
    this.#send();
    if (this.#state === 'terminated') return;
    if (!reliable) this.#timerE = clock.setTimeout(() => this.#fireE(), this.#intervalE);
    this.#timerF = clock.setTimeout(() => this.#fireF(), timerDuration('F', timers, reliable));
  }

  /** Feeds a response matching this transaction (RFC 3261 17.1.3). */
  receiveResponse(status: number, response: Res): void {
    switch (this.#state) {
      case 'trying':
      case 'proceeding':
        if (status < 200) {
          // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.2.2 : 1xx -> Proceeding, pass to TU.
          if (this.#state === 'trying') this.#move('proceeding');
          this.#tu.onResponse(status, response);
        } else {
          // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.2.2 : 200-699 -> Completed, Timer K.
          this.#clearE();
          this.#clearF();
          this.#move('completed');
          this.#timerK = this.#ctx.clock.setTimeout(
            () => this.#terminate(),
            timerDuration('K', this.#ctx.timers, this.#ctx.reliable),
          );
          this.#tu.onResponse(status, response);
        }
        return;
      case 'completed':
      case 'terminated':
        // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.2.2 : Completed buffers retransmitted responses.
        return;
      default: {
        const never: never = this.#state;
        return never;
      }
    }
  }

  /** The transport reported a failure (RFC 3261 17.1.4). */
  transportError(cause?: unknown): void {
    if (this.#state === 'trying' || this.#state === 'proceeding') {
      this.#terminate(
        new TransactionError(TransactionErrorCode.TransportError, 'transport error sending request', {
          cause,
        }),
      );
    }
  }

  /** Stops all timers and terminates silently (stack shutdown). */
  dispose(): void {
    this.#terminate();
  }

  #send(): void {
    try {
      this.#tu.sendRequest();
    } catch (cause) {
      this.transportError(cause);
    }
  }

  #fireE(): void {
    this.#timerE = undefined;
    if (this.#state === 'trying') {
      // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.2.2 : Trying: interval doubles up to T2.
      this.#send();
      this.#intervalE = Math.min(2 * this.#intervalE, this.#ctx.timers.t2);
    } else if (this.#state === 'proceeding') {
      // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.2.2 : Proceeding: retransmit every T2.
      this.#send();
      this.#intervalE = this.#ctx.timers.t2;
    } else {
      return;
    }
    if (this.#state === 'trying' || this.#state === 'proceeding') {
      this.#timerE = this.#ctx.clock.setTimeout(() => this.#fireE(), this.#intervalE);
    }
  }

  #fireF(): void {
    this.#timerF = undefined;
    if (this.#state !== 'trying' && this.#state !== 'proceeding') return;
    // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.2.2 : Timer F -> Terminated, inform TU of timeout.
    this.#terminate(new TransactionError(TransactionErrorCode.Timeout, 'Timer F fired: no final response'));
  }

  #clearE(): void {
    if (this.#timerE !== undefined) this.#ctx.clock.clearTimeout(this.#timerE);
    this.#timerE = undefined;
  }

  #clearF(): void {
    if (this.#timerF !== undefined) this.#ctx.clock.clearTimeout(this.#timerF);
    this.#timerF = undefined;
  }

  #move(to: NonInviteClientTransactionState): void {
    assertTransition('NonInviteClientTransaction', TRANSITIONS, this.#state, to);
    this.#state = to;
  }

  #terminate(error?: TransactionError): void {
    if (this.#state === 'terminated') return;
    this.#clearE();
    this.#clearF();
    if (this.#timerK !== undefined) this.#ctx.clock.clearTimeout(this.#timerK);
    this.#timerK = undefined;
    this.#move('terminated');
    if (error) this.#tu.onError(error);
    this.#tu.onTerminated();
  }
}
