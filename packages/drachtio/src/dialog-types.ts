/**
 * The part of drachtio-srf's `Dialog` this package uses, declared by hand as structural types.
 *
 * drachtio-srf (5.0.x) ships a hand-written `.d.ts` that drifted from its JavaScript: it types
 * `cbRequest` as `(req)` although the code calls `(err, req)`, gives `Dialog.local` no `contact`,
 * and types `destroy()` as returning `void` although it returns a Promise without a callback. The
 * adapter therefore never imports drachtio-srf at runtime or for types: it declares exactly the
 * members it calls, as they behave in drachtio-srf's `lib/dialog.js`, `lib/request.js` and
 * `lib/response.js`. A real `Srf.Dialog` satisfies {@link ReferDialog} structurally (a type test
 * checks it against drachtio-srf's own declaration), and so does any test double.
 *
 * @packageDocumentation
 */

/**
 * A SIP message as drachtio-srf exposes it: headers by name (case-insensitive in drachtio-srf,
 * `undefined` when absent) and the body as text.
 */
export interface DrachtioMessageLike {
  /** Value of a header, or `undefined` when absent. drachtio-srf looks names up case-insensitively. */
  get(name: string): string | undefined;
  /** Message body (empty string when none). */
  readonly body?: string | undefined;
}

/** A response to a request the adapter sent (drachtio-srf `SrfResponse`). */
export interface DrachtioResponseLike extends DrachtioMessageLike {
  /** Status code, e.g. 202. */
  readonly status: number;
  /** Reason phrase, e.g. `Accepted`. */
  readonly reason?: string | undefined;
}

/** An incoming in-dialog request (drachtio-srf `SrfRequest`), here a NOTIFY. */
export type DrachtioRequestLike = DrachtioMessageLike;

/**
 * The response side of an incoming request (drachtio-srf `Response`). The adapter answers each
 * NOTIFY exactly once with `send(status, reason, {})`.
 */
export interface DrachtioResponseSenderLike {
  /** Sends a response. drachtio-srf ignores a second final response (and reports it to `callback`). */
  send(status: number, reason: string, opts: object): void;
  /** `true` once a final response has been sent. */
  readonly finalResponseSent?: boolean | undefined;
}

/** Options of an in-dialog request as the adapter passes them to `Dialog.request`. */
export interface DrachtioRequestOptions {
  /** SIP method, here always `REFER`. */
  method: string;
  /** Headers to put on the request, set explicitly (drachtio-server adds no Contact to a REFER). */
  headers: Record<string, string>;
}

/**
 * What `Dialog.request(opts, callback)` calls back with. drachtio-srf calls it once per response
 * (provisional ones included, which is why the adapter does not use the Promise form: it settles
 * on the first response, possibly a 100 Trying), or once with an error when the request could
 * not be sent.
 */
export type DrachtioRequestCallback = (err: unknown, res: DrachtioResponseLike) => void;

/**
 * The structural `Dialog` the adapter needs: an established INVITE dialog from drachtio-srf
 * (`srf.createUAC`, `srf.createUAS`, `srf.createB2BUA`). Pass a real `Srf.Dialog`.
 *
 * Members used, and how drachtio-srf 5.0.x behaves:
 * - `request(opts, callback)`: sends REFER in the dialog. (`dialog.refer()` exists but throws
 *   `this.request is not a function` in 5.0.x, so the adapter never calls it.)
 * - `on('notify', (req, res))`: with no listener drachtio-srf answers every NOTIFY 200 itself;
 *   with one, the listener must answer.
 * - `on('destroy', ...)`: the far end sent BYE. After emitting it drachtio-srf removes every
 *   listener.
 * - `addListener('removeListener', ...)`: how a local `destroy()` is noticed: drachtio-srf removes every
 *   listener once its BYE is answered, without emitting `destroy`.
 * - `destroy(opts, callback)`: sends BYE (only when a transfer succeeded and `hangUpOnSuccess` is
 *   set, or through {@link hangUp}).
 * - `connected`: `false` once the dialog has ended.
 * - `type` and `req` (the INVITE): the far end's domain and our own address.
 * - `local.contact`: the dialog's local Contact, copied into the REFER (drachtio-server adds no
 *   Contact to a REFER, see drachtio-server issue 44, yet the implicit subscription needs one).
 */
export interface ReferDialog {
  /** `uac` for a dialog this side created with INVITE (`srf.createUAC`), `uas` for one it answered. */
  readonly type?: 'uac' | 'uas' | undefined;
  /**
   * The INVITE that created the dialog: its `To` / `From` give the default domain for bare numbers
   * and trunk validation, and the default `Referred-By`.
   */
  readonly req?: DrachtioMessageLike | undefined;
  /** `false` once the dialog has ended (BYE sent or received). */
  readonly connected?: boolean | undefined;
  /**
   * The local side: its Contact header value (drachtio-srf sets it although its `.d.ts` omits it)
   * and URI (not used; declared so drachtio-srf's declared `{ uri, sdp }` is recognised).
   */
  readonly local?: { readonly contact?: string | undefined; readonly uri?: string | undefined } | undefined;
  /** Sends a request in the dialog; `callback` runs once per response. */
  request(opts: DrachtioRequestOptions, callback: DrachtioRequestCallback): unknown;
  /** Sends BYE; `callback` runs once it is answered (or failed). */
  destroy(opts: { headers: Record<string, string> }, callback: (err: unknown) => void): unknown;
  /** Adds a listener for NOTIFYs in the dialog. */
  on(event: 'notify', listener: (req: DrachtioRequestLike, res: DrachtioResponseSenderLike) => void): unknown;
  /** Adds a listener for the far end's BYE. */
  on(event: 'destroy', listener: () => void): unknown;
  /**
   * Adds a listener told of every listener removed (drachtio-srf's `removeAllListeners()`).
   * `addListener`, not `on`: drachtio-srf's declaration of `Dialog.on` lists only its own events.
   */
  addListener(
    event: 'removeListener',
    listener: (event: string | symbol, listener: unknown) => void,
  ): unknown;
  /** Removes a NOTIFY listener added with `on`. */
  removeListener(
    event: 'notify',
    listener: (req: DrachtioRequestLike, res: DrachtioResponseSenderLike) => void,
  ): unknown;
  /** Removes a BYE listener added with `on`. */
  removeListener(event: 'destroy', listener: () => void): unknown;
  /** Removes a `removeListener` listener added with `on`. */
  removeListener(
    event: 'removeListener',
    listener: (event: string | symbol, listener: unknown) => void,
  ): unknown;
  /** Number of listeners for an event (to leave non-`refer` NOTIFYs to the application's own listener). */
  listenerCount(event: string): number;
}
