import { isIPv6 } from 'node:net';
import { authorizationHeaders, parseDigestAuthorization } from '../auth/index.js';
import type { AuthCredentials } from '../auth/index.js';
import { DialogImpl, dialogKey } from '../dialog/dialog-impl.js';
import type { DialogHost } from '../dialog/dialog-impl.js';
import { validateMessage } from '../message/index.js';
import type { Headers } from '../message/index.js';
import type { Dialog } from '../dialog/index.js';
import {
  InviteClientTransaction,
  InviteServerTransaction,
  NonInviteClientTransaction,
  NonInviteServerTransaction,
  TransactionError,
  TransactionErrorCode,
  realClock,
  resolveTimers,
} from '../transaction/index.js';
import type { Clock, TimerConfig, TimerHandle } from '../transaction/index.js';
import { createTcpTransport, createUdpTransport, silentLogger } from '../transport/index.js';
import type {
  HostPort,
  InboundMessage,
  SipLogger,
  Transport,
  TransportAddress,
  TransportDropReason,
  TransportProtocol,
} from '../transport/index.js';
import {
  formatVia,
  param,
  parseCSeq,
  parseNameAddr,
  parseVia,
  tagOf,
  uriDestination,
  withTag,
} from './header-values.js';
import type { ViaValue } from './header-values.js';
import { BRANCH_COOKIE, newBranch, newCallId, newTag } from './ids.js';
import { salvageRequest } from './salvage.js';
import type {
  ClientTransaction,
  ClientTransactionEvents,
  HeaderInput,
  IncomingRequest,
  IncomingRequestEvents,
  MessageExtras,
  OutgoingRequest,
  SipStack,
  SipStackEvents,
  SipStackOptions,
  SipStackStats,
  SendRequestOptions,
} from './stack-types.js';
import { StackError, StackErrorCode } from './stack-error.js';
import { TypedEmitter } from './typed-emitter.js';
import {
  getHeader,
  getHeaderValues,
  makeRequest,
  makeResponse,
  parseWire,
  serializeWire,
  splitCommas,
} from './wire-message.js';
import type { StackRequest, StackResponse } from './wire-message.js';

/**
 * Methods the stack recognises (RFC 3261, 3262, 3265/6665, 3311, 3428, 3515, 3903, 6086).
 * Policy for out-of-dialog requests: an unrecognised method gets 501 Not Implemented
 * (RFC 3261 8.2.1); a recognised one with no `request` listener gets 405 Method Not Allowed
 * with an Allow header, except OPTIONS which gets 200.
 */
export const KNOWN_METHODS: readonly string[] = Object.freeze([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
]);

const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY, UPDATE, SUBSCRIBE, MESSAGE';
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);
const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  408: 'Request Timeout',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  483: 'Too Many Hops',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  603: 'Decline',
};

/** The realm of an `Authorization` / `Proxy-Authorization` value ('' when unreadable). */
function realmOf(value: string): string {
  const r = parseDigestAuthorization(value);
  return r.ok ? r.value.realm : '';
}

/** The standard reason phrase for a status code (or a generic one for its class). */
export function reasonPhrase(status: number): string {
  return (
    REASONS[status] ?? (status < 200 ? 'Progress' : status < 300 ? 'OK' : status < 400 ? 'Redirect' : 'Error')
  );
}

function headersFrom(input: HeaderInput | undefined): [string, string][] {
  if (input === undefined) return [];
  const out: [string, string][] = [];
  if (Array.isArray(input)) {
    for (const [n, v] of input as readonly (readonly [string, string])[]) out.push([n, v]);
  } else {
    for (const [n, v] of Object.entries(input as Readonly<Record<string, string | readonly string[]>>)) {
      if (typeof v === 'string') out.push([n, v]);
      else for (const x of v) out.push([n, x]);
    }
  }
  return out;
}

function bodyFrom(body: string | Buffer | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  return typeof body === 'string' ? Buffer.from(body) : body;
}

const lower = (s: string): string => s.toLowerCase();

/** Replaces headers whose names appear in `extra`, then appends the rest (extras override). */
function mergeHeaders(
  base: [string, string][],
  extra: [string, string][],
  overridable: ReadonlySet<string>,
): void {
  const names = new Set(extra.map(([n]) => lower(n)));
  for (let i = base.length - 1; i >= 0; i--) {
    const n = lower(base[i]![0]);
    if (names.has(n) && overridable.has(n)) base.splice(i, 1);
  }
  base.push(...extra);
}

/** {@link mergeHeaders} for a message's {@link Headers}. */
function mergeIntoHeaders(base: Headers, extra: [string, string][], overridable: ReadonlySet<string>): void {
  for (const name of new Set(extra.map(([n]) => lower(n)))) if (overridable.has(name)) base.delete(name);
  for (const [n, v] of extra) base.append(n, v);
}

const OVERRIDABLE = new Set([
  'contact',
  'max-forwards',
  'user-agent',
  'server',
  'content-type',
  'allow',
  'supported',
]);

/** https://www.rfc-editor.org/rfc/rfc3261#section-17.1.3 : a client transaction is its top Via branch + method. */
function clientKey(request: StackRequest): string {
  const via = parseVia(getHeader(request, 'via') ?? '');
  const branch = via === undefined ? '' : (param(via.params, 'branch') ?? '');
  return `${branch}\u0000${request.method}`;
}

function synthResponse(request: StackRequest, status: number): StackResponse {
  const headers: [string, string][] = [];
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    for (const f of request.headers) if (f.key === lower(name)) headers.push([f.name, f.value]);
  }
  return makeResponse(status, reasonPhrase(status), headers, Buffer.alloc(0));
}

interface ServerRecord {
  readonly key: string;
  /** Server transactions carry serialized responses: retransmissions resend the same bytes. */
  readonly tx: InviteServerTransaction<Buffer> | NonInviteServerTransaction<Buffer>;
  /**
   * An INVITE's request handle, kept while a CANCEL can still act on it (until the final response);
   * dropped then, so a transaction waiting out Timer L / G does not retain the application's
   * listeners on it.
   */
  incoming: IncomingRequestImpl | undefined;
}

interface ClientRecord {
  readonly tx: InviteClientTransaction<StackResponse> | NonInviteClientTransaction<StackResponse>;
  /**
   * The application's handle, held until its final response is delivered (or an authenticated
   * retry takes it over). The transaction lives on for Timer M / D / K only to absorb
   * retransmissions, and must not keep the request, the response and the dialog alive meanwhile.
   */
  handle: ClientTransactionImpl | undefined;
  /** `handle.authAttempts` when this transaction started: a retry's transaction has a higher one. */
  readonly attempt: number;
  /** The request as sent: retransmitted, and re-parsed for a forked 2xx after the final response. */
  readonly data: Buffer;
  readonly transport: Transport;
  readonly remote: HostPort;
  readonly credentials: readonly AuthCredentials[];
  /** The From tag of the request, to match 2xx retransmissions to their dialog. */
  readonly fromTag: string;
  /** The ACK for a 300-699, built once and re-sent for each retransmission of that response. */
  ack: Buffer | undefined;
}

/** What a UAC dialog is built from: the request as sent and where it went. */
interface UacOrigin {
  readonly request: StackRequest;
  readonly transport: Transport;
  readonly remote: HostPort;
  readonly credentials: readonly AuthCredentials[];
}

/** The handle given to the application for a request it sends. */
class ClientTransactionImpl implements ClientTransaction {
  request: StackRequest;
  readonly response: Promise<StackResponse>;
  error: TransactionError | undefined;
  dialog: DialogImpl | undefined;
  final: StackResponse | undefined;
  provisionalSeen = false;
  cancelRequested = false;
  cancelSent = false;
  cancelTimer: TimerHandle | undefined;
  readonly events: TypedEmitter<ClientTransactionEvents>;
  readonly transport: Transport;
  readonly remote: HostPort;
  onCancel: (() => void) | undefined;
  /** Credentials for 401 / 407 challenges (RFC 3261 22.2). */
  credentials: readonly AuthCredentials[] = [];
  /** Authenticated retries sent so far. */
  authAttempts = 0;
  /** The dialog an in-dialog request belongs to (its CSeq is bumped on a retry). */
  inDialog: DialogImpl | undefined;
  #resolve!: (r: StackResponse) => void;

