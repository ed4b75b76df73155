import type { AuthCredentials } from '../auth/index.js';
import type { Dialog } from '../dialog/index.js';
import type { Clock, TimerConfig, TransactionError } from '../transaction/index.js';
import type { HostPort, SipLogger, TransportAddress, TransportProtocol } from '../transport/index.js';
import type { StackRequest, StackResponse } from './wire-message.js';

/** One address to listen on. */
export interface ListenOption {
  /** `udp` or `tcp`. */
  readonly transport: TransportProtocol;
  /** Literal IPv4/IPv6 address; default `127.0.0.1`. */
  readonly host?: string;
  /** Port; 0 or omitted picks an ephemeral port (read it back from `stack.addresses`). */
  readonly port?: number;
}

/** Options of {@link createSipStack}. */
export interface SipStackOptions {
  /** Addresses to bind (at least one). */
  readonly listen: readonly ListenOption[];
  /** T1 / T2 / T4 / Timer D overrides (ms). */
  readonly timers?: Partial<TimerConfig>;
  /** Clock for every protocol timer; default the wall clock. */
  readonly clock?: Clock;
  /** Logger; default silent. */
  readonly logger?: SipLogger;
  /** Largest message accepted or sent, in bytes; default 65 535. Oversized UDP input is dropped and logged; oversized TCP input closes the connection; a larger outgoing message throws `MESSAGE_TOO_LARGE`. */
  readonly maxMessageSize?: number;
  /** Value of the User-Agent (requests) and Server (responses) headers; omitted when unset. */
  readonly userAgent?: string;
  /**
   * Option tags the application supports (RFC 3261 section 8.2.2.3): a request (not ACK or
   * CANCEL) whose `Require` names any other is answered 420 Bad Extension with `Unsupported`
   * listing them. Default none.
   */
  readonly extensions?: readonly string[];
  /**
   * Body types the application understands and answers with, e.g. `['application/sdp']`
   * (RFC 3261 section 8.2.3). When set, a request (not ACK or CANCEL) whose body is of another
   * type is answered 415 Unsupported Media Type with `Accept` listing these (RFC 4475 3.3.6), and
   * an INVITE whose `Accept` admits none of them is answered 406 Not Acceptable (RFC 4475 3.3.15).
   * Default unset: bodies are the application's business.
   */
  readonly bodyTypes?: readonly string[];
}

/** Headers to add: an object (array values repeat the header) or ordered pairs. */
export type HeaderInput =
  Readonly<Record<string, string | readonly string[]>> | readonly (readonly [string, string])[];

/** Extra content of a response or request. */
export interface MessageExtras {
  /** Headers to add (or, for Contact / Content-Type / Max-Forwards / User-Agent, override). */
  readonly headers?: HeaderInput;
  /** Body; a Content-Type header should accompany it. */
  readonly body?: string | Buffer;
}

/** An out-of-dialog request to send with {@link SipStack.sendRequest}. */
export interface OutgoingRequest extends MessageExtras {
  /** Method, e.g. `INVITE`, `OPTIONS`. */
  readonly method: string;
  /** Request-URI. */
  readonly uri: string;
}

/** Where to send a request: a literal IP address (no DNS). */
export interface Destination extends HostPort {
  /** Transport; the stack must listen on this transport and address family. */
  readonly transport: TransportProtocol;
}

/** Options of {@link SipStack.sendRequest}. */
export interface SendRequestOptions {
  /** Where to send the request. */
  readonly destination: Destination;
  /**
   * Credentials to answer a 401 / 407 Digest challenge with (RFC 3261 section 22.2, 22.3): the
   * stack resends the request once with `Authorization` / `Proxy-Authorization` (same Call-ID and
   * From tag, CSeq + 1, new branch), and again if the server says the nonce was stale. Dialogs
   * created by the request keep them for their own requests (BYE, re-INVITE, REFER...).
   */
  readonly credentials?: AuthCredentials | readonly AuthCredentials[];
}

/** Direction of a message on the wire. */
export type MessageDirection = 'in' | 'out';

/** Every message in and out, as bytes: the `message` event (ladders, pcap). */
export interface WireMessageEvent {
  /** `in` (received) or `out` (sent). */
  readonly direction: MessageDirection;
  /** Exact bytes on the wire. */
  readonly data: Buffer;
  /** Transport protocol. */
  readonly transport: TransportProtocol;
  /** Our address. */
  readonly local: TransportAddress;
  /** The peer's address. */
  readonly remote: HostPort;
  /** `clock.now()` when it was sent or received. */
  readonly at: number;
}

/** Events of an {@link IncomingRequest}. */
export interface IncomingRequestEvents extends Record<string, unknown[]> {
  /** A CANCEL matched this INVITE (RFC 3261 9.2); the stack already answered 200 to the CANCEL and 487 to the INVITE. */
  cancel: [];
}

/**
 * A request received by the stack, with its server transaction: answer it with
 * {@link IncomingRequest.respond}.
 */
