import type { TimerHandle } from './clock.js';
import { timerDuration } from './timers.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionError, TransactionErrorCode, assertTransition } from './transaction-error.js';

/**
 * States of the INVITE client transaction (RFC 3261 section 17.1.1, Figure 5, with the
 * "Accepted" state added by RFC 6026 section 7.2).
 *
 * ```text
 *                                |INVITE from TU
 *              Timer A fires     |INVITE sent
 *              Reset A,          V                      Timer B fires
 *              INVITE sent +-----------+                or Transport Err.
 *                +---------|           |---------------+inform TU
 *                |         |  Calling  |               |
 *                +-------->|           |-------------->|
 *                          +-----------+ 2xx           |
 *                             |  |       2xx to TU     |
 *                             |  |1xx                  |
 *     300-699 +---------------+  |1xx to TU            |
 *    ACK sent |                  |                     |
 * resp. to TU |  1xx             V                     |
 *             |  1xx to TU  -----------+               |
 *             |  +---------|           |               |
 *             |  |         |Proceeding |-------------->|
 *             |  +-------->|           | 2xx           |
 *             |            +-----------+ 2xx to TU     |
 *             |       300-699    |                     |
 *             |       ACK sent,  |                     |
 *             |       resp. to TU|                     |
 *             |                  |                     |
 *             |                  V                     |
 *             |            +-----------+               |
 *             |            |           |               |
 *             +----------->| Completed |               |
 *                          |           |               |
 *                          +-----------+               |
 *               300-699 ACK   |   ^   |                |
 *                             +---+   |Timer D fires   |
 *                                     |-               |
 *                                     V                |
 *    2xx to TU  +------------+  +-----------+          |
 *    +----------|  Accepted  |->|Terminated |<---------+
 *    +--------->| (RFC 6026) |  |           |
 *               +------------+  +-----------+
 *                        Timer M fires
 * ```
 */
export type InviteClientTransactionState = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

