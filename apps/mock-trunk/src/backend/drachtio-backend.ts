import { parseCSeq, parseMessage } from '@referkit/sip';
import type { Headers } from '@referkit/sip';
import { parseSipUri } from '@referkit/validators';
import type {
  SrfDialog,
  SrfIncomingResponse,
  SrfInstance,
  SrfMessage,
  SrfModule,
  SrfRequest,
  SrfResponse,
} from './drachtio-types.js';
import type {
  BackendAddress,
  BackendDialog,
  BackendExtras,
  BackendInvite,
  BackendInviteParams,
  BackendRequest,
  BackendResponse,
  BackendWireMessage,
  SignallingBackend,
} from './types.js';

/** Logger calls the drachtio backend makes (pino's signature). */
export interface DrachtioBackendLogger {
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Options of {@link createDrachtioBackend}. */
export interface DrachtioBackendOptions {
  /** drachtio-server's control (admin) address. */
  readonly host: string;
  /** Its control port (drachtio-server's default is 9022). */
  readonly port: number;
  /** The shared secret of its `<admin secret="...">`. */
  readonly secret: string;
  /** Logger. */
  readonly logger?: DrachtioBackendLogger | undefined;
  /** How long to wait for drachtio-server to accept the connection (default 5000 ms). */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * Longest wait for a final response to a request before a local 408 (default 40 000 ms: a
   * little over drachtio-server's own 64 x T1 = 32 s timeout, which normally answers first).
   */
  readonly requestTimeoutMs?: number | undefined;
  /** Imports drachtio-srf (default: `import('drachtio-srf')`); tests pass a fake module. */
  readonly importSrf?: (() => Promise<unknown>) | undefined;
}

/** Methods the backend asks drachtio-server to route to it outside dialogs. */
const ROUTED_METHODS = [
  'invite',
  'options',
  'bye',
  'refer',
  'notify',
  'info',
  'update',
  'message',
  'subscribe',
  'publish',
  'register',
];

/** In-dialog events of drachtio-srf's `Dialog#handle` whose listener must answer. */
const DIALOG_REQUEST_EVENTS = ['modify', 'refer', 'notify', 'info', 'options', 'update', 'message'] as const;

/** Methods that need a Contact, which drachtio-server does not add to in-dialog NOTIFYs. */
const NEEDS_CONTACT = new Set(['INVITE', 'NOTIFY', 'REFER', 'SUBSCRIBE', 'UPDATE']);

const SRF_INSTALL_HINT =
  'the drachtio backend needs drachtio-srf, an optional peer dependency of @referkit/mock-trunk: install it with `npm install drachtio-srf@^5.0.29` (or `pnpm add drachtio-srf@^5.0.29`)';

/** Loads drachtio-srf lazily, with an error naming the fix when it is not installed. */
async function loadDrachtioSrf(importSrf: () => Promise<unknown>): Promise<SrfModule> {
  try {
    // drachtio-srf is CommonJS (`module.exports = Srf`): import() gives it as `default`.
    const mod = (await importSrf()) as { default?: SrfModule } & SrfModule;
    return mod.default ?? mod;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(SRF_INSTALL_HINT, { cause: err });
    }
    throw err;
  }
}

/**
 * Parses drachtio-server's `hostport` (`udp/127.0.0.1:5060,tcp/127.0.0.1:5060`, IPv6 in
 * brackets) into the UDP and TCP addresses it listens on (TLS / WS ones are left out).
 */
export function parseHostport(hostport: string | readonly string[] | undefined): BackendAddress[] {
  const items = typeof hostport === 'string' ? hostport.split(',') : [...(hostport ?? [])];
  const out: BackendAddress[] = [];
  for (const item of items) {
    const m = /^\s*(udp|tcp)\/(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})\s*$/i.exec(item);
    if (!m) continue;
    out.push({
      transport: (m[1] ?? 'udp').toLowerCase() as 'udp' | 'tcp',
      host: m[2] ?? m[3] ?? '',
      port: Number(m[4]),
    });
  }
  return out;
}

