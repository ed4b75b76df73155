import type { ClientTransaction, IncomingRequest, MessageExtras } from '../stack/stack-types.js';
import type { StackRequest } from '../stack/wire-message.js';
import type { TransportProtocol } from '../transport/index.js';

/**
 * Dialog states (RFC 3261 section 12).
 *
 * ```text
 *   1xx with to-tag          2xx
 *  ----------------> early ------> confirmed ---BYE / 64*T1 without ACK--> terminated
 *          2xx                        ^   |
 *  -----------------------------------+   +-- re-INVITE / UPDATE refresh the remote target
 *   early + 300-699 or CANCEL --------------------------------------------> terminated
 * ```
 */
export type DialogState = 'early' | 'confirmed' | 'terminated';

/** The dialog identifier (RFC 3261 12): Call-ID plus the local and remote tags. */
export interface DialogId {
  /** Call-ID. */
  readonly callId: string;
  /** Our tag (From tag for a UAC, To tag for a UAS). */
  readonly localTag: string;
  /** The peer's tag. */
  readonly remoteTag: string;
}

/** Why a dialog ended. */
export type DialogEndReason = 'bye-received' | 'bye-sent' | 'rejected' | 'ack-timeout' | 'closed';

/** Events of a {@link Dialog}. */
export interface DialogEvents extends Record<string, unknown[]> {
  /**
   * An in-dialog request other than ACK and CANCEL; answer it with `respond`. A BYE not answered
   * synchronously by the listener is answered 200 by the stack, which then ends the dialog (a BYE
   * the listener answers with a non-2xx, e.g. a 401 / 407 challenge, leaves it up); a listener that throws before answering gets the request answered 500. With no listener, BYE and
   * OPTIONS get 200 and anything else 501.
   */
  request: [request: IncomingRequest];
  /** The ACK for a 2xx we sent (RFC 3261 13.3.1.4; matched at the dialog layer per RFC 6026). */
  ack: [ack: StackRequest];
  /** The early dialog became confirmed. */
  confirmed: [];
  /** The dialog ended. */
  terminated: [reason: DialogEndReason];
}

/**
 * A SIP dialog (RFC 3261 section 12): the state shared by two user agents for the life of a
 * call, used to build in-dialog requests and to accept the peer's.
 */
export interface Dialog {
  /** Call-ID and tags. */
  readonly id: DialogId;
  /** `uac` if we sent the dialog-creating INVITE, `uas` if we answered it. */
  readonly role: 'uac' | 'uas';
  /** Current state. */
  readonly state: DialogState;
  /** Our URI with tag (the From of our requests). */
  readonly localUri: string;
  /** The peer's URI with tag (the To of our requests). */
  readonly remoteUri: string;
  /** The peer's Contact URI: Request-URI of our requests (refreshed by re-INVITE / UPDATE). */
  readonly remoteTarget: string;
  /** Route set, in the order Route headers are written (RFC 3261 12.1.1 / 12.1.2). */
  readonly routeSet: readonly string[];
  /** Last CSeq number we used (`undefined` until a UAS sends its first request). */
  readonly localSeq: number | undefined;
  /** Last CSeq number received from the peer. */
  readonly remoteSeq: number | undefined;
  /** Transport the dialog's requests go over unless the target URI says otherwise. */
  readonly transport: TransportProtocol;
  /**
   * Sends an in-dialog request (RFC 3261 12.2.1.1): BYE, REFER, NOTIFY, INFO, OPTIONS, UPDATE,
   * re-INVITE... The stack fills Request-URI, Route, From, To, Call-ID, CSeq, Via, Max-Forwards
   * and Contact (for INVITE / UPDATE / REFER / SUBSCRIBE / NOTIFY). A 2xx to a re-INVITE is ACKed by the stack.
   * Sending BYE terminates the dialog. On a terminated dialog the returned transaction resolves
   * with a local 481 (`error.code` `TERMINATED`). Throws a `StackError` (`INVALID_REQUEST`) for
   * ACK and CANCEL, which the stack sends itself.
   */
  request(method: string, extras?: MessageExtras): ClientTransaction;
  /** Subscribes to `request`, `ack`, `confirmed` or `terminated`. */
  on<K extends keyof DialogEvents>(event: K, listener: (...args: DialogEvents[K]) => void): () => void;
}
