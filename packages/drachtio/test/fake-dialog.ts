import { EventEmitter } from 'node:events';
import type {
  DrachtioRequestCallback,
  DrachtioRequestOptions,
  DrachtioResponseLike,
  ReferDialog,
} from '../src/index.js';

/** The trunk domain of the fake dialog's INVITE. */
export const FAKE_TRUNK_DOMAIN = 'abcdefabcdef.zt.plivo.com';

/**
 * A stand-in for drachtio-srf 5.0.x's `Dialog`, implementing only what the adapter calls, with the
 * behaviour of drachtio-srf's `lib/dialog.js`:
 * - `request(opts, cb)`: the callback runs once per response (provisional included), or once with
 *   an error; CSeq numbers grow by one per request.
 * - an incoming NOTIFY is emitted as `notify(req, res)` when someone listens, else answered 200.
 * - an incoming BYE: `connected = false`, answered 200, `destroy` emitted, then every listener removed.
 * - `destroy()`: sends BYE; once answered `connected = false`, callback, then every listener
 *   removed (no `destroy` event).
 */
export class FakeDialog extends EventEmitter implements ReferDialog {
  connected = true;
  readonly local = { uri: 'sip:agent@127.0.0.1:5070', contact: '<sip:agent@127.0.0.1:5070>' };
  type: 'uac' | 'uas' = 'uac';
  /** The INVITE of the dialog (an outbound call through the trunk by default). */
  req: FakeMessage | undefined = new FakeMessage(
    {
      From: '"Agent" <sip:agent@pbx.example.com>;tag=a1',
      To: `<sip:+14155550100@${FAKE_TRUNK_DOMAIN}>`,
    },
    '',
  );
  /** Requests sent in the dialog, oldest first. */
  readonly sent: SentRequest[] = [];
  /** BYEs sent through `destroy()`. */
  byes = 0;
  /** Make the next `request()` fail: `'callback'` calls back with an error, `'throw'` throws. */
  failNext: 'callback' | 'throw' | undefined;
  private cseq: number;

  constructor(firstCSeq = 2) {
    super();
    this.cseq = firstCSeq - 1;
  }

  request(opts: DrachtioRequestOptions, callback: DrachtioRequestCallback): this {
    const mode = this.failNext;
    this.failNext = undefined;
    if (mode === 'throw') throw new Error('drachtio-agent: not connected');
    if (mode === 'callback') {
      setImmediate(() => callback(new Error('socket closed'), undefined as unknown as DrachtioResponseLike));
      return this;
    }
    this.cseq += 1;
    this.sent.push(new SentRequest(opts.method, { ...opts.headers }, this.cseq, callback));
    return this;
  }

  destroy(_opts: { headers: Record<string, string> }, callback: (err: unknown) => void): this {
    this.byes += 1;
    setImmediate(() => {
      this.connected = false;
      callback(null);
      this.removeAllListeners();
    });
    return this;
  }

  /** The last REFER sent. */
  get lastRefer(): SentRequest {
    const refer = this.sent.at(-1);
    if (refer === undefined) throw new Error('no REFER sent');
    return refer;
  }

  /** An incoming NOTIFY, handled as drachtio-srf's `Dialog#handle` does. */
  notify(headers: Record<string, string>, body = ''): FakeResponse {
    const req = new FakeMessage(headers, body);
    const res = new FakeResponse();
    if (this.listenerCount('notify') === 0) res.send(200, 'OK', {});
    else this.emit('notify', req, res);
    return res;
  }

  /** A NOTIFY of a REFER subscription carrying `SIP/2.0 <code> <reason>`. */
  referNotify(
    id: number | undefined,
    code: number | undefined,
    reason = '',
    state = code !== undefined && code >= 200 ? 'terminated;reason=noresource' : 'active;expires=60',
  ): FakeResponse {
    return this.notify(
      {
        Event: id === undefined ? 'refer' : `refer;id=${id}`,
        'Subscription-State': state,
        'Content-Type': 'message/sipfrag;version=2.0',
      },
      code === undefined ? '' : `SIP/2.0 ${code} ${reason}\r\n`,
    );
  }

  /** An incoming BYE, handled as drachtio-srf's `Dialog#handle` does. */
  remoteBye(): void {
    this.connected = false;
    this.emit('destroy', new FakeMessage({}, ''), 'normal release');
    this.removeAllListeners();
  }
}

/** A request the adapter sent, with a way to answer it. */
export class SentRequest {
  constructor(
    readonly method: string,
    readonly headers: Record<string, string>,
    readonly cseq: number,
    private readonly callback: DrachtioRequestCallback,
  ) {}

  /** Delivers a response (call several times for provisional then final). */
  respond(status: number, reason: string, headers: Record<string, string> = {}): void {
    const res = new FakeMessage({ CSeq: `${this.cseq} ${this.method}`, ...headers }, '');
    this.callback(null, Object.assign(res, { status, reason }));
  }
}

/** A SIP message with drachtio-srf's case-insensitive `get`. */
export class FakeMessage {
  constructor(
    private readonly headers: Record<string, string>,
    readonly body: string,
  ) {}

  get(name: string): string | undefined {
    const key = Object.keys(this.headers).find((h) => h.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : this.headers[key];
  }
}

/** drachtio-srf's `Response`: records what was sent; a second final response is ignored. */
export class FakeResponse {
  readonly sent: { status: number; reason: string }[] = [];
  finalResponseSent = false;

  send(status: number, reason: string, _opts: object): void {
    if (this.finalResponseSent) {
      this.sent.push({ status: -1, reason: 'second final response' });
      return;
    }
    this.sent.push({ status, reason });
    if (status >= 200) this.finalResponseSent = true;
  }

  /** The one status this NOTIFY was answered with (fails the test on zero or several answers). */
  get status(): number | undefined {
    if (this.sent.length > 1) throw new Error(`answered ${this.sent.length} times`);
    return this.sent[0]?.status;
  }
}

/** Timers driven by hand: `advance(ms)` fires what is due. */
export class ManualTimers {
  private now = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  setTimeout = (callback: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.pending.set(id, { at: this.now + ms, callback });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };

  /** Current fake time in ms. */
  get time(): number {
    return this.now;
  }

  /** Timers not yet fired or cleared. */
  get size(): number {
    return this.pending.size;
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()]
        .filter(([, t]) => t.at <= until)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
    }
    this.now = until;
  }
}

/** Lets queued callbacks (setImmediate, promise reactions) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