function transportOf(protocol: string | undefined): 'udp' | 'tcp' {
  const p = (protocol ?? 'udp').toLowerCase();
  return p === 'tcp' || p === 'tls' || p === 'ws' || p === 'wss' ? 'tcp' : 'udp';
}

/** Headers of a drachtio message as @referkit/sip reads them (same splitting as the SIP backend). */
function headersOf(msg: SrfMessage): Headers | undefined {
  if (msg.raw === undefined) return undefined;
  const parsed = parseMessage(msg.raw);
  return parsed.ok ? parsed.value.headers : undefined;
}

/** `header` / `headerValues` / `headerLines` of a drachtio message. */
function readers(msg: SrfMessage): Pick<BackendResponse, 'header' | 'headerValues' | 'headerLines'> {
  let cached: Headers | undefined | null = null;
  const headers = (): Headers | undefined => {
    if (cached === null) cached = headersOf(msg);
    return cached;
  };
  return {
    header: (name) => headers()?.get(name) ?? msg.get(name),
    headerValues: (name) => {
      const h = headers();
      if (h) return h.getList(name);
      const v = msg.get(name);
      return v === undefined ? [] : [v];
    },
    headerLines: (name) => {
      const h = headers();
      if (h) return h.getAll(name);
      const v = msg.get(name);
      return v === undefined ? [] : [v];
    },
  };
}

function wrapResponse(res: SrfIncomingResponse): BackendResponse {
  return {
    status: res.status,
    reason: res.reason ?? '',
    local: undefined,
    body: res.body ?? '',
    ...readers(res),
  };
}

function localResponse(status: number, reason: string, local: BackendResponse['local']): BackendResponse {
  return {
    status,
    reason,
    local,
    body: '',
    header: () => undefined,
    headerValues: () => [],
    headerLines: () => [],
  };
}

function toHeaders(
  extras: BackendExtras | BackendInviteParams['headers'] | undefined,
): Record<string, string> {
  const source = extras && 'headers' in extras ? (extras as BackendExtras).headers : extras;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries((source ?? {}) as Record<string, string | readonly string[]>)) {
    // drachtio-srf takes one value per header name: repeated values go comma-separated.
    out[name] = typeof value === 'string' ? value : value.join(', ');
  }
  return out;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(headers).some((k) => k.toLowerCase() === lower);
}

/** The proxy (next hop) for an INVITE, when the destination is not what its Request-URI implies. */
function proxyFor(uri: string, destination: BackendInviteParams['destination']): string | undefined {
  const parsed = parseSipUri(uri);
  const target = parsed.ok ? parsed.value : undefined;
  const port = target?.port ?? 5060;
  const transport = target?.params.transport?.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
  if (target?.host === destination.host && port === destination.port && transport === destination.transport) {
    return undefined;
  }
  const h = destination.host.includes(':') ? `[${destination.host}]` : destination.host;
  return `sip:${h}:${destination.port};transport=${destination.transport}`;
}

interface BackendState {
  readonly srf: SrfInstance;
  readonly Srf: SrfModule;
  readonly addresses: BackendAddress[];
  readonly log: DrachtioBackendLogger | undefined;
  readonly requestTimeoutMs: number;
  readonly requestListeners: ((request: BackendRequest) => void)[];
  readonly messageListeners: ((message: BackendWireMessage) => void)[];
  readonly dialogs: Set<DrachtioDialog>;
  readonly invites: Set<{ cancel(): void; abort(): void }>;
  readonly pendingServer: Set<{ abort(): void }>;
  /** Aborts of in-dialog requests awaiting a final response (each clears its timer). */
  readonly pendingRequests: Set<() => void>;
  closed: boolean;
}

function trace(
  state: BackendState,
  direction: 'in' | 'out',
  msg: SrfMessage | undefined,
  peer: { protocol?: string | undefined; address?: string | undefined; port?: number | undefined },
  receivedOn?: string,
): void {
  if (!msg?.raw || state.messageListeners.length === 0) return;
  const transport = transportOf(peer.protocol);
  let local = state.addresses.find((a) => a.transport === transport) ?? state.addresses[0];
  const on = receivedOn === undefined ? undefined : /^(.*):(\d+)$/.exec(receivedOn);
  if (on) local = { transport, host: on[1] ?? '', port: Number(on[2]) };
  const event: BackendWireMessage = {
    direction,
    transport,
    local: { host: local?.host ?? '0.0.0.0', port: local?.port ?? 0 },
    remote: { host: peer.address ?? '0.0.0.0', port: peer.port ?? 5060 },
    data: Buffer.from(msg.raw, 'utf8'),
    at: Date.now(),
  };
  for (const listener of state.messageListeners) {
    try {
      listener(event);
    } catch (err) {
      state.log?.warn({ err }, 'drachtio backend: message listener threw');
    }
  }
}