export interface IncomingRequest {
  /** The parsed request (Via already carries `received` / `rport`, RFC 3581). */
  readonly message: StackRequest;
  /** Method. */
  readonly method: string;
  /** Request-URI. */
  readonly uri: string;
  /** The first value of a header (case-insensitive, compact forms understood). */
  header(name: string): string | undefined;
  /** Body bytes. */
  readonly body: Buffer;
  /** Transport it arrived on. */
  readonly transport: TransportProtocol;
  /** Source address of the packet. */
  readonly remote: HostPort;
  /** Our address it arrived on. */
  readonly local: TransportAddress;
  /** The dialog, for an in-dialog request (or once a 1xx/2xx to an INVITE created one). */
  readonly dialog: Dialog | undefined;
  /** True once a final response has been sent (or the request was cancelled). */
  readonly finalSent: boolean;
  /** True when a CANCEL ended this INVITE. */
  readonly cancelled: boolean;
  /**
   * Sends a response through the server transaction (RFC 3261 8.2.6). A to-tag is added for
   * anything but 100; a 1xx (101-199) or 2xx to an INVITE creates an early or confirmed UAS
   * dialog, returned here (the stack retransmits the 2xx until the ACK, RFC 3261 13.3.1.4). A
   * Contact is added to dialog-creating responses unless given. Responses after the final one
   * are ignored (returns the dialog, if any).
   */
  respond(status: number, reason?: string, extras?: MessageExtras): Dialog | undefined;
  /** Subscribes to `cancel`. */
  on<K extends keyof IncomingRequestEvents>(
    event: K,
    listener: (...args: IncomingRequestEvents[K]) => void,
  ): () => void;
}

/** How a client transaction ended when it did not receive a final response. */
export interface ClientTransactionFailure {
  /** `TRANSACTION_TIMEOUT` (408) or `TRANSPORT_ERROR` (503) or `TERMINATED` (stack closed). */
  readonly error: TransactionError;
}

/** Events of a {@link ClientTransaction}. */
export interface ClientTransactionEvents extends Record<string, unknown[]> {
  /** Every 1xx passed up by the transaction (100 included). */
  provisional: [response: StackResponse];
  /** The first final response (synthetic 408/503 on timeout/transport error: see `error`). */
  final: [response: StackResponse];
  /** A dialog was created (early from a 1xx with a to-tag, or confirmed from a 2xx to INVITE). */
  dialog: [dialog: Dialog];
  /**
   * A 401 / 407 is being answered with credentials: `response` is the challenge, `retry` the
   * authenticated request just sent (also readable as `request` from now on).
   */
  challenge: [response: StackResponse, retry: StackRequest];
}

/** A request in flight: its client transaction, seen from the application. */
export interface ClientTransaction {
  /**
   * The request as sent (with Via, CSeq, tags filled in); after a 401 / 407 answered with
   * credentials, the authenticated retry.
   */
  readonly request: StackRequest;
  /**
   * Resolves with the first final response. Never rejects: a Timer B/F timeout resolves with a
   * locally generated 408 and a transport error with a 503 (RFC 3261 8.1.3.1), and `error` is set.
   */
  readonly response: Promise<StackResponse>;
  /** Set when the final response was generated locally. */
  readonly error: TransactionError | undefined;
  /** The dialog created by this INVITE (early, then confirmed), if any. */
  readonly dialog: Dialog | undefined;
  /**
   * Cancels an INVITE (RFC 3261 9.1): sends CANCEL once a provisional response has arrived (or
   * defers it until one does). If a 2xx wins the race the stack ACKs it and sends BYE.
   * A no-op for other methods and after a final response.
   */
  cancel(): void;
  /** Subscribes to `provisional`, `final`, `dialog` or `challenge`. */
  on<K extends keyof ClientTransactionEvents>(
    event: K,
    listener: (...args: ClientTransactionEvents[K]) => void,
  ): () => void;
}

/** Counters kept by the stack (monotonic except the `active*` gauges). */
export interface SipStackStats {
  /** Input that could not be parsed as SIP (dropped; answered 400 when a Via could be read). */
  garbage: number;
  /** Input dropped by the transports (oversized, framing errors). */
  dropped: number;
  /** Requests received. */
  requestsIn: number;
  /** Responses received. */
  responsesIn: number;
  /** Live client + server transactions. */
  activeTransactions: number;
  /** Live dialogs. */
  activeDialogs: number;
}

/** Events of a {@link SipStack}. */
export interface SipStackEvents extends Record<string, unknown[]> {
  /** A new out-of-dialog request (CANCEL, ACK and in-dialog requests are handled by the stack and dialogs). */
  request: [request: IncomingRequest];
  /** Every message in and out, as bytes. */
  message: [event: WireMessageEvent];
}

/** The SIP engine: transports, transactions and dialogs. */
export interface SipStack {
  /** The bound addresses, in `listen` order, with real ports. */
  readonly addresses: readonly TransportAddress[];
  /** Counters. */
  readonly stats: Readonly<SipStackStats>;
  /** Subscribes to `request` or `message`. */
  on<K extends keyof SipStackEvents>(event: K, listener: (...args: SipStackEvents[K]) => void): () => void;
  /**
   * Sends an out-of-dialog request. The stack fills in what is missing: Via (branch
   * `z9hG4bK...`, `rport`), From (with a tag), To, Call-ID, CSeq, Max-Forwards: 70, Contact
   * (for INVITE, SUBSCRIBE, REFER), User-Agent, Content-Length. Throws a `StackError`
   * (`INVALID_REQUEST`) for ACK and CANCEL, which the stack sends itself. With
   * `options.credentials`, a 401 / 407 final response is answered by resending the request with
   * Digest credentials; `response` then resolves with the final response to the retry.
   */
  sendRequest(request: OutgoingRequest, options: SendRequestOptions): ClientTransaction;
  /** Stops every transaction, dialog and timer and closes every socket. Idempotent. */
  close(): Promise<void>;
}
