import type { TimerHandle } from './clock.js';
import { timerDuration } from './timers.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionError, TransactionErrorCode, assertTransition } from './transaction-error.js';

/**
 * States of the INVITE server transaction (RFC 3261 section 17.2.1, Figure 7, with the
 * "Accepted" state of RFC 6026 section 7.1).
 *
 * ```text
 *                               |INVITE
 *                               |pass INV to TU
 *            INVITE             V send 100 if TU won't in 200 ms
 *            send response+------------+
 *                +--------|            |--------+ 101-199 from TU
 *                |        |            |        | send response
 *                +------->|            |<-------+
 *                         | Proceeding |
 *                         |            |--------+ Transport Err.
 *                         |            |        | Inform TU
 *                         |            |<-------+
 *                         +------------+
 *            300-699 from TU |    |2xx from TU
 *            send response   |    |send response
 *             +--------------+    +------------+
 *             |                                |
 * INVITE      V          Timer G fires         |
 * send resp+------------+ send response        V
 *    +-----|            |-------+        +------------+  2xx from TU
 *    |     | Completed  |       |        |  Accepted  |  send response
 *    +---->|            |<------+        | (RFC 6026) |<-----+
 *          +------------+                +------------+------+
 *   Transport Err. |  |  Timer H fires         | ACK: to TU
 *   Inform TU      |  |  Inform TU             | Timer L fires
 *                  |  |ACK                     |
 *                  |  V  -                     |
 *          +------------+                      |
 *          | Confirmed  |                      |
 *          +------------+                      |
 *                |Timer I fires                |
 *                V                             |
 *          +------------+                      |
 *          | Terminated |<---------------------+
 *          +------------+
 * ```
 */
export type InviteServerTransactionState =
  'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