function traceRequestIn(state: BackendState, req: SrfRequest): void {
  trace(
    state,
    'in',
    req,
    { protocol: req.protocol, address: req.source_address, port: req.source_port },
    req.receivedOn,
  );
}

/** Sends a response and traces what drachtio-server says it sent. */
function sendResponse(
  state: BackendState,
  req: SrfRequest,
  res: SrfResponse,
  status: number,
  reason: string | undefined,
  extras: BackendExtras | undefined,
  then?: (err: unknown, sent?: SrfMessage) => void,
): void {
  const opts: { headers?: Record<string, string>; body?: string } = { headers: toHeaders(extras) };
  if (extras?.body !== undefined) opts.body = extras.body;
  try {
    res.send(status, reason ?? '', opts, (err, sent) => {
      if (!err) {
        trace(state, 'out', sent, {
          protocol: req.protocol,
          address: req.source_address,
          port: req.source_port,
        });
      }
      then?.(err, sent);
    });
  } catch (err) {
    state.log?.warn({ err, status }, 'drachtio backend: response not sent');
    then?.(err);
  }
}

/**
 * A {@link BackendDialog} over a drachtio-srf `Dialog`. For a dialog we answered, the Dialog only
 * exists once drachtio-server echoes our 200 (that is when `createUAS` builds it), so listeners
 * and requests wait for it.
 */
class DrachtioDialog implements BackendDialog {
  readonly callId: string;
  readonly remoteTag: string;
  #dialog: SrfDialog | undefined;
  #localTag = '';
  #remoteTarget = '';
  #ready: Promise<SrfDialog | undefined>;
  #resolve: (dialog: SrfDialog | undefined) => void = () => undefined;
  #terminated = false;
  readonly #state: BackendState;
  readonly #requestListeners: ((request: BackendRequest) => void)[] = [];
  readonly #ackListeners: (() => void)[] = [];
  readonly #terminatedListeners: ((reason: string) => void)[] = [];

  constructor(state: BackendState, callId: string, remoteTag: string) {
    this.#state = state;
    this.callId = callId;
    this.remoteTag = remoteTag;
    this.#ready = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    state.dialogs.add(this);
  }

  get localTag(): string {
    return this.#localTag;
  }

  get remoteTarget(): string {
    return this.#remoteTarget;
  }

  get live(): boolean {
    return !this.#terminated;
  }