  constructor(request: StackRequest, transport: Transport, remote: HostPort, logger: SipLogger) {
    this.request = request;
    this.transport = transport;
    this.remote = remote;
    this.events = new TypedEmitter(logger);
    this.response = new Promise((resolve) => (this.#resolve = resolve));
  }

  on<K extends keyof ClientTransactionEvents>(
    event: K,
    listener: (...args: ClientTransactionEvents[K]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  cancel(): void {
    if (this.request.method !== 'INVITE' || this.final !== undefined || this.cancelRequested) return;
    this.cancelRequested = true;
    // https://www.rfc-editor.org/rfc/rfc3261#section-9.1 : no CANCEL before a provisional response.
    if (this.provisionalSeen) this.onCancel?.();
  }

  finish(response: StackResponse, error?: TransactionError): void {
    if (this.final !== undefined) return;
    this.final = response;
    if (error !== undefined) this.error = error;
    this.#resolve(response);
    this.events.emit('final', response);
    // Nothing is emitted after the final response; the transaction may live on (Timer M / K) to
    // absorb retransmissions, and must not keep the application's listeners alive meanwhile.
    this.events.removeAll();
  }
}

/** The handle given to the application for a request it receives. */
class IncomingRequestImpl implements IncomingRequest {
  readonly message: StackRequest;
  readonly transport: TransportProtocol;
  readonly remote: HostPort;
  readonly local: TransportAddress;
  dialog: DialogImpl | undefined;
  cancelled = false;
  localTag: string | undefined;
  readonly events: TypedEmitter<IncomingRequestEvents>;
  respondImpl:
    | ((
        status: number,
        reason: string | undefined,
        extras: MessageExtras | undefined,
      ) => DialogImpl | undefined)
    | undefined;
  isFinal: () => boolean = () => false;
  /** Status of the final response sent, once there is one. */
  finalStatus: number | undefined;
  /** True once any response (provisional or final) was sent. */
  responded = false;

  constructor(message: StackRequest, transport: Transport, remote: HostPort, logger: SipLogger) {
    this.message = message;
    this.transport = transport.protocol;
    this.local = transport.local;
    this.remote = remote;
    this.events = new TypedEmitter(logger);
  }

  get method(): string {
    return this.message.method;
  }
  get uri(): string {
    return this.message.uri;
  }
  get body(): Buffer {
    return this.message.body;
  }
  header(name: string): string | undefined {
    return getHeader(this.message, name);
  }
  get finalSent(): boolean {
    return this.isFinal();
  }
  respond(status: number, reason?: string, extras?: MessageExtras): Dialog | undefined {
    return this.respondImpl?.(status, reason, extras);
  }
  on<K extends keyof IncomingRequestEvents>(
    event: K,
    listener: (...args: IncomingRequestEvents[K]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }
}

class SipStackImpl implements SipStack, DialogHost {
  readonly clock: Clock;
  readonly timers: TimerConfig;
  readonly logger: SipLogger;
  readonly stats: SipStackStats = {
    garbage: 0,
    dropped: 0,
    requestsIn: 0,
    responsesIn: 0,
    activeTransactions: 0,
    activeDialogs: 0,
  };
  readonly #events: TypedEmitter<SipStackEvents>;
  readonly #maxSize: number;
  readonly #userAgent: string | undefined;
  readonly #extensions: ReadonlySet<string>;
  readonly #bodyTypes: readonly string[] | undefined;
  #transports: Transport[] = [];
  readonly #clients = new Map<string, ClientRecord>();
  readonly #servers = new Map<string, ServerRecord>();
  readonly #dialogs = new Map<string, DialogImpl>();
  #closed = false;

  constructor(options: SipStackOptions) {
    this.clock = options.clock ?? realClock;
    this.timers = resolveTimers(options.timers);
    this.logger = options.logger ?? silentLogger;
    this.#maxSize = options.maxMessageSize ?? 65_535;
    this.#userAgent = options.userAgent;
    this.#extensions = new Set((options.extensions ?? []).map(lower));
    this.#bodyTypes = options.bodyTypes?.map((t) => lower(t.trim()));
    this.#events = new TypedEmitter(this.logger);
  }

  get addresses(): readonly TransportAddress[] {
    return this.#transports.map((t) => t.local);
  }

  async start(options: SipStackOptions): Promise<void> {
    if (options.listen.length === 0)
      throw new StackError(StackErrorCode.NoTransport, 'listen must name at least one address');
    try {
      for (const l of options.listen) {
        const common = {
          logger: this.logger,
          maxMessageSize: this.#maxSize,
          host: l.host ?? '127.0.0.1',
          port: l.port ?? 0,
        };
        const t: Transport | undefined = undefined;
        let created: Transport = t as unknown as Transport;
        const handlers = {
          onMessage: (m: InboundMessage) => this.#onInbound(created, m),
          onDrop: (reason: TransportDropReason, remote: HostPort, _bytes: number, head?: Buffer) => {
            this.stats.dropped++;
            if (head === undefined || reason === 'keepalive' || this.#closed) return;
            // https://www.rfc-editor.org/rfc/rfc3261#section-21.5.14 : 513 for an oversized request;
            // 400 for a stream framing error (RFC 4475 section 3.1.2.3), then the transport closes.
            if (reason === 'oversized')
              this.#rejectUnparsed(created, head, remote, 513, `larger than ${this.#maxSize} bytes`);
            else this.#rejectUnparsed(created, head, remote, 400, 'bad Content-Length');
          },
        };
        created =
          l.transport === 'udp'
            ? await createUdpTransport(common, handlers)
            : await createTcpTransport(common, handlers);
        this.#transports.push(created);
      }
    } catch (err) {
      await Promise.all(this.#transports.map((t) => t.close()));
      this.#transports = [];
      throw err;
    }
    this.logger.info({ addresses: this.addresses }, 'sip stack listening');
  }

  on<K extends keyof SipStackEvents>(event: K, listener: (...args: SipStackEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const d of [...this.#dialogs.values()]) d.terminate('closed');
    for (const r of [...this.#clients.values()]) {
      const h = r.handle;
      r.tx.dispose();
      if (h === undefined) continue;
      h.finish(
        synthResponse(h.request, 503),
        new TransactionError(TransactionErrorCode.Terminated, 'stack closed'),
      );
      if (h.cancelTimer !== undefined) this.clock.clearTimeout(h.cancelTimer);
    }
    for (const r of [...this.#servers.values()]) r.tx.dispose();
    this.#clients.clear();
    this.#servers.clear();
    this.stats.activeTransactions = 0;
    await Promise.all(this.#transports.map((t) => t.close()));
    this.#events.removeAll();
    this.logger.info({}, 'sip stack closed');
  }

  // ---------------------------------------------------------------- sending

  #pickTransport(protocol: TransportProtocol, host: string): Transport | undefined {
    const family = isIPv6(host) ? 'IPv6' : 'IPv4';
    return (
      this.#transports.find((t) => t.protocol === protocol && t.local.family === family) ??
      this.#transports.find((t) => t.protocol === protocol)
    );
  }

  #sendBytes(transport: Transport, data: Buffer, remote: HostPort, onError?: (e: Error) => void): void {
    if (this.#closed) throw new StackError(StackErrorCode.Closed, 'stack is closed');
    if (data.length > this.#maxSize) {
      throw new StackError(
        StackErrorCode.MessageTooLarge,
        `message of ${data.length} bytes exceeds maxMessageSize ${this.#maxSize}`,
      );
    }
    this.#events.emit('message', {
      direction: 'out',
      data,
      transport: transport.protocol,
      local: transport.local,
      remote,
      at: this.clock.now(),
    });
    transport.send(data, remote, onError);
  }

  #viaFor(transport: Transport, branch: string): string {
    return formatVia({
      transport: transport.protocol.toUpperCase(),
      host: transport.local.host,
      port: transport.local.port,
      params: [
        ['branch', branch],
        ['rport', undefined],
      ],
    });
  }

  #contactFor(transport: Transport): string {
    const h = transport.local.family === 'IPv6' ? `[${transport.local.host}]` : transport.local.host;
    const tp = transport.protocol === 'tcp' ? ';transport=tcp' : '';
    return `<sip:${h}:${transport.local.port}${tp}>`;
  }

  sendRequest(request: OutgoingRequest, options: SendRequestOptions): ClientTransaction {
    const { destination } = options;
    const credentials: readonly AuthCredentials[] =
      options.credentials === undefined
        ? []
        : Array.isArray(options.credentials)
          ? (options.credentials as readonly AuthCredentials[])
          : [options.credentials as AuthCredentials];
    const method = request.method.toUpperCase();
    if (method === 'ACK' || method === 'CANCEL') {
      // ACK and CANCEL belong to an INVITE: the stack sends them (RFC 3261 13.2.2.4, 17.1.1.3, 9.1).
      throw new StackError(
        StackErrorCode.InvalidRequest,
        `${method} is sent by the stack: use ClientTransaction.cancel() or the dialog`,
      );
    }
    const transport = this.#pickTransport(destination.transport, destination.host);
    const headers = headersFrom(request.headers);
    const msg = makeRequest(method, request.uri, headers, bodyFrom(request.body));
    if (transport === undefined) {
      const handle = new ClientTransactionImpl(
        msg,
        undefined as unknown as Transport,
        destination,
        this.logger,
      );
      queueMicrotask(() =>
        handle.finish(
          synthResponse(msg, 503),
          new TransactionError(
            TransactionErrorCode.TransportError,
            `no ${destination.transport} transport is listening`,
          ),
        ),
      );
      return handle;
    }
    // https://www.rfc-editor.org/rfc/rfc3261#section-8.1.1 : the mandatory headers of a request.
    const filled: [string, string][] = [['Via', this.#viaFor(transport, newBranch())]];
    const from = getHeader(msg, 'from');
    const host = transport.local.family === 'IPv6' ? `[${transport.local.host}]` : transport.local.host;
    filled.push([
      'From',
      from === undefined
        ? `<sip:${host}:${transport.local.port}>;tag=${newTag()}`
        : tagOf(from) === undefined
          ? withTag(from, newTag())
          : from,
    ]);
    filled.push(['To', getHeader(msg, 'to') ?? `<${request.uri}>`]);
    filled.push(['Call-ID', getHeader(msg, 'call-id') ?? newCallId()]);
    filled.push(['CSeq', getHeader(msg, 'cseq') ?? `1 ${method}`]);
    filled.push(['Max-Forwards', getHeader(msg, 'max-forwards') ?? '70']);
    if (TARGET_REFRESH.has(method) && getHeader(msg, 'contact') === undefined)
      filled.push(['Contact', this.#contactFor(transport)]);
    if (this.#userAgent !== undefined && getHeader(msg, 'user-agent') === undefined)
      filled.push(['User-Agent', this.#userAgent]);
    const skip = new Set([
      'via',
      'from',
      'to',
      'call-id',
      'cseq',
      'max-forwards',
      'content-length',
      'v',
      'f',
      't',
      'i',
      'l',
    ]);
    for (const [n, v] of headers) if (!skip.has(lower(n))) filled.push([n, v]);
    const full = makeRequest(method, request.uri, filled, msg.body);
    const handle = this.#startClient(
      full,
      transport,
      { host: destination.host, port: destination.port },
      undefined,
    );
    handle.credentials = credentials;
    return handle;
  }

  #startClient(
    request: StackRequest,
    transport: Transport,
    remote: HostPort,
    dialog: DialogImpl | undefined,
    reuse?: ClientTransactionImpl,
  ): ClientTransactionImpl {
    const handle = reuse ?? new ClientTransactionImpl(request, transport, remote, this.logger);
    if (reuse !== undefined) {
      // An authenticated retry continues the application's handle (RFC 3261 22.2).
      reuse.request = request;
      reuse.provisionalSeen = false;
      reuse.cancelSent = false;
    }
    handle.dialog = dialog;
    let data: Buffer;
    try {
      data = serializeWire(request);
      if (data.length > this.#maxSize)
        throw new StackError(
          StackErrorCode.MessageTooLarge,
          `request of ${data.length} bytes exceeds maxMessageSize`,
        );
    } catch (err) {
      queueMicrotask(() =>
        handle.finish(
          synthResponse(request, 513),
          new TransactionError(TransactionErrorCode.TransportError, 'request not sendable', { cause: err }),
        ),
      );
      return handle;
    }
    const key = clientKey(request);
    const record = this.#clientRecord(key, handle, request, data, transport, remote);
    this.#clients.set(key, record);
    this.stats.activeTransactions++;
    if (request.method === 'INVITE') handle.onCancel = () => this.#sendCancel(handle, record);
    record.tx.start();
    return handle;
  }

  /**
   * Builds the transaction and its record in a scope of their own: the transaction's callbacks
   * reach the application's handle only through `record.handle`, which is let go once the final
   * response is delivered.
   */
  #clientRecord(
    key: string,
    handle: ClientTransactionImpl,
    request: StackRequest,
    data: Buffer,
    transport: Transport,
    remote: HostPort,
  ): ClientRecord {
    const ctx = { clock: this.clock, timers: this.timers, reliable: transport.reliable };
    const fromTag = tagOf(getHeader(request, 'from')) ?? '';
    let tx: ClientRecord['tx'];
    const user = {
      sendRequest: (): void => {
        this.#sendBytes(transport, data, remote, (err) => tx.transportError(err));
      },
      onError: (error: TransactionError): void => {
        const h = record.handle;
        if (h === undefined) return;
        h.finish(synthResponse(h.request, error.status), error);
        this.#release(record);
      },
      onTerminated: (): void => {
        if (this.#clients.get(key) === record) {
          this.#clients.delete(key);
          this.stats.activeTransactions--;
        }
        if (record.handle !== undefined) this.#release(record, true);
      },
    };
    if (request.method === 'INVITE') {
      tx = new InviteClientTransaction<StackResponse>(ctx, {
        ...user,
        sendAck: (res) => {
          const h = record.handle;
          if (record.ack === undefined && h !== undefined) record.ack = this.#non2xxAck(h.request, res);
          if (record.ack !== undefined) this.#sendBytes(transport, record.ack, remote);
        },
        onResponse: (status, res) => {
          const h = record.handle;
          if (h !== undefined) {
            this.#onInviteResponse(h, status, res);
            if (status >= 200) this.#release(record);
          } else if (status >= 200 && status < 300) {
            this.#onLate2xx(record, res);
          }
        },
      });
    } else {
      tx = new NonInviteClientTransaction<StackResponse>(ctx, {
        ...user,
        onResponse: (status, res) => {
          const h = record.handle;
          if (h === undefined) return;
          if (status < 200) h.events.emit('provisional', res);
          else if (!this.#retryWithCredentials(h, res)) h.finish(res);
          if (status >= 200) this.#release(record);
        },
      });
    }
    const record: ClientRecord = {
      tx,
      handle,
      attempt: handle.authAttempts,
      data,
      transport,
      remote,
      credentials: handle.credentials,
      fromTag,
      ack: undefined,
    };
    return record;
  }

  /**
   * Lets go of the application's handle once its final response is delivered or an authenticated
   * retry has taken it over (`always`: the transaction ended).
   */
  #release(record: ClientRecord, always = false): void {
    const h = record.handle;
    if (h === undefined) return;
    const current = h.authAttempts === record.attempt;
    if (!always && h.final === undefined && current) return;
    record.handle = undefined;
    if ((h.final !== undefined || current) && h.cancelTimer !== undefined) {
      this.clock.clearTimeout(h.cancelTimer);
      h.cancelTimer = undefined;
    }
  }

  /**
   * A 2xx retransmission (or another fork's 2xx) after the final response was delivered
   * (RFC 6026 section 7.2, Accepted state): ACKed through its dialog; a fork's dialog is built
   * from the request as sent, ACKed and hung up (RFC 3261 13.2.2.4).
   */
  #onLate2xx(record: ClientRecord, res: StackResponse): void {
    const toTag = tagOf(getHeader(res, 'to'));
    const cseq = parseCSeq(getHeader(res, 'cseq'));
    if (toTag === undefined || cseq === undefined) return;
    const dialog = this.#dialogs.get(dialogKey(getHeader(res, 'call-id') ?? '', record.fromTag, toTag));
    if (dialog !== undefined) {
      this.#ack2xx(dialog, cseq.seq);
      return;
    }
    const parsed = parseWire(record.data, record.transport.reliable);
    if (!parsed.ok || parsed.value.kind !== 'request') return;
    const origin: UacOrigin = {
      request: parsed.value,
      transport: record.transport,
      remote: record.remote,
      credentials: record.credentials,
    };
    this.#ackAndHangUp(origin, res, toTag, cseq.seq);
  }

  /**
   * https://www.rfc-editor.org/rfc/rfc3261#section-13.2.2.4 : the UAC core ACKs every 2xx; a
   * retransmission gets the ACK already sent for its CSeq.
   */
  #ack2xx(dialog: DialogImpl, seq: number): void {
    if (dialog.lastAck !== undefined && dialog.lastAck.seq === seq) {
      this.#sendBytes(dialog.lastAck.transport, dialog.lastAck.data, dialog.lastAck.remote);
    } else {
      this.#sendAckFor(dialog, seq);
    }
  }

  /** https://www.rfc-editor.org/rfc/rfc3261#section-13.2.2.4 : a 2xx nobody wants is ACKed, then hung up. */
  #ackAndHangUp(origin: UacOrigin, res: StackResponse, toTag: string, seq: number): void {
    const d = this.#createUacDialog(origin, res, toTag, 'confirmed');
    if (d === undefined) return;
    this.#sendAckFor(d, seq);
    d.request('BYE');
  }

  /** https://www.rfc-editor.org/rfc/rfc3261#section-17.1.1.3 : ACK for a 300-699, same branch as the INVITE. */
  #non2xxAck(invite: StackRequest, res: StackResponse): Buffer {
    const cseq = parseCSeq(getHeader(invite, 'cseq'));
    const headers: [string, string][] = [
      ['Via', getHeaderValues(invite, 'via')[0] ?? ''],
      ['Max-Forwards', '70'],
      ['From', getHeader(invite, 'from') ?? ''],
      ['To', getHeader(res, 'to') ?? ''],
      ['Call-ID', getHeader(invite, 'call-id') ?? ''],
      ['CSeq', `${cseq?.seq ?? 1} ACK`],
    ];
    for (const f of invite.headers) if (f.key === 'route') headers.push([f.name, f.value]);
    return serializeWire(makeRequest('ACK', invite.uri, headers, Buffer.alloc(0)));
  }

  /** https://www.rfc-editor.org/rfc/rfc3261#section-9.1 : CANCEL mirrors the INVITE (same branch, CSeq number). */
  #sendCancel(handle: ClientTransactionImpl, record: ClientRecord): void {
    if (handle.cancelSent || handle.final !== undefined) return;
    handle.cancelSent = true;
    const invite = handle.request;
    const cseq = parseCSeq(getHeader(invite, 'cseq'));
    const headers: [string, string][] = [
      ['Via', getHeaderValues(invite, 'via')[0] ?? ''],
      ['Max-Forwards', '70'],
      ['From', getHeader(invite, 'from') ?? ''],
      ['To', getHeader(invite, 'to') ?? ''],
      ['Call-ID', getHeader(invite, 'call-id') ?? ''],
      ['CSeq', `${cseq?.seq ?? 1} CANCEL`],
    ];
    for (const f of invite.headers) if (f.key === 'route') headers.push([f.name, f.value]);
    const cancel = makeRequest('CANCEL', invite.uri, headers, Buffer.alloc(0));
    this.#startClient(cancel, handle.transport, handle.remote, undefined);
    // https://www.rfc-editor.org/rfc/rfc3261#section-9.1 : no final 64*T1 after CANCEL -> consider it cancelled.
    handle.cancelTimer = this.clock.setTimeout(() => {
      handle.cancelTimer = undefined;
      if (handle.final !== undefined) return;
      record.tx.dispose();
      handle.finish(
        synthResponse(invite, 408),
        new TransactionError(TransactionErrorCode.Timeout, 'no final response 64*T1 after CANCEL'),
      );
    }, 64 * this.timers.t1);
  }

  #onInviteResponse(handle: ClientTransactionImpl, status: number, res: StackResponse): void {
    const toTag = tagOf(getHeader(res, 'to'));
    if (status < 200) {
      handle.provisionalSeen = true;
      // https://www.rfc-editor.org/rfc/rfc3261#section-12.1.2 : a 1xx with a to-tag creates an early dialog.
      if (status > 100 && toTag !== undefined && handle.dialog === undefined) {
        const d = this.#createUacDialog(handle, res, toTag, 'early');
        if (d !== undefined) {
          handle.dialog = d;
          handle.events.emit('dialog', d);
        }
      }
      handle.events.emit('provisional', res);
      if (handle.cancelRequested) handle.onCancel?.();
      return;
    }
    if (status < 300) {
      this.#onInvite2xx(handle, res, toTag);
      return;
    }
    // 300-699: the transaction has sent the ACK; an early dialog ends.
    if (handle.dialog !== undefined && handle.dialog.state === 'early') handle.dialog.terminate('rejected');
    if (this.#retryWithCredentials(handle, res)) return;
    handle.finish(res);
  }

  /**
   * Answers a 401 / 407 by resending the request with Digest credentials (RFC 3261 section
   * 22.2 / 22.3): same Call-ID, From and To, CSeq + 1, a new branch. One retry, plus up to two
   * more when the server marks the nonce stale. Returns false when the response stands.
   */
  #retryWithCredentials(handle: ClientTransactionImpl, res: StackResponse): boolean {
    if ((res.status !== 401 && res.status !== 407) || handle.credentials.length === 0) return false;
    if (this.#closed || handle.cancelRequested || handle.final !== undefined) return false;
    const req = handle.request;
    const answers = authorizationHeaders(
      res,
      { method: req.method, uri: req.uri, body: req.body },
      handle.credentials,
    );
    if (answers.length === 0) return false;
    const stale = /stale\s*=\s*"?true/i.test(
      [...res.headers.getAll('www-authenticate'), ...res.headers.getAll('proxy-authenticate')].join(','),
    );
    // https://www.rfc-editor.org/rfc/rfc3261#section-22.2 : a second challenge means the credentials were refused.
    if (handle.authAttempts >= (stale ? 3 : 1)) return false;
    const cseq = parseCSeq(getHeader(req, 'cseq'));
    if (cseq === undefined) return false;
    const dialog = handle.inDialog;
    let seq = cseq.seq + 1;
    if (dialog !== undefined) {
      seq = Math.max(seq, (dialog.localSeq ?? 0) + 1);
      dialog.localSeq = seq;
    }
    const answered = new Set(answers.map(([n, v]) => `${n.toLowerCase()}\u0000${realmOf(v)}`));
    const headers: [string, string][] = [['Via', this.#viaFor(handle.transport, newBranch())]];
    for (const f of req.headers) {
      if (f.key === 'via' || f.key === 'content-length') continue;
      if (f.key === 'cseq') {
        headers.push([f.name, `${seq} ${req.method}`]);
        continue;
      }
      // Credentials for a realm challenged again are replaced; others are kept (RFC 3261 22.3).
      if (
        (f.key === 'authorization' || f.key === 'proxy-authorization') &&
        answered.has(`${f.key}\u0000${realmOf(f.value)}`)
      )
        continue;
      headers.push([f.name, f.value]);
    }
    headers.push(...answers);
    const retry = makeRequest(req.method, req.uri, headers, req.body);
    handle.authAttempts++;
    this.logger.debug({ status: res.status, method: req.method }, 'answering a digest challenge');
    const reinvite = req.method === 'INVITE' ? handle.inDialog : undefined;
    this.#startClient(retry, handle.transport, handle.remote, reinvite, handle);
    handle.events.emit('challenge', res, retry);
    return true;
  }

  #onInvite2xx(handle: ClientTransactionImpl, res: StackResponse, toTag: string | undefined): void {
    const cseq = parseCSeq(getHeader(res, 'cseq'));
    if (toTag === undefined || cseq === undefined) {
      this.logger.warn({}, '2xx to INVITE without to-tag or CSeq: dropped');
      return;
    }
    const callId = getHeader(res, 'call-id') ?? '';
    const fromTag = tagOf(getHeader(handle.request, 'from')) ?? '';
    let dialog = this.#dialogs.get(dialogKey(callId, fromTag, toTag));
    // The first 2xx: later ones reach #onLate2xx, the handle being let go at the final response.
    if (dialog === undefined) {
      if (handle.dialog?.state === 'confirmed') {
        // A 2xx from another fork after the dialog ended.
        this.#ackAndHangUp(handle, res, toTag, cseq.seq);
        return;
      }
      dialog = this.#createUacDialog(handle, res, toTag, 'confirmed');
      if (dialog === undefined) return;
      handle.dialog = dialog;
      handle.events.emit('dialog', dialog);
    } else {
      if (dialog.state === 'early') dialog.confirm();
      // https://www.rfc-editor.org/rfc/rfc3261#section-12.2.1.2 : a 2xx to a re-INVITE refreshes the remote target.
      const contact = getHeader(res, 'contact');
      const uri = contact === undefined ? undefined : parseNameAddr(splitCommas(contact)[0] ?? '')?.uri;
      if (uri !== undefined) dialog.remoteTarget = uri;
      if (handle.dialog === undefined) {
        handle.dialog = dialog;
        handle.events.emit('dialog', dialog);
      }
    }
    this.#ack2xx(dialog, cseq.seq);
    handle.finish(res);
    // https://www.rfc-editor.org/rfc/rfc3261#section-9.1 : a CANCEL lost the race: hang up.
    if (handle.cancelRequested) dialog.request('BYE');
  }

  #createUacDialog(
    origin: UacOrigin,
    res: StackResponse,
    toTag: string,
    state: 'early' | 'confirmed',
  ): DialogImpl | undefined {
    const req = origin.request;
    const callId = getHeader(req, 'call-id') ?? '';
    const from = getHeader(req, 'from') ?? '';
    const fromTag = tagOf(from) ?? '';
    const contact = getHeader(res, 'contact');
    const target = contact === undefined ? undefined : parseNameAddr(splitCommas(contact)[0] ?? '')?.uri;
    const cseq = parseCSeq(getHeader(req, 'cseq'));
    // https://www.rfc-editor.org/rfc/rfc3261#section-12.1.2 : route set = Record-Route reversed.
    const routeSet = getHeaderValues(res, 'record-route').reverse();
    const d = new DialogImpl(this, {
      id: { callId, localTag: fromTag, remoteTag: toTag },
      role: 'uac',
      state,
      localUri: from,
      remoteUri: getHeader(res, 'to') ?? '',
      remoteTarget: target ?? req.uri,
      routeSet,
      localSeq: cseq?.seq ?? 1,
      remoteSeq: undefined,
      transport: origin.transport.protocol,
      flow: origin.remote,
    });
    d.credentials = origin.credentials;
    this.#dialogs.set(d.key, d);
    this.stats.activeDialogs++;
    return d;
  }

  /** Next hop and the Request-URI / Route headers for an in-dialog request (RFC 3261 12.2.1.1). */
  #routeInDialog(dialog: DialogImpl): { uri: string; routes: string[]; next: string } {
    const first = dialog.routeSet[0];
    if (first === undefined) return { uri: dialog.remoteTarget, routes: [], next: dialog.remoteTarget };
    const firstUri = parseNameAddr(first)?.uri ?? first;
    if (/;lr\b/i.test(firstUri))
      return { uri: dialog.remoteTarget, routes: [...dialog.routeSet], next: firstUri };
    // Strict routing: Request-URI = first route, remote target appended (RFC 3261 12.2.1.1).
    return {
      uri: firstUri,
      routes: [...dialog.routeSet.slice(1), `<${dialog.remoteTarget}>`],
      next: firstUri,
    };
  }

  /**
   * The address an in-dialog request goes to: the first route or the remote target when it is a
   * literal IP (RFC 3261 12.2.1.1, 8.1.2). Over TCP with no route set, an open connection to the
   * dialog's flow is reused (RFC 3261 18.1.1); a non-IP target (e.g. `*.invalid` Contacts of
   * WebSocket-style clients) falls back to the flow, as symmetric response routing does.
   */
  #nextHop(
    dialog: DialogImpl,
    next: string,
  ): { transport: TransportProtocol; host: string; port: number } | undefined {
    const direct = uriDestination(next, dialog.transport);
    const flow = { transport: dialog.transport, host: dialog.flow.host, port: dialog.flow.port };
    if (direct === undefined) return dialog.routeSet.length === 0 ? flow : undefined;
    if (dialog.transport === 'tcp' && direct.transport === 'tcp' && dialog.routeSet.length === 0) {
      const t = this.#pickTransport('tcp', flow.host);
      if (t?.isConnected?.(flow) === true) return flow;
    }
    return direct;
  }

  #sendAckFor(dialog: DialogImpl, seq: number): void {
    const { uri, routes, next } = this.#routeInDialog(dialog);
    const dest = this.#nextHop(dialog, next);
    const transport = dest === undefined ? undefined : this.#pickTransport(dest.transport, dest.host);
    if (dest === undefined || transport === undefined) {
      this.logger.warn({ dialog: dialog.id, next }, 'cannot route ACK: no literal IP next hop or transport');
      return;
    }
    const headers: [string, string][] = [
      ['Via', this.#viaFor(transport, newBranch())],
      ['Max-Forwards', '70'],
      ['From', dialog.localUri],
      ['To', dialog.remoteUri],
      ['Call-ID', dialog.id.callId],
      ['CSeq', `${seq} ACK`],
    ];
    for (const r of routes) headers.push(['Route', r]);
    const ack = makeRequest('ACK', uri, headers, Buffer.alloc(0));
    const data = serializeWire(ack);
    const remote = { host: dest.host, port: dest.port };
    dialog.lastAck = { seq, data, transport, remote };
    this.#sendBytes(transport, data, remote);
  }

  requestInDialog(
    dialog: DialogImpl,
    method: string,
    extras: MessageExtras | undefined,
    evenIfTerminated = false,
  ): ClientTransaction {
    const { uri, routes, next } = this.#routeInDialog(dialog);
    const dest = this.#nextHop(dialog, next);
    const transport = dest === undefined ? undefined : this.#pickTransport(dest.transport, dest.host);
    if (method === 'ACK' || method === 'CANCEL') {
      throw new StackError(
        StackErrorCode.InvalidRequest,
        `${method} is sent by the stack, not through dialog.request()`,
      );
    }
    const refused = dialog.state === 'terminated' && !evenIfTerminated;
    const seq = (dialog.localSeq ?? Math.floor(Math.random() * 10_000)) + 1;
    dialog.localSeq = seq;
    const headers: [string, string][] = [
      ['Via', transport === undefined ? '' : this.#viaFor(transport, newBranch())],
      ['Max-Forwards', '70'],
      ['From', dialog.localUri],
      ['To', dialog.remoteUri],
      ['Call-ID', dialog.id.callId],
      ['CSeq', `${seq} ${method}`],
    ];
    for (const r of routes) headers.push(['Route', r]);
    if (transport !== undefined && TARGET_REFRESH.has(method))
      headers.push(['Contact', this.#contactFor(transport)]);
    if (this.#userAgent !== undefined) headers.push(['User-Agent', this.#userAgent]);
    mergeHeaders(headers, headersFrom(extras?.headers), OVERRIDABLE);
    const request = makeRequest(method, uri, headers, bodyFrom(extras?.body));
    if (refused) {
      const handle = new ClientTransactionImpl(
        request,
        undefined as unknown as Transport,
        { host: '', port: 0 },
        this.logger,
      );
      queueMicrotask(() =>
        handle.finish(
          synthResponse(request, 481),
          new TransactionError(TransactionErrorCode.Terminated, 'the dialog has terminated'),
        ),
      );
      return handle;
    }
    if (method === 'BYE') dialog.terminate('bye-sent');
    if (dest === undefined || transport === undefined) {
      const handle = new ClientTransactionImpl(
        request,
        undefined as unknown as Transport,
        { host: '', port: 0 },
        this.logger,
      );
      queueMicrotask(() =>
        handle.finish(
          synthResponse(request, 503),
          new TransactionError(TransactionErrorCode.TransportError, `cannot route to ${next}`),
        ),
      );
      return handle;
    }
    const handle = this.#startClient(
      request,
      transport,
      { host: dest.host, port: dest.port },
      method === 'INVITE' ? dialog : undefined,
    );
    handle.credentials = dialog.credentials;
    handle.inDialog = dialog;
    return handle;
  }

  forget(dialog: DialogImpl): void {
    if (this.#dialogs.get(dialog.key) === dialog) {
      this.#dialogs.delete(dialog.key);
      this.stats.activeDialogs--;
    }
  }

  // ---------------------------------------------------------------- receiving

  #onInbound(transport: Transport, inbound: InboundMessage): void {
    if (this.#closed) return;
    try {
      this.#events.emit('message', {
        direction: 'in',
        data: inbound.data,
        transport: transport.protocol,
        local: transport.local,
        remote: inbound.remote,
        at: this.clock.now(),
      });
      const parsed = parseWire(inbound.data, transport.reliable);
      if (!parsed.ok) {
        this.stats.garbage++;
        this.logger.debug({ remote: inbound.remote, error: parsed.error }, 'unparseable message');
        // RFC 4475 section 3.1.2: a request that does not parse gets 400 (505 for another
        // version) when a Via can be read; responses and the rest are dropped.
        if (parsed.error.status > 0)
          this.#rejectUnparsed(
            transport,
            inbound.data,
            inbound.remote,
            parsed.error.status,
            parsed.error.message,
          );
        return;
      }
      if (parsed.value.kind === 'response') this.#onResponse(parsed.value);
      else this.#onRequest(parsed.value, transport, inbound.remote);
    } catch (err) {
      this.logger.error({ err, remote: inbound.remote }, 'error while handling an inbound message');
    }
  }

  /** Answers a request the parser refused (or that was too large) statelessly, if it has a Via. */
  #rejectUnparsed(transport: Transport, data: Buffer, source: HostPort, status: number, why: string): void {
    try {
      const req = salvageRequest(data);
      if (req === undefined || req.method === 'ACK') return;
      const via = this.#stamp(req, source);
      if (via === undefined) return;
      this.logger.debug({ source, status, why }, 'refusing an unparseable request');
      this.#sendStateless(
        req,
        status,
        `${reasonPhrase(status)} (${why.slice(0, 80)})`,
        transport,
        via,
        source,
      );
    } catch (err) {
      this.logger.debug({ err, source }, 'could not answer an unparseable request');
    }
  }

  #onResponse(res: StackResponse): void {
    this.stats.responsesIn++;
    // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.3 : match on top Via branch + CSeq method.
    const via = parseVia(getHeaderValues(res, 'via')[0] ?? '');
    const cseq = parseCSeq(getHeader(res, 'cseq'));
    if (via === undefined || cseq === undefined) {
      this.stats.garbage++;
      return;
    }
    const branch = param(via.params, 'branch') ?? '';
    const record = this.#clients.get(`${branch}\u0000${cseq.method}`);
    if (record !== undefined) {
      record.tx.receiveResponse(res.status, res);
      return;
    }
    // https://www.rfc-editor.org/rfc/rfc6026#section-7.2 : a 2xx retransmission after the transaction ended
    // is matched to the dialog, which re-sends its ACK.
    if (cseq.method === 'INVITE' && res.status >= 200 && res.status < 300) {
      const d = this.#dialogs.get(
        dialogKey(
          getHeader(res, 'call-id') ?? '',
          tagOf(getHeader(res, 'from')) ?? '',
          tagOf(getHeader(res, 'to')) ?? '',
        ),
      );
      if (d?.lastAck !== undefined && d.lastAck.seq === cseq.seq) {
        this.#sendBytes(d.lastAck.transport, d.lastAck.data, d.lastAck.remote);
        return;
      }
    }
    this.logger.debug({ status: res.status, branch }, 'stray response dropped');
  }

  /** https://www.rfc-editor.org/rfc/rfc3261#section-18.2.2 : where a response goes. */
  #responseTarget(transport: Transport, via: ViaValue, source: HostPort): HostPort {
    if (transport.reliable) return source;
    const received = param(via.params, 'received');
    const rport = param(via.params, 'rport');
    const host = typeof received === 'string' ? received : via.host;
    // https://www.rfc-editor.org/rfc/rfc3581#section-4 : answer to the source port when rport is present.
    const port = typeof rport === 'string' && /^\d+$/.test(rport) ? Number(rport) : (via.port ?? 5060);
    return { host, port };
  }

