/**
 * A fake of the drachtio-srf 5.0.x surface the drachtio backend calls, with the behaviour taken
 * from drachtio-srf's source (node_modules/drachtio-srf/lib):
 * - `Srf` (lib/srf.js): `connect()` returns no promise; 'connect' `(err, hostport)` and 'error'
 *   are re-emitted on `setImmediate` (constructor). `use(method, fn)` (lib/proto.js `app.use`)
 *   registers a handler and a route. `createUAC(uri, opts, {cbRequest, cbProvisional})`
 *   resolves with a Dialog on 2xx and rejects with a SipError (`status`, `reason`, `res`)
 *   otherwise; `cbRequest` is called `(err, req)`. `addDialog` / `removeDialog` keep `_dialogs`.
 *   `disconnect()` (lib/drachtio-agent.js) throws when there is no socket.
 * - `Dialog` (lib/dialog.js): `request(opts, cb)` calls `cb(null, res)` for every response,
 *   provisional ones included; 'destroy' on the peer's BYE; listeners answer 'notify' etc.
 * - `Request` / `Response` (lib/request.js, lib/response.js): 'cancel' on the INVITE;
 *   `res.send(status, reason, opts, cb)` calls `cb(null, sentMsg)` once the server echoes it
 *   (lib/drachtio-agent.js `sendResponse`); a second final response is ignored.
 */
import { EventEmitter } from 'node:events';

/** A header set as drachtio-srf's SipMessage keeps it (lower-case names, repeated joined by `,`). */
function lookup(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = Object.keys(headers).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : headers[key];
}