  /** The drachtio-srf Dialog exists: wire its events. */
  attach(dialog: SrfDialog): void {
    this.#dialog = dialog;
    this.#localTag = dialog.sip.localTag;
    this.#remoteTarget = dialog.remote.uri ?? '';
    dialog.on('destroy', (req) => {
      // A BYE from the application side is drachtio-server ending a dialog whose ACK never came
      // (lib/drachtio-agent.js _onMsg, 'unsolicited'): the dialog just ends, as on the SIP backend.
      if (req.source === 'application') {
        this.terminate('ack-timeout');
        return;
      }
      traceRequestIn(this.#state, req);
      // drachtio-srf already answered the BYE 200 (lib/dialog.js handle, case 'BYE'), then
      // removes every listener: the trunk still sees the BYE, then the end of the dialog.
      const wrapped = wrapRequest(this.#state, req, ANSWERED, true);
      for (const listener of [...this.#requestListeners]) listener(wrapped);
      this.terminate('bye-received');
    });
    dialog.on('ack', (req) => {
      traceRequestIn(this.#state, req);
      for (const listener of [...this.#ackListeners]) listener();
    });
    for (const event of DIALOG_REQUEST_EVENTS) {
      dialog.on(event, (req, res) => {
        traceRequestIn(this.#state, req);
        const wrapped = wrapRequest(this.#state, req, res, true);
        if (this.#requestListeners.length === 0) {
          wrapped.respond(200);
          return;
        }
        for (const listener of [...this.#requestListeners]) listener(wrapped);
      });
    }
    this.#resolve(dialog);
  }

  /** The dialog could not be created (our 200 was not sent). */
  fail(): void {
    this.#resolve(undefined);
    this.terminate('rejected');
  }

  terminate(reason: string): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#resolve(undefined);
    this.#state.dialogs.delete(this);
    const dialog = this.#dialog;
    if (dialog) {
      dialog.connected = false;
      this.#state.srf.removeDialog(dialog);
      dialog.removeAllListeners();
    }
    for (const listener of [...this.#terminatedListeners]) {
      try {
        listener(reason);
      } catch (err) {
        this.#state.log?.warn({ err }, 'drachtio backend: terminated listener threw');
      }
    }
    this.#requestListeners.length = 0;
    this.#ackListeners.length = 0;
    this.#terminatedListeners.length = 0;
  }

  async request(method: string, extras?: BackendExtras): Promise<BackendResponse> {
    const dialog = await this.#ready;
    if (!dialog || this.#terminated)
      return localResponse(481, 'Call/Transaction Does Not Exist', 'terminated');
    const upper = method.toUpperCase();
    const headers = toHeaders(extras);
    // drachtio-server adds no Contact to an in-dialog NOTIFY (and only sometimes to others).
    if (NEEDS_CONTACT.has(upper) && !hasHeader(headers, 'Contact') && dialog.local.contact) {
      headers.Contact = dialog.local.contact;
    }
    const response = await new Promise<BackendResponse>((resolve) => {
      let traced = false;
      let done = false;
      const abort = (): void => finish(localResponse(503, 'Service Unavailable', 'terminated'));
      const finish = (res: BackendResponse): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#state.pendingRequests.delete(abort);
        resolve(res);
      };
      const timer = setTimeout(
        () => finish(localResponse(408, 'Request Timeout', 'timeout')),
        this.#state.requestTimeoutMs,
      );
      this.#state.pendingRequests.add(abort);
      try {
        dialog.request({ method: upper, headers, body: extras?.body }, (err, res) => {
          if (err || !res) {
            this.#state.log?.debug({ err, method: upper }, 'drachtio backend: in-dialog request failed');
            finish(localResponse(503, 'Service Unavailable', 'transport'));
            return;
          }
          if (!traced) {
            traced = true;
            const sent = res.req;
            trace(this.#state, 'out', sent, {
              protocol: res.protocol,
              address: res.source_address,
              port: res.source_port,
            });
          }
          trace(this.#state, 'in', res, {
            protocol: res.protocol,
            address: res.source_address,
            port: res.source_port,
          });
          // drachtio-srf calls back once per response, provisional ones included.
          if (res.status >= 200) finish(wrapResponse(res));
        });
      } catch (err) {
        this.#state.log?.debug({ err, method: upper }, 'drachtio backend: in-dialog request threw');
        finish(localResponse(503, 'Service Unavailable', 'transport'));
      }
      // As on the SIP backend, the dialog ends when its BYE is sent (its answer still settles this).
      if (upper === 'BYE') this.terminate('bye-sent');
    });
    return response;
  }

  onRequest(listener: (request: BackendRequest) => void): void {
    if (!this.#terminated) this.#requestListeners.push(listener);
  }

  onAck(listener: () => void): void {
    if (!this.#terminated) this.#ackListeners.push(listener);
  }

  onTerminated(listener: (reason: string) => void): void {
    if (!this.#terminated) this.#terminatedListeners.push(listener);
  }
}

/** The response side of a request drachtio-srf already answered (an in-dialog BYE). */
const ANSWERED: SrfResponse = {
  send: (_status, _reason, _opts, callback) => callback?.(new Error('already answered by drachtio-srf')),
  finalResponseSent: true,
};

function wrapRequest(
  state: BackendState,
  req: SrfRequest,
  res: SrfResponse,
  inDialog = false,
): BackendRequest {
  const cseq = parseCSeq(req.get('CSeq') ?? '');
  const cancelListeners: (() => void)[] = [];
  let finalSent = false;
  let cancelled = false;
  const abort = {
    abort: () => {
      if (!finalSent) {
        finalSent = true;
        sendResponse(state, req, res, 503, 'Service Unavailable', undefined);
      }
    },
  };
  const newInvite = req.method === 'INVITE' && !inDialog;
  if (res === ANSWERED) finalSent = true;
  if (newInvite) {
    state.pendingServer.add(abort);
    // drachtio-server answers the CANCEL itself but not the INVITE: that 487 is ours
    // (lib/drachtio-agent.js _onMsg emits 'cancel'; createB2BUA answers res.send(487)).
    req.on('cancel', () => {
      if (finalSent) return;
      cancelled = true;
      finalSent = true;
      state.pendingServer.delete(abort);
      sendResponse(state, req, res, 487, 'Request Terminated', undefined);
      for (const listener of [...cancelListeners]) listener();
    });
  }
  const remoteTag = /;\s*tag=([^;>\s]+)/i.exec(req.get('From') ?? '')?.[1] ?? '';
  return {
    method: req.method,
    uri: req.uri,
    transport: transportOf(req.protocol),
    remote: { host: req.source_address ?? '', port: req.source_port ?? 5060 },
    callId: req.get('Call-ID') ?? '',
    cseq: cseq.ok ? cseq.value.seq : 0,
    body: req.body ?? '',
    ...readers(req),
    respond(status, reason, extras) {
      if (finalSent || state.closed) return undefined;
      if (status >= 200) {
        finalSent = true;
        state.pendingServer.delete(abort);
      }
      if (!newInvite || status < 200 || status >= 300) {
        sendResponse(state, req, res, status, reason, extras);
        return undefined;
      }
      // What Srf#createUAS does (lib/srf.js): send the 200, then build the Dialog from the echo
      // of the response drachtio-server sent (it carries our To tag and Contact) and register it.
      const dialog = new DrachtioDialog(state, req.get('Call-ID') ?? '', remoteTag);
      sendResponse(state, req, res, status, reason, extras, (err, sent) => {
        if (err || !sent || cancelled) {
          state.log?.warn({ err }, 'drachtio backend: 200 to the INVITE not sent');
          dialog.fail();
          return;
        }
        try {
          const srfDialog = new state.Srf.Dialog(state.srf, 'uas', { req, res, sent });
          state.srf.addDialog(srfDialog);
          dialog.attach(srfDialog);
        } catch (e) {
          state.log?.warn({ err: e }, 'drachtio backend: cannot build the dialog');
          dialog.fail();
        }
      });
      return dialog;
    },
    onCancel(listener) {
      cancelListeners.push(listener);
    },
  };
}

function placeInvite(state: BackendState, params: BackendInviteParams): BackendInvite {
  const headers = toHeaders(params.headers);
  headers.From = params.from;
  if (params.to !== undefined) headers.To = params.to;
  if (params.body !== undefined && !hasHeader(headers, 'Content-Type'))
    headers['Content-Type'] = 'application/sdp';
  const callIdKey = Object.keys(headers).find((k) => k.toLowerCase() === 'call-id');
  let callId = callIdKey === undefined ? '' : (headers[callIdKey] ?? '');
  const provisionalListeners: ((response: BackendResponse) => void)[] = [];
  let sent: SrfRequest | undefined;
  let cancelWanted = false;
  let cancelSent = false;
  let provisionalSeen = false;
  let settled = false;
  let dialog: DrachtioDialog | undefined;
  let resolveFinal: (res: BackendResponse) => void = () => undefined;
  const response = new Promise<BackendResponse>((resolve) => {
    resolveFinal = resolve;
  });
  const sendCancel = (): void => {
    if (cancelSent || !sent || settled) return;
    cancelSent = true;
    try {
      sent.cancel();
    } catch (err) {
      state.log?.warn({ err }, 'drachtio backend: CANCEL not sent');
    }
  };
  const handle = {
    cancel: () => {
      cancelWanted = true;
      // RFC 3261 9.1: no CANCEL before a provisional response; it goes out on the first one.
      if (provisionalSeen) sendCancel();
    },
    abort: () => {
      handle.cancel();
      settle(localResponse(503, 'Service Unavailable', 'terminated'));
    },
  };
  const settle = (res: BackendResponse): void => {
    if (settled) return;
    settled = true;
    state.invites.delete(handle);
    resolveFinal(res);
  };
  state.invites.add(handle);
  const opts: { headers: Record<string, string>; localSdp?: string; proxy?: string } = { headers };
  if (params.body !== undefined) opts.localSdp = params.body;
  const proxy = proxyFor(params.uri, params.destination);
  if (proxy !== undefined) opts.proxy = proxy;
  const peer = {
    protocol: params.destination.transport,
    address: params.destination.host,
    port: params.destination.port,
  };
  let promise: Promise<SrfDialog>;
  try {
    promise = state.srf.createUAC(params.uri, opts, {
      // drachtio-srf calls cbRequest(err, req) although its .d.ts says (req).
      cbRequest: (err, req) => {
        if (err || !req) return;
        sent = req;
        callId = req.get('Call-ID') ?? callId;
        trace(state, 'out', req, peer);
      },
      cbProvisional: (res) => {
        trace(state, 'in', res, peer);
        provisionalSeen = true;
        if (cancelWanted) sendCancel();
        const wrapped = wrapResponse(res);
        for (const listener of [...provisionalListeners]) listener(wrapped);
      },
    });
  } catch (err) {
    state.log?.warn({ err }, 'drachtio backend: INVITE not sent');
    promise = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  promise.then(
    (srfDialog) => {
      const res = (srfDialog as { res?: SrfIncomingResponse }).res;
      trace(state, 'in', res, peer);
      const d = new DrachtioDialog(state, srfDialog.sip.callId, srfDialog.sip.remoteTag);
      d.attach(srfDialog);
      if (settled || cancelWanted || state.closed) {
        // A 2xx that raced our CANCEL (or arrived after close): drachtio-srf ACKed it; BYE it.
        void d.request('BYE');
        settle(res ? wrapResponse(res) : localResponse(200, 'OK', undefined));
        return;
      }
      dialog = d;
      settle(res ? wrapResponse(res) : localResponse(200, 'OK', undefined));
    },
    (err: unknown) => {
      const e = err as { status?: unknown; reason?: unknown; res?: SrfIncomingResponse };
      if (typeof e.status === 'number') {
        if (e.res) trace(state, 'in', e.res, peer);
        settle(
          e.res
            ? wrapResponse(e.res)
            : localResponse(e.status, typeof e.reason === 'string' ? e.reason : '', undefined),
        );
        return;
      }
      state.log?.debug({ err }, 'drachtio backend: INVITE failed locally');
      settle(localResponse(503, 'Service Unavailable', 'transport'));
    },
  );
  return {
    get callId() {
      return callId;
    },
    onProvisional(listener) {
      provisionalListeners.push(listener);
    },
    response,
    get dialog() {
      return dialog?.live === true ? dialog : undefined;
    },
    cancel: () => handle.cancel(),
  };
}

function connect(srf: SrfInstance, options: DrachtioBackendOptions): Promise<string | readonly string[]> {
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      srf.removeListener('connect', onConnect);
      srf.removeListener('error', onError);
    };
    const onConnect = (err: unknown, hostport?: string | readonly string[]): void => {
      cleanup();
      if (err) {
        reject(
          new Error(
            `drachtio-server at ${options.host}:${options.port} refused the connection (${err instanceof Error ? err.message : 'authentication failed'}): check the secret`,
          ),
        );
        return;
      }
      resolve(hostport ?? '');
    };
    const onError = (err?: unknown): void => {
      cleanup();
      reject(
        new Error(
          `cannot connect to drachtio-server at ${options.host}:${options.port} (${err instanceof Error ? err.message : String(err)}): start it, or check --drachtio <host>:<port>:<secret>`,
          { cause: err },
        ),
      );
    };
    const timer = setTimeout(() => onError(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    srf.on('connect', onConnect);
    srf.on('error', onError);
    // No reconnection: a lost drachtio-server ends the backend's calls (logged), as a dead
    // process would. `reconnect.maxAttempts: 1` stops lib/wire-protocol.js retrying.
    srf.connect({
      host: options.host,
      port: options.port,
      secret: options.secret,
      reconnect: { maxAttempts: 1 },
    });
  });
}

/**
 * The {@link SignallingBackend} on drachtio-srf: the trunk's SIP runs on a drachtio-server
 * (connected to at `host:port` with `secret`), which does the transport and transactions. The
 * trunk listens where drachtio-server does (its `hostport`). drachtio-srf is loaded only here,
 * so the default backend needs none of it.
 *
 * What differs from the embedded engine, by drachtio-server's design: the wire messages
 * reported are those drachtio-server passes to the application (not its own 100 Trying, the
 * ACKs it sends for us, or retransmissions); SIP timers are drachtio-server's.
 *
 * @throws when drachtio-srf is not installed (the message names the fix) or drachtio-server
 * cannot be reached or refuses the secret.
 */
export async function createDrachtioBackend(options: DrachtioBackendOptions): Promise<SignallingBackend> {
  const Srf = await loadDrachtioSrf(options.importSrf ?? (() => import('drachtio-srf')));
  const srf = new Srf();
  let hostport: string | readonly string[];
  try {
    hostport = await connect(srf, options);
  } catch (err) {
    // A late socket error (after a timeout) must not crash the process as an unhandled 'error'.
    srf.on('error', () => undefined);
    try {
      srf.disconnect();
    } catch {
      // Not connected: nothing to close (lib/wire-protocol.js disconnect throws without a socket).
    }
    throw err;
  }
  const addresses = parseHostport(hostport);
  if (addresses.length === 0) {
    srf.disconnect();
    throw new Error(
      `drachtio-server at ${options.host}:${options.port} listens on no UDP or TCP SIP address (hostport "${String(hostport)}")`,
    );
  }
  const state: BackendState = {
    srf,
    Srf,
    addresses,
    log: options.logger,
    requestTimeoutMs: options.requestTimeoutMs ?? 40_000,
    requestListeners: [],
    messageListeners: [],
    dialogs: new Set(),
    invites: new Set(),
    pendingServer: new Set(),
    pendingRequests: new Set(),
    closed: false,
  };
  const onLost = (err?: unknown): void => {
    if (state.closed) return;
    options.logger?.warn({ err }, 'drachtio backend: connection to drachtio-server lost');
    for (const dialog of [...state.dialogs]) dialog.terminate('closed');
    for (const invite of [...state.invites]) invite.abort();
  };
  srf.on('error', onLost);
  srf.on('close', onLost);
  for (const method of ROUTED_METHODS) {
    srf.use(method, (req, res) => {
      traceRequestIn(state, req);
      const wrapped = wrapRequest(state, req, res);
      if (state.closed || state.requestListeners.length === 0) {
        wrapped.respond(503, 'Service Unavailable');
        return;
      }
      for (const listener of [...state.requestListeners]) listener(wrapped);
    });
  }
  let closing: Promise<void> | undefined;
  return {
    addresses,
    onRequest(listener) {
      state.requestListeners.push(listener);
    },
    onMessage(listener) {
      state.messageListeners.push(listener);
    },
    invite: (params) => placeInvite(state, params),
    activeDialogs: () => state.dialogs.size,
    close() {
      closing ??= (async () => {
        for (const pending of [...state.pendingServer]) pending.abort();
        for (const invite of [...state.invites]) invite.abort();
        state.closed = true;
        for (const dialog of [...state.dialogs]) dialog.terminate('closed');
        for (const abort of [...state.pendingRequests]) abort();
        // Let the CANCELs / 503s just written reach drachtio-server before the socket ends.
        await new Promise((resolve) => setImmediate(resolve));
        srf.removeListener('error', onLost);
        srf.removeListener('close', onLost);
        try {
          srf.disconnect();
        } catch (err) {
          options.logger?.debug({ err }, 'drachtio backend: disconnect');
        }
        state.requestListeners.length = 0;
        state.messageListeners.length = 0;
      })();
      return closing;
    },
  };
}