  #stamp(req: StackRequest, source: HostPort): ViaValue | undefined {
    const top = req.headers.getList('via')[0];
    const via = top === undefined ? undefined : parseVia(top);
    if (via === undefined) return undefined;
    const params = via.params.filter(([k]) => k !== 'received' && k !== 'rport');
    const hadRport = param(via.params, 'rport') !== null;
    // https://www.rfc-editor.org/rfc/rfc3261#section-18.2.1 : add received when sent-by differs from the source.
    if (via.host !== source.host || hadRport) params.push(['received', source.host]);
    // https://www.rfc-editor.org/rfc/rfc3581#section-4 : fill in rport with the source port.
    if (hadRport) params.push(['rport', String(source.port)]);
    const stamped: ViaValue = { ...via, params };
    if (params.length !== via.params.length || hadRport) {
      req.headers.removeFirst('via');
      req.headers.prepend('Via', formatVia(stamped));
    }
    return stamped;
  }

  #sendStateless(
    req: StackRequest,
    status: number,
    reason: string,
    transport: Transport,
    via: ViaValue,
    source: HostPort,
  ): void {
    if (req.method === 'ACK') return;
    const res = synthResponse(req, status);
    const to = getHeader(res, 'to');
    if (to !== undefined && tagOf(to) === undefined) res.headers.set('To', withTag(to, newTag()));
    res.reason = reason.replace(/[^\x20-\x7e]/g, '');
    this.#sendBytes(transport, serializeWire(res), this.#responseTarget(transport, via, source));
  }

  #onRequest(req: StackRequest, transport: Transport, source: HostPort): void {
    this.stats.requestsIn++;
    const via = this.#stamp(req, source);
    if (via === undefined) {
      // No usable Via: there is nowhere to send a response (RFC 3261 18.2.2). Drop.
      this.stats.garbage++;
      this.logger.debug({ source }, 'request without a usable Via dropped');
      return;
    }
    // RFC 4475 section 3.1.2: a request whose header values break the grammar is answered 400
    // (505 for another SIP version), or dropped when the message model says so (status 0).
    const valid = validateMessage(req);
    if (!valid.ok) {
      this.stats.garbage++;
      if (valid.error.status > 0) {
        const why = `${reasonPhrase(valid.error.status)} (${valid.error.message})`;
        this.#sendStateless(req, valid.error.status, why, transport, via, source);
      }
      return;
    }
    // https://www.rfc-editor.org/rfc/rfc3261#section-8.1.1 : mandatory headers; missing -> 400 (RFC 3261 21.4.1).
    for (const h of ['from', 'to', 'call-id', 'cseq', 'max-forwards']) {
      if (getHeader(req, h) === undefined) {
        this.stats.garbage++;
        this.#sendStateless(req, 400, `Missing ${h} header`, transport, via, source);
        return;
      }
    }
    const cseq = parseCSeq(getHeader(req, 'cseq'));
    if (cseq === undefined || cseq.method !== req.method) {
      this.stats.garbage++;
      this.#sendStateless(req, 400, 'Bad CSeq', transport, via, source);
      return;
    }
    const mf = getHeader(req, 'max-forwards') ?? '';
    if (!/^\d{1,3}$/.test(mf.trim())) {
      this.stats.garbage++;
      this.#sendStateless(req, 400, 'Bad Max-Forwards', transport, via, source);
      return;
    }
    const branch = param(via.params, 'branch');
    const sentBy = `${via.host}:${via.port ?? 5060}`;
    const base =
      // RFC 4475 section 3.2.1: a bare magic cookie is no transaction id; match as RFC 2543 does.
      typeof branch === 'string' && branch.startsWith(BRANCH_COOKIE) && branch.length > BRANCH_COOKIE.length
        ? `${branch}\u0000${sentBy}`
        : // RFC 2543 peers: match on the request's identity (RFC 3261 17.2.3, simplified).
          `${getHeader(req, 'call-id')}\u0000${tagOf(getHeader(req, 'from'))}\u0000${cseq.seq}\u0000${sentBy}`;
    const method = req.method;
    const key = `${base}\u0000${method === 'ACK' ? 'INVITE' : method}`;
    const existing = this.#servers.get(key);
    if (existing !== undefined) {
      // https://www.rfc-editor.org/rfc/rfc3261#section-17.2.3 : retransmission or ACK for a non-2xx.
      if (method === 'ACK') {
        if (existing.tx instanceof InviteServerTransaction) {
          existing.tx.receiveAck();
          // https://www.rfc-editor.org/rfc/rfc6026#section-7.1 : an ACK in Accepted is the TU's (the dialog's).
          if (existing.tx.state === 'accepted') this.#onAck(req, cseq.seq);
        }
      } else {
        existing.tx.receiveRequest();
      }
      return;
    }
    if (method === 'ACK') {
      this.#onAck(req, cseq.seq);
      return;
    }
    const incoming = new IncomingRequestImpl(req, transport, source, this.logger);
    const record = this.#createServer(key, req, incoming, transport, via, source);
    if (Number(mf) === 0) {
      // https://www.rfc-editor.org/rfc/rfc3261#section-16.3 : Max-Forwards 0 -> 483 Too Many Hops.
      incoming.respond(483);
      return;
    }
    if (method === 'CANCEL') {
      this.#onCancel(incoming, `${base}\u0000INVITE`);
      return;
    }
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(req.uri)?.[1]?.toLowerCase();
    if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') {
      // https://www.rfc-editor.org/rfc/rfc3261#section-8.2.2.1 : 416 Unsupported URI Scheme (RFC 4475 3.3.2, 3.3.3).
      incoming.respond(416);
      return;
    }
    const unsupported = getHeaderValues(req, 'require').filter((t) => !this.#extensions.has(lower(t.trim())));
    if (unsupported.length > 0) {
      // https://www.rfc-editor.org/rfc/rfc3261#section-8.2.2.3 : 420 Bad Extension listing them (RFC 4475 3.3.5).
      incoming.respond(420, undefined, {
        headers: { Unsupported: unsupported.map((t) => t.trim()).join(', ') },
      });
      return;
    }
    if (this.#bodyTypes !== undefined && this.#refuseBody(req, incoming, this.#bodyTypes)) return;
    const toTag = tagOf(getHeader(req, 'to'));
    if (toTag !== undefined) {
      this.#onInDialog(record, incoming, toTag, cseq.seq);
      return;
    }
    if (!KNOWN_METHODS.includes(method)) {
      // https://www.rfc-editor.org/rfc/rfc3261#section-8.2.1 : unrecognised method -> 501.
      incoming.respond(501);
      return;
    }
    const outcome = this.#events.emitChecked('request', incoming);
    if (outcome.listeners === 0) {
      if (method === 'OPTIONS') incoming.respond(200, undefined, { headers: { Allow: ALLOW } });
      else incoming.respond(405, undefined, { headers: { Allow: ALLOW } });
    } else if (outcome.threw > 0 && !incoming.finalSent) {
      // The application failed before answering: answer 500 rather than leave the peer retransmitting.
      incoming.respond(500);
    }
    if (method === 'INVITE') this.#trying(record, incoming);
  }

  /**
   * https://www.rfc-editor.org/rfc/rfc3261#section-17.2.1 : 100 Trying for an INVITE, unless the
   * application already answered it while handling the event (then the 100 would only cost a
   * datagram). Sent right after the handler returns, so well within 200 ms.
   */
  #trying(record: ServerRecord, incoming: IncomingRequestImpl): void {
    if (incoming.responded || this.#closed || record.tx.state === 'terminated') return;
    record.tx.respond(100, serializeWire(this.#buildResponse(incoming, 100, undefined, undefined, false)));
  }

  #createServer(
    key: string,
    req: StackRequest,
    incoming: IncomingRequestImpl,
    transport: Transport,
    via: ViaValue,
    source: HostPort,
  ): ServerRecord {
    const ctx = { clock: this.clock, timers: this.timers, reliable: transport.reliable };
    const target = this.#responseTarget(transport, via, source);
    const self: { tx?: ServerRecord['tx'] } = {};
    const method = req.method;
    // Built in a separate scope so the transaction's callbacks do not retain the request.
    const user = this.#serverUser(key, method, transport, target, self);
    const tx =
      method === 'INVITE'
        ? new InviteServerTransaction<Buffer>(ctx, user)
        : new NonInviteServerTransaction<Buffer>(ctx, user);
    self.tx = tx;
    // Only an INVITE needs its request handle later (CANCEL, RFC 3261 9.2); others let it be collected.
    const record: ServerRecord = { key, tx, incoming: method === 'INVITE' ? incoming : undefined };
    this.#servers.set(key, record);
    this.stats.activeTransactions++;
    incoming.isFinal = () => tx.finalSent || tx.state === 'terminated';
    incoming.respondImpl = (status, reason, extras) =>
      this.#respond(record, incoming, status, reason, extras, transport, target);
    return record;
  }

  #serverUser(
    key: string,
    method: string,
    transport: Transport,
    target: HostPort,
    self: { tx?: ServerRecord['tx'] },
  ): {
    sendResponse(data: Buffer): void;
    onError(error: TransactionError): void;
    onTerminated(): void;
  } {
    return {
      sendResponse: (data: Buffer) => {
        this.#sendBytes(transport, data, target, (err) => self.tx?.transportError(err));
      },
      onError: (error: TransactionError) => {
        this.logger.debug({ code: error.code, method }, 'server transaction ended with an error');
      },
      onTerminated: () => {
        if (self.tx !== undefined && this.#servers.get(key)?.tx === self.tx) {
          this.#servers.delete(key);
          this.stats.activeTransactions--;
        }
      },
    };
  }

  #buildResponse(
    incoming: IncomingRequestImpl,
    status: number,
    reason: string | undefined,
    extras: MessageExtras | undefined,
    withToTag: boolean,
  ): StackResponse {
    const req = incoming.message;
    // https://www.rfc-editor.org/rfc/rfc3261#section-8.2.6.2 : copy Via, From, Call-ID, CSeq; To gets a tag.
    const headers: [string, string][] = [];
    for (const f of req.headers) if (f.key === 'via') headers.push(['Via', f.value]);
    headers.push(['From', getHeader(req, 'from') ?? '']);
    let to = getHeader(req, 'to') ?? '';
    if (withToTag && tagOf(to) === undefined) {
      incoming.localTag ??= newTag();
      to = withTag(to, incoming.localTag);
    }
    headers.push(['To', to]);
    headers.push(['Call-ID', getHeader(req, 'call-id') ?? '']);
    headers.push(['CSeq', getHeader(req, 'cseq') ?? '']);
    if (this.#userAgent !== undefined) headers.push(['Server', this.#userAgent]);
    return makeResponse(status, reason ?? reasonPhrase(status), headers, bodyFrom(extras?.body));
  }

  #respond(
    record: ServerRecord,
    incoming: IncomingRequestImpl,
    status: number,
    reason: string | undefined,
    extras: MessageExtras | undefined,
    transport: Transport,
    target: HostPort,
  ): DialogImpl | undefined {
    if (this.#closed || record.tx.finalSent || record.tx.state === 'terminated') return incoming.dialog;
    if (!Number.isInteger(status) || status < 100 || status > 699) {
      throw new StackError(StackErrorCode.InvalidStatus, `status ${status} is not 100-699`);
    }
    const req = incoming.message;
    incoming.responded = true;
    if (status >= 200) incoming.finalStatus = status;
    const res = this.#buildResponse(incoming, status, reason, extras, status !== 100);
    const isInvite = req.method === 'INVITE';
    if (status >= 200) record.incoming = undefined;
    const creates = isInvite && status > 100 && status < 300;
    if (creates) {
      // https://www.rfc-editor.org/rfc/rfc3261#section-12.1.1 : copy Record-Route, add Contact.
      for (const f of req.headers) if (f.key === 'record-route') res.headers.append(f.name, f.value);
      res.headers.append('Contact', this.#contactFor(transport));
    }
    mergeIntoHeaders(res.headers, headersFrom(extras?.headers), OVERRIDABLE);
    let dialog = incoming.dialog;
    if (creates && dialog === undefined)
      dialog = this.#createUasDialog(incoming, status < 200 ? 'early' : 'confirmed', transport);
    if (isInvite && status >= 200 && status < 300 && dialog !== undefined) {
      if (dialog.state === 'early') dialog.confirm();
      const seq = parseCSeq(getHeader(req, 'cseq'))?.seq ?? 0;
      const data = serializeWire(res);
      record.tx.respond(status, data);
      // https://www.rfc-editor.org/rfc/rfc3261#section-13.3.1.4 : the UAS core retransmits the 2xx until ACK.
      dialog.start2xxRetransmission(seq, () => this.#sendBytes(transport, data, target));
      return dialog;
    }
    if (isInvite && status >= 300 && dialog !== undefined && dialog.state === 'early') {
      dialog.terminate('rejected');
      dialog = undefined;
    }
    record.tx.respond(status, serializeWire(res));
    return dialog;
  }

  #createUasDialog(
    incoming: IncomingRequestImpl,
    state: 'early' | 'confirmed',
    transport: Transport,
  ): DialogImpl {
    const req = incoming.message;
    const callId = getHeader(req, 'call-id') ?? '';
    const from = getHeader(req, 'from') ?? '';
    incoming.localTag ??= newTag();
    const contact = getHeader(req, 'contact');
    const target = contact === undefined ? undefined : parseNameAddr(splitCommas(contact)[0] ?? '')?.uri;
    const d = new DialogImpl(this, {
      id: { callId, localTag: incoming.localTag, remoteTag: tagOf(from) ?? '' },
      role: 'uas',
      state,
      localUri: withTag(getHeader(req, 'to') ?? '', incoming.localTag),
      remoteUri: from,
      remoteTarget: target ?? `sip:${incoming.remote.host}:${incoming.remote.port}`,
      // https://www.rfc-editor.org/rfc/rfc3261#section-12.1.1 : route set = Record-Route in order.
      routeSet: getHeaderValues(req, 'record-route'),
      localSeq: undefined,
      remoteSeq: parseCSeq(getHeader(req, 'cseq'))?.seq,
      transport: transport.protocol,
      flow: incoming.remote,
    });
    this.#dialogs.set(d.key, d);
    this.stats.activeDialogs++;
    incoming.dialog = d;
    return d;
  }

  #onAck(ack: StackRequest, seq: number): void {
    // https://www.rfc-editor.org/rfc/rfc6026#section-8.4 : an ACK for a 2xx is matched at the dialog.
    const d = this.#dialogs.get(
      dialogKey(
        getHeader(ack, 'call-id') ?? '',
        tagOf(getHeader(ack, 'to')) ?? '',
        tagOf(getHeader(ack, 'from')) ?? '',
      ),
    );
    if (d === undefined) {
      this.logger.debug({}, 'ACK matching no transaction or dialog dropped');
      return;
    }
    d.receiveAck(ack, seq);
  }

  /** RFC 3261 section 8.2.3 content processing against `bodyTypes`; `true` when it answered. */
  #refuseBody(req: StackRequest, incoming: IncomingRequestImpl, types: readonly string[]): boolean {
    const contentType = lower(getHeader(req, 'content-type')?.split(';')[0]?.trim() ?? '');
    if (req.body.length > 0 && contentType !== '' && !types.includes(contentType)) {
      // https://www.rfc-editor.org/rfc/rfc3261#section-8.2.3 : 415 with Accept (RFC 4475 3.3.6).
      incoming.respond(415, undefined, { headers: { Accept: types.join(', ') } });
      return true;
    }
    const accept = getHeaderValues(req, 'accept').map((r) => lower(r.split(';')[0]?.trim() ?? ''));
    const admits = (type: string): boolean =>
      accept.some((r) => r === type || r === '*/*' || r === `${type.split('/')[0] ?? ''}/*`);
    if (req.method === 'INVITE' && accept.some((r) => r !== '') && !types.some(admits)) {
      // The answer must carry a body (SDP) of a type the request's Accept excludes (RFC 4475 3.3.15).
      incoming.respond(406, undefined, { headers: { Accept: types.join(', ') } });
      return true;
    }
    return false;
  }

  #onCancel(cancel: IncomingRequestImpl, inviteKey: string): void {
    const invite = this.#servers.get(inviteKey);
    // https://www.rfc-editor.org/rfc/rfc3261#section-9.2 : no matching INVITE transaction -> 481.
    if (invite === undefined) {
      cancel.respond(481);
      return;
    }
    cancel.respond(200);
    const target = invite.incoming;
    if (target !== undefined && !invite.tx.finalSent) {
      // https://www.rfc-editor.org/rfc/rfc3261#section-9.2 : the UAS answers the INVITE with 487.
      target.cancelled = true;
      target.respond(487);
      target.events.emit('cancel');
    }
  }

  #onInDialog(record: ServerRecord, incoming: IncomingRequestImpl, toTag: string, seq: number): void {
    const req = incoming.message;
    const dialog = this.#dialogs.get(
      dialogKey(getHeader(req, 'call-id') ?? '', toTag, tagOf(getHeader(req, 'from')) ?? ''),
    );
    if (dialog === undefined) {
      // https://www.rfc-editor.org/rfc/rfc3261#section-12.2.2 : no matching dialog -> 481.
      incoming.respond(481);
      return;
    }
    if (dialog.remoteSeq !== undefined && seq < dialog.remoteSeq) {
      // https://www.rfc-editor.org/rfc/rfc3261#section-12.2.2 : lower CSeq -> 500.
      incoming.respond(500, 'CSeq Out Of Order');
      return;
    }
    dialog.remoteSeq = seq;
    incoming.dialog = dialog;
    if (req.method === 'INVITE' || req.method === 'UPDATE') {
      // https://www.rfc-editor.org/rfc/rfc3261#section-12.2.2 : target refresh requests update the remote target.
      const contact = getHeader(req, 'contact');
      const uri = contact === undefined ? undefined : parseNameAddr(splitCommas(contact)[0] ?? '')?.uri;
      if (uri !== undefined) dialog.remoteTarget = uri;
    }
    const bye = req.method === 'BYE';
    if (dialog.hasRequestListener()) {
      if (dialog.dispatchRequest(incoming) && !incoming.finalSent) incoming.respond(500);
    } else if (bye || req.method === 'OPTIONS') incoming.respond(200);
    else incoming.respond(501);
    if (req.method === 'INVITE') this.#trying(record, incoming);
    if (bye) {
      if (!incoming.finalSent) incoming.respond(200);
      // https://www.rfc-editor.org/rfc/rfc3261#section-15.1.2 : the session ends with the 2xx to BYE
      // (a BYE answered 401 / 407 is retried with credentials in the same dialog).
      const st = incoming.finalStatus;
      if (st === undefined || (st >= 200 && st < 300)) dialog.terminate('bye-received');
    }
  }
}

/**
 * Starts a SIP stack: binds every `listen` address, then runs RFC 3261 transactions and dialogs
 * over them until {@link SipStack.close}.
 *
 * @example
 * ```ts
 * const stack = await createSipStack({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
 * stack.on('request', (req) => {
 *   if (req.method !== 'INVITE') return req.respond(405);
 *   const dialog = req.respond(200, 'OK', { headers: { 'Content-Type': 'application/sdp' }, body: sdp });
 *   dialog?.on('request', (r) => r.respond(200));
 * });
 * ```
 */
export async function createSipStack(options: SipStackOptions): Promise<SipStack> {
  const stack = new SipStackImpl(options);
  await stack.start(options);
  return stack;
}
