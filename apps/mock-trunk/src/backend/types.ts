/**
 * The signalling-backend seam: everything the trunk's call logic needs from a SIP engine, and
 * nothing more. `createSipBackend` implements it on `@referkit/sip` (in-process); a drachtio
 * backend can implement it on drachtio-srf.
 *
 * @packageDocumentation
 */

/** A transport address the backend listens on. */
export interface BackendAddress {
  /** `udp` or `tcp`. */
  readonly transport: 'udp' | 'tcp';
  /** Literal IP address. */
  readonly host: string;
  /** Port. */
  readonly port: number;
}

/** Where to send an out-of-dialog request (literal IP, no DNS). */
export type BackendDestination = BackendAddress;

/** Headers to add: an object (array values repeat the header). */
export type BackendHeaders = Readonly<Record<string, string | readonly string[]>>;

/** Headers and body of a request or response the trunk sends. */
export interface BackendExtras {
  /** Extra headers (Content-Type, Event, Subscription-State...). */
  readonly headers?: BackendHeaders | undefined;
  /** Body text. */
  readonly body?: string | undefined;
}

/** A received SIP message, read-only. */
export interface BackendMessage {
  /** First value of a header (case-insensitive, compact forms understood). */
  header(name: string): string | undefined;
  /** Every value of a header, comma-separated lists split outside quotes and `<>`. */
  headerValues(name: string): string[];
  /** Every header line of that name, as written (lists not split). */
  headerLines(name: string): string[];
  /** Body as text (empty when none). */
  readonly body: string;
}

/** A final or provisional response. */
export interface BackendResponse extends BackendMessage {
  /** Status code. */
  readonly status: number;
  /** Reason phrase. */
  readonly reason: string;
  /** Set when the backend generated it locally: `timeout` (408) or `transport` (503). */
  readonly local?: 'timeout' | 'transport' | 'terminated' | undefined;
}

/** A received request with its server transaction. */
export interface BackendRequest extends BackendMessage {
  /** Method. */
  readonly method: string;
  /** Request-URI. */
  readonly uri: string;
  /** Transport it arrived on. */
  readonly transport: 'udp' | 'tcp';
  /** Source address of the packet. */
  readonly remote: { readonly host: string; readonly port: number };
  /** SIP Call-ID. */
  readonly callId: string;
  /** CSeq number. */
  readonly cseq: number;
  /**
   * Answers the request. For an INVITE, a 1xx/2xx returns the (early or confirmed) dialog.
   * Responses after the final one are ignored.
   */
  respond(status: number, reason?: string, extras?: BackendExtras): BackendDialog | undefined;
  /** The INVITE was cancelled (the backend already answered 487). */
  onCancel(listener: () => void): void;
}

/** A SIP dialog, seen from the trunk. */
export interface BackendDialog {
  /** SIP Call-ID. */
  readonly callId: string;
  /** Our tag. */
  readonly localTag: string;
  /** The peer's tag. */
  readonly remoteTag: string;
  /** The peer's Contact URI: where in-dialog requests (NOTIFY, BYE) go. */
  readonly remoteTarget: string;
  /** Sends an in-dialog request and resolves with its final response (local 408/503 on failure). */
  request(method: string, extras?: BackendExtras): Promise<BackendResponse>;
  /** In-dialog requests from the peer (BYE, REFER, NOTIFY...). A listener must answer. */
  onRequest(listener: (request: BackendRequest) => void): void;
  /** The ACK for our 2xx arrived. */
  onAck(listener: () => void): void;
  /** The dialog ended (BYE either way, rejection, ACK timeout, backend closed). */
  onTerminated(listener: (reason: string) => void): void;
}

/** An INVITE the trunk sent (customer or target leg). */
export interface BackendInvite {
  /** SIP Call-ID of the new leg. */
  readonly callId: string;
  /** 1xx responses (100 included). */
  onProvisional(listener: (response: BackendResponse) => void): void;
  /** The final response (a local 408 / 503 when none arrived). */
  readonly response: Promise<BackendResponse>;
  /** The confirmed dialog once a 2xx arrived. */
  readonly dialog: BackendDialog | undefined;
  /** CANCEL (once a provisional arrived); a 2xx racing it is ACKed and BYEd by the backend. */
  cancel(): void;
}

/** Parameters of {@link SignallingBackend.invite}. */
export interface BackendInviteParams {
  /** Request-URI. */
  readonly uri: string;
  /** From header value (the backend adds the tag). */
  readonly from: string;
  /** To header value (default: the Request-URI). */
  readonly to?: string | undefined;
  /** Where to send it. */
  readonly destination: BackendDestination;
  /** Extra headers. */
  readonly headers?: BackendHeaders | undefined;
  /** SDP offer. */
  readonly body?: string | undefined;
}

/** One SIP message on the wire, for traces, ladders and pcap. */
export interface BackendWireMessage {
  /** `in` or `out`. */
  readonly direction: 'in' | 'out';
  /** Transport. */
  readonly transport: 'udp' | 'tcp';
  /** Our address. */
  readonly local: { readonly host: string; readonly port: number };
  /** The peer's address. */
  readonly remote: { readonly host: string; readonly port: number };
  /** Exact bytes. */
  readonly data: Buffer;
  /** When (epoch ms). */
  readonly at: number;
}

/**
 * The SIP engine under the mock trunk: receives out-of-dialog requests, places INVITEs, carries
 * dialogs and reports every message on the wire.
 */
export interface SignallingBackend {
  /** Bound addresses, in listen order. */
  readonly addresses: readonly BackendAddress[];
  /** New out-of-dialog requests (the listener must answer every one). */
  onRequest(listener: (request: BackendRequest) => void): void;
  /** Every SIP message in and out. */
  onMessage(listener: (message: BackendWireMessage) => void): void;
  /** Sends an INVITE. */
  invite(params: BackendInviteParams): BackendInvite;
  /** Number of live dialogs (leak checks). */
  activeDialogs(): number;
  /** Ends every transaction and dialog, closes every socket. */
  close(): Promise<void>;
}