function rawOf(start: string, headers: Record<string, string>, body: string): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `${start}\r\n${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** A SIP message of the fake. */
export class FakeMessage {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly raw: string;
  constructor(start: string, headers: Record<string, string>, body = '') {
    this.headers = headers;
    this.body = body;
    this.raw = rawOf(start, headers, body);
  }
  get(name: string): string | undefined {
    return lookup(this.headers, name);
  }
}

/** A received (or sent) request. */
export class FakeRequest extends EventEmitter {
  readonly method: string;
  readonly uri: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly raw: string;
  source = 'network';
  source_address = '127.0.0.1';
  source_port = 5070;
  protocol = 'udp';
  readonly cancels: unknown[] = [];
  constructor(method: string, uri: string, headers: Record<string, string>, body = '') {
    super();
    this.method = method;
    this.uri = uri;
    this.headers = headers;
    this.body = body;
    this.raw = rawOf(`${method} ${uri} SIP/2.0`, headers, body);
  }
  get(name: string): string | undefined {
    return lookup(this.headers, name);
  }
  cancel(opts?: unknown): void {
    this.cancels.push(opts ?? {});
  }
}

/** A response received to a request we sent. */
export class FakeIncomingResponse extends FakeMessage {
  readonly status: number;
  readonly reason: string;
  req: FakeRequest | undefined;
  source_address = '127.0.0.1';
  source_port = 5080;
  protocol = 'udp';
  constructor(status: number, reason: string, headers: Record<string, string> = {}, body = '') {
    super(`SIP/2.0 ${status} ${reason}`, headers, body);
    this.status = status;
    this.reason = reason;
  }
}

/** One `res.send` call. */
export interface SentResponse {
  readonly status: number;
  readonly reason: string;
  readonly opts: { headers?: Record<string, string>; body?: string };
}

/** The response side of a received request. */
export class FakeResponse {
  readonly sent: SentResponse[] = [];
  finalResponseSent = false;
  readonly #req: FakeRequest;
  constructor(req: FakeRequest) {
    this.#req = req;
  }
  send(
    status: number,
    reason: string,
    opts: { headers?: Record<string, string>; body?: string },
    callback?: (err: unknown, sent?: FakeMessage) => void,
  ): void {
    if (this.finalResponseSent) {
      callback?.(new Error('Response#send: final response already sent'));
      return;
    }
    this.sent.push({ status, reason, opts });
    if (status >= 200) this.finalResponseSent = true;
    const to = this.#req.get('To') ?? '';
    const headers: Record<string, string> = {
      Via: this.#req.get('Via') ?? 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx',
      From: this.#req.get('From') ?? '',
      To: status > 100 && !to.includes('tag=') ? `${to};tag=srv-tag` : to,
      'Call-ID': this.#req.get('Call-ID') ?? '',
      CSeq: this.#req.get('CSeq') ?? '1 INVITE',
      Contact: '<sip:127.0.0.1:5060>',
      ...opts.headers,
    };
    const echo = new FakeMessage(`SIP/2.0 ${status} ${reason}`, headers, opts.body ?? '');
    setImmediate(() => callback?.(null, echo));
  }
}

/** One `dialog.request` call. */
export interface DialogRequestCall {
  readonly opts: { method: string; headers: Record<string, string>; body?: string | undefined };
  /** Answers it (drachtio-srf calls back once per response). */
  respond(status: number, reason?: string): void;
  /** Fails it (drachtio-server could not send it). */
  fail(err: Error): void;
}

/** A Dialog of the fake. */
export class FakeDialog extends EventEmitter {
  readonly id: string;
  readonly type: string;
  readonly sip: { callId: string; localTag: string; remoteTag: string };
  readonly local: { uri: string; contact: string };
  readonly remote: { uri: string };
  connected = true;
  readonly requests: DialogRequestCall[] = [];
  constructor(
    _srf: unknown,
    type: 'uas' | 'uac',
    opts: { req: FakeRequest; res?: unknown; sent?: FakeMessage },
  ) {
    super();
    this.type = type;
    const callId = opts.req.get('Call-ID') ?? '';
    const fromTag = /tag=([^;>\s]+)/.exec(opts.req.get('From') ?? '')?.[1] ?? '';
    const sentTo = /tag=([^;>\s]+)/.exec(opts.sent?.get('To') ?? '')?.[1] ?? 'uac-remote';
    this.id = `${callId};from-tag=${fromTag}`;
    this.sip = {
      callId,
      localTag: type === 'uas' ? sentTo : fromTag,
      remoteTag: type === 'uas' ? fromTag : sentTo,
    };
    this.local = {
      uri: 'sip:127.0.0.1:5060',
      contact: opts.sent?.get('Contact') ?? '<sip:127.0.0.1:5060>',
    };
    this.remote = { uri: /<([^>]+)>/.exec(opts.req.get('Contact') ?? '')?.[1] ?? 'sip:peer@127.0.0.1:5070' };
  }
  request(
    opts: { method: string; headers: Record<string, string>; body?: string | undefined },
    callback: (err: unknown, res?: FakeIncomingResponse) => void,
  ): this {
    const sent = new FakeRequest(opts.method, this.remote.uri, { ...opts.headers }, opts.body ?? '');
    sent.source = 'application';
    this.requests.push({
      opts,
      respond: (status, reason = status >= 200 && status < 300 ? 'OK' : 'Error') => {
        const res = new FakeIncomingResponse(status, reason);
        res.req = sent;
        callback(null, res);
      },
      fail: (err) => callback(err),
    });
    return this;
  }
}

/** One `srf.createUAC` call, with controls for the test. */
export interface UacCall {
  readonly uri: string;
  readonly opts: { headers: Record<string, string>; localSdp?: string; proxy?: string };
  /** drachtio-server echoed the INVITE it sent. */
  sent(): FakeRequest;
  /** A provisional response arrived. */
  provisional(status: number, reason?: string): void;
  /** The final response: 2xx resolves with a dialog, others reject with a SipError. */
  final(status: number, reason?: string): FakeDialog | undefined;
}

/** The fake `Srf` instance. */
export class FakeSrf extends EventEmitter {
  static hostport = 'udp/127.0.0.1:5060,tcp/127.0.0.1:5060,tls/127.0.0.1:5061';
  static connectError: Error | undefined;
  static authError: Error | undefined;
  static last: FakeSrf | undefined;
  static readonly Dialog = FakeDialog;
  readonly handlers = new Map<string, (req: FakeRequest, res: FakeResponse, next: () => void) => void>();
  readonly dialogs = new Map<string, FakeDialog>();
  readonly uacs: UacCall[] = [];
  connectOpts: unknown;
  disconnected = 0;
  #connected = false;

  constructor() {
    super();
    FakeSrf.last = this;
  }

  connect(opts: unknown): this {
    this.connectOpts = opts;
    setImmediate(() => {
      if (FakeSrf.connectError) {
        this.emit('error', FakeSrf.connectError);
        return;
      }
      if (FakeSrf.authError) {
        this.emit('connect', FakeSrf.authError);
        return;
      }
      this.#connected = true;
      this.emit('connect', null, FakeSrf.hostport, 'v0.9.2');
    });
    return this;
  }

  use(method: string, handler: (req: FakeRequest, res: FakeResponse, next: () => void) => void): this {
    this.handlers.set(method, handler);
    return this;
  }

  addDialog(dialog: FakeDialog): void {
    this.dialogs.set(dialog.id, dialog);
  }

  removeDialog(dialog: FakeDialog): void {
    this.dialogs.delete(dialog.id);
  }

  disconnect(): void {
    if (!this.#connected) throw new Error('socket is not connected or was not provided');
    this.#connected = false;
    this.disconnected += 1;
  }

  /** A request arrives from the network outside any dialog (the handler of its method runs). */
  receive(
    method: string,
    uri: string,
    headers: Record<string, string>,
    body = '',
  ): { req: FakeRequest; res: FakeResponse } {
    const req = new FakeRequest(method, uri, headers, body);
    const res = new FakeResponse(req);
    const handler = this.handlers.get(method.toLowerCase());
    if (!handler) res.send(404, 'Not Found', {});
    else handler(req, res, () => undefined);
    return { req, res };
  }

  createUAC(
    uri: string,
    opts: { headers: Record<string, string>; localSdp?: string; proxy?: string },
    progress: {
      cbRequest: (err: unknown, req?: FakeRequest) => void;
      cbProvisional: (res: FakeIncomingResponse) => void;
    },
  ): Promise<FakeDialog> {
    return new Promise((resolve, reject) => {
      let req: FakeRequest | undefined;
      const call: UacCall = {
        uri,
        opts,
        sent: () => {
          req = new FakeRequest(
            'INVITE',
            uri,
            {
              Via: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKuac',
              From: `${opts.headers.From ?? ''};tag=uac-tag`,
              To: opts.headers.To ?? `<${uri}>`,
              'Call-ID': opts.headers['Call-ID'] ?? 'server-made-call-id',
              CSeq: '1 INVITE',
              Contact: '<sip:127.0.0.1:5060>',
            },
            opts.localSdp ?? '',
          );
          req.source = 'application';
          progress.cbRequest(null, req);
          return req;
        },
        provisional: (status, reason = 'Ringing') => {
          progress.cbProvisional(new FakeIncomingResponse(status, reason));
        },
        final: (status, reason = status === 200 ? 'OK' : 'Busy Here') => {
          const sent = req ?? call.sent();
          const res = new FakeIncomingResponse(status, reason, {
            To: `${sent.get('To') ?? ''};tag=callee`,
            Contact: '<sip:callee@127.0.0.1:5080>',
          });
          if (status >= 200 && status < 300) {
            const dialog = new FakeDialog(this, 'uac', {
              req: new FakeRequest('INVITE', uri, {
                'Call-ID': sent.get('Call-ID') ?? '',
                From: sent.get('From') ?? '',
                Contact: '<sip:callee@127.0.0.1:5080>',
              }),
              sent: res,
            });
            Object.assign(dialog, { res });
            this.addDialog(dialog);
            resolve(dialog);
            return dialog;
          }
          reject(Object.assign(new Error(`${status} ${reason}`), { status, reason, res }));
          return undefined;
        },
      };
      this.uacs.push(call);
    });
  }
}