const TRANSITIONS: Readonly<Record<InviteServerTransactionState, readonly InviteServerTransactionState[]>> = {
  proceeding: ['accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

/** What the INVITE server transaction asks of its transport and its TU. */
export interface InviteServerTransactionUser<Res> {
  /** Sends (or re-sends) a response through the transport (RFC 3261 18.2.2). */
  sendResponse(response: Res): void;
  /** An ACK matched this transaction while "accepted" (RFC 6026 7.1): passed to the TU. */
  onAck?(): void;
  /** Timer H fired (no ACK for a 300-699) or the transport failed (RFC 3261 17.2.1). */
  onError(error: TransactionError): void;
  /** The transaction reached "terminated". */
  onTerminated(): void;
}

/**
 * The INVITE server transaction of RFC 3261 section 17.2.1, amended by RFC 6026: after a 2xx it
 * waits in "accepted" for Timer L, absorbing retransmitted INVITEs, while the TU (the dialog)
 * retransmits the 2xx until the ACK arrives.
 */
export class InviteServerTransaction<Res> {
  #state: InviteServerTransactionState = 'proceeding';
  #last: Res | undefined;
  #timerG: TimerHandle | undefined;
  #timerH: TimerHandle | undefined;
  #timerI: TimerHandle | undefined;
  #timerL: TimerHandle | undefined;
  #intervalG: number;
  readonly #ctx: TransactionContext;
  readonly #tu: InviteServerTransactionUser<Res>;

  /** Creates the transaction in "proceeding" (the INVITE has been received). */
  constructor(ctx: TransactionContext, tu: InviteServerTransactionUser<Res>) {
    this.#ctx = ctx;
    this.#tu = tu;
    this.#intervalG = timerDuration('G', ctx.timers, ctx.reliable);
  }

  /** Current state. */
  get state(): InviteServerTransactionState {
    return this.#state;
  }

  /** True once a final response has been sent. */
  get finalSent(): boolean {
    return this.#state !== 'proceeding';
  }

  /** A retransmission of the INVITE arrived (RFC 3261 17.2.1). */
  receiveRequest(): void {
    switch (this.#state) {
      case 'proceeding':
      case 'completed':
        // https://www.rfc-editor.org/rfc/rfc3261#section-17.2.1 : resend the most recent response.
        if (this.#last !== undefined) this.#send(this.#last);
        return;
      case 'accepted':
      case 'confirmed':
      case 'terminated':
        // https://www.rfc-editor.org/rfc/rfc6026#section-7.1 : absorbed in Accepted.
        return;
      default: {
        const never: never = this.#state;
        return never;
      }
    }
  }

  /** An ACK matching this transaction arrived (RFC 3261 17.2.1, 17.2.3). */
  receiveAck(): void {
    switch (this.#state) {
      case 'completed':
        // https://www.rfc-editor.org/rfc/rfc3261#section-17.2.1 : ACK -> Confirmed, Timer I; stop G and H.
        this.#clear('G');
        this.#clear('H');
        this.#move('confirmed');
        this.#timerI = this.#ctx.clock.setTimeout(
          () => this.#terminate(),
          timerDuration('I', this.#ctx.timers, this.#ctx.reliable),
        );
        return;
      case 'accepted':
        // https://www.rfc-editor.org/rfc/rfc6026#section-7.1 : ACK in Accepted is passed to the TU.
        this.#tu.onAck?.();
        return;
      case 'proceeding':
      case 'confirmed':
      case 'terminated':
        return;
      default: {
        const never: never = this.#state;
        return never;
      }
    }
  }

  /** The TU sends a response with the given status through this transaction. */
  respond(status: number, response: Res): void {
    switch (this.#state) {
      case 'proceeding':
        this.#send(response);
        if (status < 200) {
          // https://www.rfc-editor.org/rfc/rfc3261#section-17.2.1 : 1xx keeps Proceeding.
          this.#last = response;
        } else if (status < 300) {
          // https://www.rfc-editor.org/rfc/rfc6026#section-7.1 : 2xx -> Accepted, Timer L.
          this.#last = response;
          this.#move('accepted');
          this.#timerL = this.#ctx.clock.setTimeout(
            () => this.#terminate(),
            timerDuration('L', this.#ctx.timers, this.#ctx.reliable),
          );
        } else {
          // https://www.rfc-editor.org/rfc/rfc3261#section-17.2.1 : 300-699 -> Completed, Timers G and H.
          this.#last = response;
          if (this.#state !== 'proceeding') return; // transport error already terminated us
          this.#move('completed');
          if (!this.#ctx.reliable)
            this.#timerG = this.#ctx.clock.setTimeout(() => this.#fireG(), this.#intervalG);
          this.#timerH = this.#ctx.clock.setTimeout(
            () => this.#fireH(),
            timerDuration('H', this.#ctx.timers, this.#ctx.reliable),
          );
        }
        return;
      case 'accepted':
        // https://www.rfc-editor.org/rfc/rfc6026#section-7.1 : further 2xx from the TU are sent.
        if (status >= 200 && status < 300) this.#send(response);
        return;
      case 'completed':
      case 'confirmed':
      case 'terminated':
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

  #fireG(): void {
    this.#timerG = undefined;
    if (this.#state !== 'completed' || this.#last === undefined) return;
    // https://www.rfc-editor.org/rfc/rfc3261#section-17.2.1 : retransmit, interval min(2 * G, T2).
    this.#send(this.#last);
    if (this.#state !== 'completed') return;
    this.#intervalG = Math.min(2 * this.#intervalG, this.#ctx.timers.t2);
    this.#timerG = this.#ctx.clock.setTimeout(() => this.#fireG(), this.#intervalG);
  }

  #fireH(): void {
    this.#timerH = undefined;
    if (this.#state !== 'completed') return;
    // https://www.rfc-editor.org/rfc/rfc3261#section-17.2.1 : Timer H -> Terminated, inform TU (no ACK).
    this.#terminate(
      new TransactionError(TransactionErrorCode.Timeout, 'Timer H fired: no ACK for final response'),
    );
  }

  #clear(name: 'G' | 'H' | 'I' | 'L'): void {
    const clock = this.#ctx.clock;
    switch (name) {
      case 'G':
        if (this.#timerG !== undefined) clock.clearTimeout(this.#timerG);
        this.#timerG = undefined;
        return;
      case 'H':
        if (this.#timerH !== undefined) clock.clearTimeout(this.#timerH);
        this.#timerH = undefined;
        return;
      case 'I':
        if (this.#timerI !== undefined) clock.clearTimeout(this.#timerI);
        this.#timerI = undefined;
        return;
      case 'L':
        if (this.#timerL !== undefined) clock.clearTimeout(this.#timerL);
        this.#timerL = undefined;
        return;
      default: {
        const never: never = name;
        return never;
      }
    }
  }

  #move(to: InviteServerTransactionState): void {
    assertTransition('InviteServerTransaction', TRANSITIONS, this.#state, to);
    this.#state = to;
  }

  #terminate(error?: TransactionError): void {
    if (this.#state === 'terminated') return;
    this.#clear('G');
    this.#clear('H');
    this.#clear('I');
    this.#clear('L');
    this.#move('terminated');
    this.#last = undefined;
    if (error) this.#tu.onError(error);
    this.#tu.onTerminated();
  }
}
