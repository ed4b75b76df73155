import type { AuthCredentials } from '../auth/index.js';
import type { ClientTransaction, IncomingRequest, MessageExtras } from '../stack/stack-types.js';
import { TypedEmitter } from '../stack/typed-emitter.js';
import type { StackRequest } from '../stack/wire-message.js';
import type { Clock, TimerConfig, TimerHandle } from '../transaction/index.js';
import type { HostPort, SipLogger, Transport, TransportProtocol } from '../transport/index.js';
import type { Dialog, DialogEndReason, DialogEvents, DialogId, DialogState } from './dialog.js';

/** What a dialog needs from the stack that owns it. */
export interface DialogHost {
  readonly clock: Clock;
  readonly timers: TimerConfig;
  readonly logger: SipLogger;
  /** Builds and sends an in-dialog request (RFC 3261 12.2.1.1). */
  requestInDialog(
    dialog: DialogImpl,
    method: string,
    extras: MessageExtras | undefined,
    evenIfTerminated?: boolean,
  ): ClientTransaction;
  /** Removes a terminated dialog from the stack's table. */
  forget(dialog: DialogImpl): void;
}

/** The ACK we sent for a 2xx, kept to answer retransmissions of that 2xx (RFC 3261 13.2.2.4). */
interface SentAck {
  readonly seq: number;
  readonly data: Buffer;
  readonly transport: Transport;
  readonly remote: HostPort;
}

/** Key of the stack's dialog table. */
export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\u0000${localTag}\u0000${remoteTag}`;
}

/**
 * The stack's dialog implementation. Public state is read through the {@link Dialog} interface;
 * the stack mutates it through the methods below.
 */
export class DialogImpl implements Dialog {
  readonly id: DialogId;
  readonly role: 'uac' | 'uas';
  state: DialogState;
  readonly localUri: string;
  readonly remoteUri: string;
  remoteTarget: string;
  routeSet: string[];
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  readonly transport: TransportProtocol;
  /**
   * The peer address the dialog was established with (source of the INVITE for a UAS, its
   * destination for a UAC): the next hop when the remote target is not a literal IP address, and
   * over TCP the connection that in-dialog requests reuse while it is open.
   */
  readonly flow: HostPort;
  /** Last ACK sent (UAC), replayed when its 2xx is retransmitted. */
  lastAck: SentAck | undefined;
  /** Credentials of the request that created the dialog, for challenges to in-dialog requests. */
  credentials: readonly AuthCredentials[] = [];
  readonly #host: DialogHost;
  readonly #events: TypedEmitter<DialogEvents>;
  #pending2xx: { seq: number; retransmit: TimerHandle | undefined; giveUp: TimerHandle } | undefined;

  constructor(
    host: DialogHost,
    init: {
      id: DialogId;
      role: 'uac' | 'uas';
      state: DialogState;
      localUri: string;
      remoteUri: string;
      remoteTarget: string;
      routeSet: string[];
      localSeq: number | undefined;
      remoteSeq: number | undefined;
      transport: TransportProtocol;
      flow: HostPort;
    },
  ) {
    this.#host = host;
    this.#events = new TypedEmitter(host.logger);
    this.id = init.id;
    this.role = init.role;
    this.state = init.state;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.transport = init.transport;
    this.flow = init.flow;
  }

  /** Key in the stack's dialog table. */
  get key(): string {
    return dialogKey(this.id.callId, this.id.localTag, this.id.remoteTag);
  }

  request(method: string, extras?: MessageExtras): ClientTransaction {
    return this.#host.requestInDialog(this, method.toUpperCase(), extras);
  }

  on<K extends keyof DialogEvents>(event: K, listener: (...args: DialogEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Number of `request` listeners (the stack answers by itself when there are none). */
  hasRequestListener(): boolean {
    return this.#events.listenerCount('request') > 0;
  }

  /** Dispatches an in-dialog request to the application; true if a listener threw. */
  dispatchRequest(request: IncomingRequest): boolean {
    return this.#events.emitChecked('request', request).threw > 0;
  }

  /** Early -> confirmed (RFC 3261 12.1). */
  confirm(): void {
    if (this.state !== 'early') return;
    this.state = 'confirmed';
    this.#events.emit('confirmed');
  }

  /**
   * Starts retransmitting a 2xx to INVITE: interval T1 doubling up to T2, until the ACK or
   * 64*T1, after which the session is ended with BYE (RFC 3261 13.3.1.4).
   */
  start2xxRetransmission(seq: number, resend: () => void): void {
    this.#stop2xx();
    const { clock, timers } = this.#host;
    let interval = timers.t1;
    const tick = (): void => {
      if (this.#pending2xx === undefined) return;
      resend();
      interval = Math.min(2 * interval, timers.t2);
      this.#pending2xx.retransmit = clock.setTimeout(tick, interval);
    };
    const giveUp = clock.setTimeout(() => {
      if (this.#pending2xx === undefined) return;
      this.#stop2xx();
      this.#host.logger.warn({ dialog: this.id }, 'no ACK for 2xx after 64*T1: ending the session with BYE');
      // https://www.rfc-editor.org/rfc/rfc3261#section-13.3.1.4 : terminate the session with a BYE.
      if (this.state !== 'terminated') {
        this.terminate('ack-timeout');
        this.#host.requestInDialog(this, 'BYE', undefined, true);
      }
    }, 64 * timers.t1);
    this.#pending2xx = { seq, retransmit: clock.setTimeout(tick, interval), giveUp };
  }

  /** An ACK matched this dialog (RFC 6026: 2xx ACKs are matched at the dialog, not the transaction). */
  receiveAck(ack: StackRequest, seq: number): void {
    if (this.#pending2xx !== undefined && this.#pending2xx.seq === seq) {
      this.#stop2xx();
      this.#events.emit('ack', ack);
    }
  }

  /** True while a 2xx we sent awaits its ACK. */
  get awaitingAck(): boolean {
    return this.#pending2xx !== undefined;
  }

  #stop2xx(): void {
    const p = this.#pending2xx;
    if (p === undefined) return;
    if (p.retransmit !== undefined) this.#host.clock.clearTimeout(p.retransmit);
    this.#host.clock.clearTimeout(p.giveUp);
    this.#pending2xx = undefined;
  }

  /** Ends the dialog, stops its timers and removes it from the stack. */
  terminate(reason: DialogEndReason): void {
    if (this.state === 'terminated') return;
    this.#stop2xx();
    this.state = 'terminated';
    this.#host.forget(this);
    this.#events.emit('terminated', reason);
    this.#events.removeAll();
  }
}
