/**
 * The part of drachtio-srf (5.0.x) the drachtio backend uses, declared by hand as structural
 * types, as `@referkit/drachtio` does: drachtio-srf's own `.d.ts` drifted from its JavaScript
 * (`cbRequest` typed `(req)` but called `(err, req)`, no `Dialog.local.contact`, no `Srf.Dialog`
 * constructor, `destroy()` typed `void`). Each member is declared as it behaves in drachtio-srf's
 * `lib/srf.js`, `lib/dialog.js`, `lib/request.js`, `lib/response.js` and `lib/drachtio-agent.js`.
 * drachtio-srf is never imported for types; it is loaded at run time with `import()` only when
 * the drachtio backend is created.
 *
 * @packageDocumentation
 */

/** A parsed SIP message (`lib/sip-parser/message.js` `SipMessage`, delegated by Request/Response). */
export interface SrfMessage {
  /** A header's value (repeated headers joined with `,`), case-insensitive; `undefined` when absent. */
  get(name: string): string | undefined;
  /** Body text (may be `undefined` when none). */
  readonly body?: string | undefined;
  /** The message as text, exactly as drachtio-server passed it (set when parsed from a string). */
  readonly raw?: string | undefined;
}

/**
 * A request: one received from the network (`lib/drachtio-agent.js` `_onMsg`, meta from the
 * wire protocol) or one the application sent (the echo passed to `cbRequest` / `res.req`).
 */
export interface SrfRequest extends SrfMessage {
  /** Method. */
  readonly method: string;
  /** Request-URI. */
  readonly uri: string;
  /** `network` for a received request, `application` for one we sent (or an unsolicited BYE). */
  readonly source?: string | undefined;
  /** Source address (received) or destination (sent). */
  readonly source_address?: string | undefined;
  /** Source port (`lib/request.js` `set meta`: parsed, 5060 when missing). */
  readonly source_port?: number | undefined;
  /** `udp`, `tcp`, `tls`, `ws`, `wss`. */
  readonly protocol?: string | undefined;
  /** `address:port` drachtio-server received it on, when the server says. */
  readonly receivedOn?: string | undefined;
  /** drachtio-server's dialog id, for in-dialog requests. */
  readonly stackDialogId?: string | undefined;
  /** `cancel`: a CANCEL for this INVITE arrived (drachtio-server answered the CANCEL 200, not the INVITE). */
  on(event: 'cancel', listener: () => void): unknown;
  /** Sends CANCEL for an INVITE we sent (`lib/request.js` `cancel`). */
  cancel(opts?: { headers?: Record<string, string> }, callback?: (err: unknown) => void): void;
}

/** A response received to a request we sent (`lib/response.js`, filled in `_onMsg`). */
export interface SrfIncomingResponse extends SrfMessage {
  /** Status code. */
  readonly status: number;
  /** Reason phrase. */
  readonly reason?: string | undefined;
  /** The request it answers (as sent, with `raw`). */
  readonly req?: SrfRequest | undefined;
  /** Where it came from. */
  readonly source_address?: string | undefined;
  /** Source port. */
  readonly source_port?: number | undefined;
  /** Transport. */
  readonly protocol?: string | undefined;
}

/** The response side of a received request (`lib/response.js` `Response`). */
export interface SrfResponse {
  /**
   * Sends a response. `callback(err, sent)` runs once drachtio-server echoes the response it
   * sent (`lib/drachtio-agent.js` `sendResponse`); a second final response is ignored (the
   * callback gets an error).
   */
  send(
    status: number,
    reason: string,
    opts: { headers?: Record<string, string>; body?: string },
    callback?: (err: unknown, sent?: SrfMessage) => void,
  ): void;
  /** `true` once a final response was sent. */
  readonly finalResponseSent?: boolean | undefined;
}

/** A request handler registered with `srf.use(method, fn)`. */
export type SrfHandler = (req: SrfRequest, res: SrfResponse, next: () => void) => void;