const TRANSITIONS: Readonly<Record<InviteClientTransactionState, readonly InviteClientTransactionState[]>> = {
  calling: ['proceeding', 'accepted', 'completed', 'terminated'],
  proceeding: ['accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['terminated'],
  terminated: [],
};

/** What the INVITE client transaction asks of its transport and its transaction user (TU). */
export interface InviteClientTransactionUser<Res> {
  /** Transmits (or retransmits) the INVITE. */
  sendRequest(): void;
  /** Builds and sends the ACK for a 300-699 response (RFC 3261 17.1.1.3); same branch as the INVITE. */
  sendAck(response: Res): void;
  /** A response passed up to the TU (1xx, every 2xx, the first 300-699). */
  onResponse(status: number, response: Res): void;
  /** Timer B fired or the transport failed before a final response (RFC 3261 17.1.1.2). */
  onError(error: TransactionError): void;
  /** The transaction reached "terminated" and may be forgotten. */
  onTerminated(): void;
}

/**
 * The INVITE client transaction of RFC 3261 section 17.1.1, amended by RFC 6026 (2xx responses
 * move it to "accepted" so that retransmitted 2xx keep reaching the TU, which ACKs them).
 * Timers run on the injected clock; retransmissions happen only on unreliable transports.
 */
export class InviteClientTransaction<Res> {
  #state: InviteClientTransactionState = 'calling';
  #timerA: TimerHandle | undefined;
  #timerB: TimerHandle | undefined;
  #timerD: TimerHandle | undefined;
  #timerM: TimerHandle | undefined;
  #intervalA: number;
  readonly #ctx: TransactionContext;
  readonly #tu: InviteClientTransactionUser<Res>;

  /** Creates the transaction; call {@link InviteClientTransaction.start} to send the INVITE. */
  constructor(ctx: TransactionContext, tu: InviteClientTransactionUser<Res>) {
    this.#ctx = ctx;
    this.#tu = tu;
    this.#intervalA = timerDuration('A', ctx.timers, ctx.reliable);
  }

  /** Current state. */
  get state(): InviteClientTransactionState {
    return this.#state;
  }

  /** Sends the INVITE and starts timers A (unreliable only) and B. RFC 3261 17.1.1.2. */
  start(): void {
    const { clock, timers, reliable } = this.#ctx;
    this.#send();
    if (this.#state === 'terminated') return; // the transport failed synchronously
    // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.1.2 : Timer A only for unreliable transports.
    if (!reliable) this.#timerA = clock.setTimeout(() => this.#fireA(), this.#intervalA);
    this.#timerB = clock.setTimeout(() => this.#fireB(), timerDuration('B', timers, reliable));
  }

  /** Feeds a response whose branch and CSeq method match this transaction (RFC 3261 17.1.3). */
  receiveResponse(status: number, response: Res): void {
    switch (this.#state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.1.2 : 1xx -> Proceeding, stop retransmitting;
          // Timer B only guards "calling" (Figure 5), so a ringing call may last as long as the TU wants.
          this.#clearA();
          this.#clearB();
          if (this.#state === 'calling') this.#move('proceeding');
          this.#tu.onResponse(status, response);
        } else if (status < 300) {
          // https://www.rfc-editor.org/rfc/rfc6026#section-7.2 : 2xx -> Accepted, start Timer M.
          this.#clearA();
          this.#clearB();
          this.#move('accepted');
          this.#timerM = this.#ctx.clock.setTimeout(
            () => this.#terminate(),
            timerDuration('M', this.#ctx.timers, this.#ctx.reliable),
          );
          this.#tu.onResponse(status, response);
        } else {
          // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.1.2 : 300-699 -> Completed, ACK, Timer D.
          this.#clearA();
          this.#clearB();
          this.#move('completed');
          this.#ack(response);
          this.#timerD = this.#ctx.clock.setTimeout(
            () => this.#terminate(),
            timerDuration('D', this.#ctx.timers, this.#ctx.reliable),
          );
          this.#tu.onResponse(status, response);
        }
        return;
      case 'accepted':
        // https://www.rfc-editor.org/rfc/rfc6026#section-7.2 : 2xx retransmissions go to the TU; others absorbed.
        if (status >= 200 && status < 300) this.#tu.onResponse(status, response);
        return;
      case 'completed':
        // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.1.2 : retransmitted final -> resend ACK, not to TU.
        if (status >= 300) this.#ack(response);
        return;
      case 'terminated':
        return;
      default: {
        const never: never = this.#state;
        return never;
      }
    }
  }

  /** The transport reported a failure sending the INVITE (RFC 3261 17.1.4). */
  transportError(cause?: unknown): void {
    if (this.#state === 'calling' || this.#state === 'proceeding') {
      // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.1.2 : transport error -> Terminated, inform TU.
      this.#terminate(
        new TransactionError(TransactionErrorCode.TransportError, 'transport error sending INVITE', {
          cause,
        }),
      );
    }
  }

  /** Stops all timers and terminates silently (stack shutdown). */
  dispose(): void {
    if (this.#state !== 'terminated') this.#terminate();
  }

  #send(): void {
    try {
      this.#tu.sendRequest();
    } catch (cause) {
      this.transportError(cause);
    }
  }

  #ack(response: Res): void {
    try {
      this.#tu.sendAck(response);
    } catch {
      // A failed ACK is recovered by the server's retransmission of the final response.
    }
  }

  #fireA(): void {
    this.#timerA = undefined;
    if (this.#state !== 'calling') return;
    // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.1.2 : retransmit, double Timer A (no cap for INVITE).
    this.#send();
    if (this.#state !== 'calling') return;
    this.#intervalA *= 2;
    this.#timerA = this.#ctx.clock.setTimeout(() => this.#fireA(), this.#intervalA);
  }

  #fireB(): void {
    this.#timerB = undefined;
    if (this.#state !== 'calling') return;
    // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.1.2 : Timer B -> Terminated, inform TU of timeout.
    this.#terminate(
      new TransactionError(TransactionErrorCode.Timeout, 'Timer B fired: no final response to INVITE'),
    );
  }

  #clearA(): void {
    if (this.#timerA !== undefined) this.#ctx.clock.clearTimeout(this.#timerA);
    this.#timerA = undefined;
  }

  #clearB(): void {
    if (this.#timerB !== undefined) this.#ctx.clock.clearTimeout(this.#timerB);
    this.#timerB = undefined;
  }

  #move(to: InviteClientTransactionState): void {
    assertTransition('InviteClientTransaction', TRANSITIONS, this.#state, to);
    this.#state = to;
  }

  #terminate(error?: TransactionError): void {
    if (this.#state === 'terminated') return;
    this.#clearA();
    this.#clearB();
    for (const t of [this.#timerD, this.#timerM]) if (t !== undefined) this.#ctx.clock.clearTimeout(t);
    this.#timerD = this.#timerM = undefined;
    this.#move('terminated');
    if (error) this.#tu.onError(error);
    this.#tu.onTerminated();
  }
}