/** An INVITE dialog (`lib/dialog.js` `Dialog`). */
export interface SrfDialog {
  /** drachtio-server's dialog id. */
  readonly id: string;
  /** `uac` or `uas`. */
  readonly type?: string | undefined;
  /** Call-ID and tags. */
  readonly sip: { readonly callId: string; readonly localTag: string; readonly remoteTag: string };
  /** Our side: the Contact we sent. */
  readonly local: { readonly uri?: string | undefined; readonly contact?: string | undefined };
  /** The peer's side: its Contact URI. */
  readonly remote: { readonly uri?: string | undefined };
  /** `false` once ended. */
  connected: boolean;
  /**
   * Sends an in-dialog request. The callback runs once per response, provisional ones included,
   * or once with an error when it could not be sent. For INVITE, 2xx are ACKed by drachtio-srf.
   */
  request(
    opts: { method: string; headers: Record<string, string>; body?: string | undefined },
    callback: (err: unknown, res?: SrfIncomingResponse) => void,
  ): unknown;
  /** The peer sent BYE (or drachtio-server ended the dialog on an ACK timeout: `req.source` is `application`). */
  on(event: 'destroy', listener: (req: SrfRequest) => void): unknown;
  /** The ACK for our 2xx (emitted on `setImmediate`). */
  on(event: 'ack', listener: (req: SrfRequest) => void): unknown;
  /** Other in-dialog requests: the listener must answer; with none drachtio-srf answers 200 itself. */
  on(
    event: 'modify' | 'refer' | 'notify' | 'info' | 'options' | 'update' | 'message',
    listener: (req: SrfRequest, res: SrfResponse) => void,
  ): unknown;
  /** Removes every listener (drachtio-srf does it itself after a BYE either way). */
  removeAllListeners(): unknown;
}

/** Options of `srf.createUAC(uri, opts, progress)`. */
export interface SrfUacOptions {
  /** Headers of the INVITE (From, To, Call-ID...). */
  headers: Record<string, string>;
  /** SDP offer. */
  localSdp?: string | undefined;
  /** Next hop, when not the Request-URI's host. */
  proxy?: string | undefined;
}

/** An Srf instance (`lib/srf.js`). */
export interface SrfInstance {
  /** Connects to drachtio-server (no promise: 'connect' / 'error' events tell). */
  connect(opts: {
    host: string;
    port: number;
    secret: string;
    reconnect?: { maxAttempts?: number } | undefined;
  }): unknown;
  /** Connected and authenticated (`hostport`: `udp/1.2.3.4:5060,tcp/...`), or authentication failed. */
  on(
    event: 'connect',
    listener: (err: unknown, hostport?: string | readonly string[], serverVersion?: string) => void,
  ): unknown;
  /** The connection failed or was lost. */
  on(event: 'error' | 'close', listener: (err?: unknown) => void): unknown;
  /** Removes a listener added with `on`. */
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  /** Registers a handler for requests of a method (and asks drachtio-server to route them here). */
  use(method: string, handler: SrfHandler): unknown;
  /**
   * Places an INVITE; resolves with the dialog on 2xx, rejects with a `SipError` (`status`,
   * `reason`) on a failure response or with an Error when the request could not be sent.
   */
  createUAC(
    uri: string,
    opts: SrfUacOptions,
    progress: {
      cbRequest: (err: unknown, req?: SrfRequest) => void;
      cbProvisional: (res: SrfIncomingResponse) => void;
    },
  ): Promise<SrfDialog>;
  /** Adds a dialog to the ones in-dialog requests are routed to (`createUAS` does it after its 200). */
  addDialog(dialog: SrfDialog): void;
  /** Removes a dialog. */
  removeDialog(dialog: SrfDialog): void;
  /** Closes the connection (no reconnection after it). */
  disconnect(): void;
}

/** The drachtio-srf module: the Srf class and its `Dialog` class (used as `createUAS` uses it). */
export interface SrfModule {
  /** `new Srf()`. */
  new (): SrfInstance;
  /** `new Srf.Dialog(srf, 'uas', { req, res, sent })`: what `createUAS` builds after its 200. */
  readonly Dialog: new (
    srf: SrfInstance,
    type: 'uas',
    opts: { req: SrfRequest; res: SrfResponse; sent: SrfMessage },
  ) => SrfDialog;
}
