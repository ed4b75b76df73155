import * as dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { silentLogger, type Logger } from '@referkit/media';
import { EmitterImpl, TransportState, type Transport } from 'sip.js';
import type { Emitter } from 'sip.js';
import { StreamFramer } from './framer.js';
import {
  cseqMethod,
  formatHost,
  formatSipText,
  getHeader,
  hasToTag,
  parseSipText,
  parseUriTarget,
  replaceTopVia,
  requestUri,
  setRequestUri,
  setViaParam,
  splitHeaderValues,
  topVia,
  viaParam,
  type SipText,
  type Via,
} from './sip-text.js';

/** Signalling transport protocol of a {@link NodeTransport}. */
export type NodeTransportProtocol = 'udp' | 'tcp' | 'tls';

/** A host and port. */
export interface NodeHostPort {
  /** Host name or IP literal (IPv6 without brackets). */
  readonly host: string;
  /** Port. */
  readonly port: number;
}

/** One SIP message crossing the transport, for logs and tests. */
export interface NodeTransportTrace {
  /** `in` for received, `out` for sent. */
  readonly direction: 'in' | 'out';
  /** The message as it went on (or came off) the wire. */
  readonly text: string;
  /** The peer. */
  readonly remote: NodeHostPort;
  /** `true` for a retransmission made by this transport (timers A, E, G). */
  readonly retransmission: boolean;
}

/** TLS settings (only for `protocol: 'tls'`). */
export interface NodeTransportTlsOptions {
  /** Server key (PEM) for accepting connections; without key and cert the transport only connects out. */
  readonly key?: string | Buffer | undefined;
  /** Server certificate (PEM). */
  readonly cert?: string | Buffer | undefined;
  /** Trusted CAs (PEM) for the peer's certificate. */
  readonly ca?: string | Buffer | undefined;
  /** Verify the peer's certificate (default `true`). */
  readonly rejectUnauthorized?: boolean | undefined;
  /** SNI / certificate name to check (default the target host). */
  readonly servername?: string | undefined;
}

/**
 * Options of {@link NodeTransport}, passed as SIP.js `transportOptions` (see
 * {@link createNodeUserAgent}, which fills in `viaHost` and `contactUser`).
 */
export interface NodeTransportOptions {
  /** `udp` (default), `tcp` or `tls`. */
  readonly protocol?: NodeTransportProtocol | undefined;
  /** Local address to bind (default `127.0.0.1`). */
  readonly host?: string | undefined;
  /** Local port (default 0: ephemeral). */
  readonly port?: number | undefined;
  /**
   * Outbound proxy (e.g. the SIP trunk): every request goes here. Without it requests go to the
   * top `Route` (loose routing) or the Request-URI host.
   */
  readonly server?: NodeHostPort | undefined;
  /** Host advertised in Via and Contact (default the bound address), e.g. a public address behind NAT. */
  readonly advertisedHost?: string | undefined;
  /** Port advertised in Via and Contact (default the bound port). */
  readonly advertisedPort?: number | undefined;
  /**
   * The `viaHost` given to the SIP.js UserAgent. SIP.js writes it as Via sent-by (without port)
   * and as Contact host; the transport swaps it for the real address on the way out and back on
   * the way in. Learnt from the first request when not given.
   */
  readonly viaHost?: string | undefined;
  /**
   * The UserAgent's Contact (or AOR) user. SIP.js answers 404 to a new request whose Request-URI
   * user is neither; when set, the transport rewrites that user on incoming out-of-dialog requests
   * (the dialled identity stays in `To`).
   */
  readonly contactUser?: string | undefined;
  /** T1 in ms (default 500). */
  readonly t1Ms?: number | undefined;
  /** T2 in ms (default 4000). */
  readonly t2Ms?: number | undefined;
  /**
   * In-dialog non-INVITE requests that SIP.js leaves unanswered this long (it drops a NOTIFY
   * arriving outside the Established state) get `481` from the transport. Default 2000 ms.
   */
  readonly unansweredRequestMs?: number | undefined;
  /** Longest wait on disconnect for requests still awaiting a final response (default 2000 ms). */
  readonly drainMs?: number | undefined;
  /** TLS settings. */
  readonly tls?: NodeTransportTlsOptions | undefined;
  /** Logger (pino-compatible; default silent). */
  readonly logger?: Logger | undefined;
  /** Called for every message in and out (including retransmissions). */
  readonly onTrace?: ((trace: NodeTransportTrace) => void) | undefined;
}

/** Counters of a {@link NodeTransport}. */
export interface NodeTransportStats {
  /** Messages sent (first transmissions). */
  readonly sent: number;
  /** Messages received. */
  readonly received: number;
  /** Request retransmissions (timers A and E). */
  readonly requestRetransmissions: number;
  /** Response retransmissions (timer G). */
  readonly responseRetransmissions: number;
  /** Datagrams or stream messages that were not SIP. */
  readonly malformed: number;
  /** In-dialog requests answered 481 by the transport because SIP.js dropped them. */
  readonly answeredForSipJs: number;
}

interface Retransmission {
  text: string;
  target: NodeHostPort;
  interval: number;
  readonly deadline: number;
  timer: NodeJS.Timeout | undefined;
  readonly kind: 'invite' | 'non-invite' | 'response';
}

interface PendingAnswer {
  readonly timer: NodeJS.Timeout;
  readonly request: SipText;
  readonly remote: NodeHostPort;
  readonly socket: net.Socket | undefined;
}

type StreamSocket = net.Socket;

const LOG_PREFIX = 'sipjs-node-transport';

/**
 * A SIP.js `Transport` for Node over UDP, TCP or TLS.
 *
 * - **UDP retransmission** per RFC 3261 section 17.1: an INVITE is resent at T1, 2T1, 4T1...
 *   (Timer A) and any other request at T1 doubling up to T2, then every T2 once a provisional
 *   arrived (Timer E), until a final response (any response for INVITE) or 64*T1. A non-2xx final
 *   response to an INVITE is resent until the ACK arrives (Timer G). SIP.js implements none of
 *   these.
 * - **SIP.js quirks**: SIP.js writes a fake `viaHost` without port as Via sent-by and Contact host,
 *   and drops responses whose Via has a port or another host; the transport puts the real
 *   address (and `rport`) on the wire and restores SIP.js's Via on responses. Responses with
 *   extra Via values below ours are trimmed. A non-100 provisional response to INVITE without
 *   Contact (which SIP.js would drop, losing the ringing event) gets a Contact naming its source.
 *   A new request for another Request-URI user (which SIP.js would answer 404) is re-addressed to
 *   `contactUser`. An in-dialog request SIP.js leaves unanswered is answered 481.
 * - **Routing**: requests go to `server` (outbound proxy) when set, else to the top Route or the
 *   Request-URI; UDP responses follow the Via (`received`/`rport`, RFC 3581), stream responses go
 *   back on the connection the request came on.
 * - **TCP/TLS** use Content-Length framing; connections are reused per peer.
 */
export class NodeTransport implements Transport {
  private readonly options: NodeTransportOptions;
  private readonly logger: Logger;
  private readonly kind: NodeTransportProtocol;
  private readonly t1: number;
  private readonly t2: number;
  private readonly emitter = new EmitterImpl<TransportState>();
  private currentState: TransportState = TransportState.Disconnected;
  private udp: dgram.Socket | undefined;
  private server: net.Server | undefined;
  private readonly connections = new Map<string, Promise<StreamSocket>>();
  private readonly openSockets = new Set<StreamSocket>();
  private readonly requestSockets = new Map<string, StreamSocket>();
  private readonly retransmissions = new Map<string, Retransmission>();
  private readonly pendingAnswers = new Map<string, PendingAnswer>();
  private readonly ownAnswers = new Map<string, { text: string; timer: NodeJS.Timeout }>();
  /** Requests SIP.js answered finally (kept 64 x T1): their retransmissions never get the 481 fallback. */
  private readonly answeredBySipJs = new Map<string, NodeJS.Timeout>();
  private viaHost: string | undefined;
  private draining = false;
  private readonly awaitingResponse = new Set<string>();
  private readonly inflightWrites = new Set<Promise<void>>();
  private bound: NodeHostPort | undefined;
  private readonly counters = {
    sent: 0,
    received: 0,
    requestRetransmissions: 0,
    responseRetransmissions: 0,
    malformed: 0,
    answeredForSipJs: 0,
  };

  /** Set by the SIP.js UserAgent. */
  onConnect: (() => void) | undefined;
  /** Set by the SIP.js UserAgent. */
  onDisconnect: ((error?: Error) => void) | undefined;
  /** Set by the SIP.js UserAgent. */
  onMessage: ((message: string) => void) | undefined;

  /**
   * SIP.js calls this as `new transportConstructor(logger, transportOptions)`.
   *
   * @param _sipjsLogger - SIP.js's own logger (unused: pass `options.logger`)
   * @param options - see {@link NodeTransportOptions}
   */
  constructor(_sipjsLogger: unknown, options: NodeTransportOptions = {}) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.kind = options.protocol ?? 'udp';
    this.t1 = options.t1Ms ?? 500;
    this.t2 = options.t2Ms ?? 4000;
    this.viaHost = options.viaHost;
  }

  /** `UDP`, `TCP` or `TLS`: what SIP.js writes in the Via. */
  get protocol(): string {
    return this.kind.toUpperCase();
  }

  /** Current state. */
  get state(): TransportState {
    return this.currentState;
  }

  /** State change emitter. */
  get stateChange(): Emitter<TransportState> {
    return this.emitter;
  }

  /** The bound local address (after connect). */
  get local(): NodeHostPort | undefined {
    return this.bound;
  }

  /** The address written into Via and Contact (after connect). */
  get advertised(): NodeHostPort | undefined {
    if (!this.bound) return undefined;
    return {
      host: this.options.advertisedHost ?? this.bound.host,
      port: this.options.advertisedPort ?? this.bound.port,
    };
  }

  /** Counters. */
  get stats(): NodeTransportStats {
    return { ...this.counters };
  }

  /** `true` when connected. */
  isConnected(): boolean {
    return this.currentState === TransportState.Connected;
  }

  /** Binds the socket (UDP) or starts listening (TCP, TLS with a certificate). */
  async connect(): Promise<void> {
    if (this.currentState === TransportState.Connected) return;
    this.transition(TransportState.Connecting);
    const host = this.options.host ?? '127.0.0.1';
    const port = this.options.port ?? 0;
    try {
      if (this.kind === 'udp') await this.bindUdp(host, port);
      else await this.listenStream(host, port);
    } catch (err) {
      this.transition(TransportState.Disconnected);
      throw err instanceof Error ? err : new Error(String(err));
    }
    this.transition(TransportState.Connected);
    this.onConnect?.();
  }

  /**
   * Closes every socket and stops every timer. Requests still waiting for a final response (a BYE
   * sent just before) get up to `drainMs` to complete first, retransmitted as needed.
   */
  async disconnect(): Promise<void> {
    if (this.currentState === TransportState.Disconnected) return;
    const wasConnected = this.currentState === TransportState.Connected;
    this.transition(TransportState.Disconnecting);
    if (wasConnected) await this.drain(this.options.drainMs ?? 2000);
    this.clearTimers();
    const closing: Promise<void>[] = [];
    if (this.udp) {
      const udp = this.udp;
      this.udp = undefined;
      closing.push(new Promise<void>((resolve) => udp.close(() => resolve())));
    }
    for (const socket of this.openSockets) socket.destroy();
    this.openSockets.clear();
    this.connections.clear();
    this.requestSockets.clear();
    if (this.server) {
      const server = this.server;
      this.server = undefined;
      closing.push(new Promise<void>((resolve) => server.close(() => resolve())));
    }
    await Promise.all(closing);
    this.transition(TransportState.Disconnected);
    this.onDisconnect?.();
  }

  private async drain(limitMs: number): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + limitMs;
    while ((this.awaitingResponse.size > 0 || this.inflightWrites.size > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.draining = false;
  }

  private get sendable(): boolean {
    return this.currentState === TransportState.Connected || this.draining;
  }

  /** Same as {@link NodeTransport.disconnect}. */
  async dispose(): Promise<void> {
    await this.disconnect();
  }

  /** Sends one message from SIP.js (rewriting Via/Contact, routing, arming retransmission). */
  async send(message: string): Promise<void> {
    if (!this.sendable) throw new Error(`transport is ${this.currentState}, cannot send`);
    const parsed = parseSipText(message);
    if (!parsed) throw new Error('refusing to send a message that is not SIP');
    if (parsed.method !== undefined) await this.sendRequest(parsed);
    else await this.sendResponse(parsed);
  }

  // ---- outgoing ----

  private async sendRequest(message: SipText): Promise<void> {
    const via = topVia(message);
    const advertised = this.advertised as NodeHostPort;
    if (via) {
      if (this.viaHost === undefined && via.port === undefined) this.viaHost = via.host;
      let rewritten: Via = { ...via, host: advertised.host, port: advertised.port };
      if (viaParam(rewritten, 'rport') === undefined) rewritten = setViaParam(rewritten, 'rport', null);
      replaceTopVia(message, rewritten);
    }
    this.rewriteContact(message);
    const target = await this.requestTarget(message);
    const text = formatSipText(message);
    const branch = via ? viaParam(via, 'branch') : undefined;
    if (message.method !== 'ACK' && typeof branch === 'string') {
      this.awaitingResponse.add(`${branch}|${message.method}`);
    }
    if (this.kind === 'udp' && message.method !== 'ACK' && via) {
      if (typeof branch === 'string') {
        this.arm(`${branch}|${message.method}`, {
          text,
          target,
          interval: this.t1,
          deadline: Date.now() + 64 * this.t1,
          timer: undefined,
          kind: message.method === 'INVITE' ? 'invite' : 'non-invite',
        });
      }
    }
    try {
      await this.write(text, target, undefined, false);
    } catch (err) {
      if (typeof branch === 'string') this.awaitingResponse.delete(`${branch}|${message.method}`);
      throw err;
    }
  }

  private async sendResponse(message: SipText): Promise<void> {
    this.rewriteContact(message);
    const via = topVia(message);
    if (!via) throw new Error('response without Via');
    const branch = viaParam(via, 'branch');
    const method = cseqMethod(message);
    const key = `${typeof branch === 'string' ? branch : ''}|${method ?? ''}`;
    const status = message.status ?? 0;
    if (status >= 200) {
      const pending = this.pendingAnswers.get(key);
      if (pending) {
        clearTimeout(pending.timer);
        this.pendingAnswers.delete(key);
      }
      // A retransmission of this request is SIP.js's to answer (its transaction resends this
      // response); the transport must never add a second, different final response.
      if (!this.answeredBySipJs.has(key)) {
        const timer = setTimeout(() => this.answeredBySipJs.delete(key), 64 * this.t1);
        timer.unref?.();
        this.answeredBySipJs.set(key, timer);
      }
    }
    const text = formatSipText(message);
    const target = this.responseTarget(via);
    if (this.kind !== 'udp') {
      const socket = this.requestSockets.get(key);
      if (status >= 200) this.requestSockets.delete(key);
      if (socket && !socket.destroyed) {
        await this.write(text, target, socket, false);
        return;
      }
    } else if (method === 'INVITE' && status >= 300 && typeof branch === 'string') {
      // Timer G (RFC 3261 section 17.2.1): resend the non-2xx final response until the ACK.
      const existing = this.retransmissions.get(`${branch}|response`);
      if (existing) existing.text = text;
      else {
        this.arm(`${branch}|response`, {
          text,
          target,
          interval: this.t1,
          deadline: Date.now() + 64 * this.t1,
          timer: undefined,
          kind: 'response',
        });
      }
    }
    await this.write(text, target, undefined, false);
  }

  private rewriteContact(message: SipText): void {
    const viaHost = this.viaHost;
    const advertised = this.advertised;
    if (viaHost === undefined || !advertised) return;
    const hostPort = `${formatHost(advertised.host)}:${advertised.port}`;
    const escaped = viaHost.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const hostPattern = new RegExp(`@${escaped}(?=[;>?]|$)`, 'g');
    for (const field of message.headers) {
      if (field.key !== 'contact') continue;
      field.value = field.value
        .replace(hostPattern, `@${hostPort}`)
        .replace(/;transport=ws\b/i, `;transport=${this.kind}`);
    }
  }

  private async requestTarget(message: SipText): Promise<NodeHostPort> {
    if (this.options.server) return this.options.server;
    const route = getHeader(message, 'route');
    const first = route === undefined ? undefined : splitHeaderValues(route)[0];
    const routeTarget = first === undefined ? undefined : parseUriTarget(first);
    const uri = requestUri(message);
    const target = routeTarget ?? (uri === undefined ? undefined : parseUriTarget(uri));
    if (!target) throw new Error(`cannot route request to ${uri ?? '(no Request-URI)'}`);
    const host = net.isIP(target.host) ? target.host : (await lookup(target.host)).address;
    return { host, port: target.port ?? (this.kind === 'tls' ? 5061 : 5060) };
  }

  private responseTarget(via: Via): NodeHostPort {
    const received = viaParam(via, 'received');
    const rport = viaParam(via, 'rport');
    const host = typeof received === 'string' && received.length > 0 ? received : via.host;
    const port =
      typeof rport === 'string' && /^\d+$/.test(rport)
        ? Number(rport)
        : (via.port ?? (this.kind === 'tls' ? 5061 : 5060));
    return { host, port };
  }

  // ---- retransmission (timers A, E, G) ----

  private arm(key: string, entry: Retransmission): void {
    const previous = this.retransmissions.get(key);
    if (previous?.timer) clearTimeout(previous.timer);
    this.retransmissions.set(key, entry);
    this.schedule(key, entry);
  }

  private schedule(key: string, entry: Retransmission): void {
    const wait = Math.min(entry.interval, Math.max(0, entry.deadline - Date.now()));
    entry.timer = setTimeout(() => {
      if (this.retransmissions.get(key) !== entry) return;
      if (Date.now() >= entry.deadline || !this.sendable) {
        this.retransmissions.delete(key);
        return;
      }
      if (entry.kind === 'response') this.counters.responseRetransmissions++;
      else this.counters.requestRetransmissions++;
      this.write(entry.text, entry.target, undefined, true).catch((err: unknown) => {
        this.logger.warn({ err, key }, `${LOG_PREFIX}: retransmission failed`);
      });
      entry.interval = entry.kind === 'invite' ? entry.interval * 2 : Math.min(entry.interval * 2, this.t2);
      this.schedule(key, entry);
    }, wait);
    entry.timer.unref?.();
  }

  private stopRetransmission(key: string): void {
    const entry = this.retransmissions.get(key);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    this.retransmissions.delete(key);
  }

  private clearTimers(): void {
    this.awaitingResponse.clear();
    for (const entry of this.retransmissions.values()) if (entry.timer) clearTimeout(entry.timer);
    this.retransmissions.clear();
    for (const pending of this.pendingAnswers.values()) clearTimeout(pending.timer);
    this.pendingAnswers.clear();
    for (const own of this.ownAnswers.values()) clearTimeout(own.timer);
    this.ownAnswers.clear();
    for (const timer of this.answeredBySipJs.values()) clearTimeout(timer);
    this.answeredBySipJs.clear();
  }

  // ---- incoming ----

  private receive(text: string, remote: NodeHostPort, socket: StreamSocket | undefined): void {
    this.counters.received++;
    this.options.onTrace?.({ direction: 'in', text, remote, retransmission: false });
    const message = parseSipText(text);
    if (!message) {
      this.counters.malformed++;
      this.logger.debug({ remote }, `${LOG_PREFIX}: dropping a datagram that is not SIP`);
      return;
    }
    if (message.method !== undefined) this.receiveRequest(message, remote, socket);
    else this.receiveResponse(message, remote);
  }

  private receiveRequest(message: SipText, remote: NodeHostPort, socket: StreamSocket | undefined): void {
    const via = topVia(message);
    if (!via) {
      this.counters.malformed++;
      return;
    }
    const branch = viaParam(via, 'branch');
    const branchText = typeof branch === 'string' ? branch : '';
    const method = message.method as string;
    if (method === 'ACK') this.stopRetransmission(`${branchText}|response`);
    const key = `${branchText}|${method === 'ACK' ? 'ACK' : (cseqMethod(message) ?? method)}`;

    const own = this.ownAnswers.get(key);
    if (own) {
      // A retransmission of a request the transport answered itself.
      this.write(own.text, remote, socket, true).catch(() => undefined);
      return;
    }

    // RFC 3261 section 18.2.1 and RFC 3581: note where the request really came from.
    let stamped: Via = via;
    if (this.kind === 'udp') {
      if (via.host !== remote.host) stamped = setViaParam(stamped, 'received', remote.host);
      if (viaParam(via, 'rport') === null) stamped = setViaParam(stamped, 'rport', String(remote.port));
      if (stamped !== via) replaceTopVia(message, stamped);
    } else if (socket) {
      this.requestSockets.set(key, socket);
      if (via.host !== remote.host) replaceTopVia(message, setViaParam(stamped, 'received', remote.host));
    }

    const inDialog = hasToTag(message);
    if (!inDialog && this.options.contactUser !== undefined) {
      const uri = requestUri(message);
      const target = uri === undefined ? undefined : parseUriTarget(uri);
      if (uri !== undefined && target && target.user !== this.options.contactUser) {
        setRequestUri(message, uri.replace(/^(sips?:)(?:[^@]*@)?/i, `$1${this.options.contactUser}@`));
        this.logger.debug({ uri }, `${LOG_PREFIX}: re-addressed a new request to the contact user`);
      }
    }
    if (
      inDialog &&
      method !== 'ACK' &&
      method !== 'INVITE' &&
      !this.pendingAnswers.has(key) &&
      !this.answeredBySipJs.has(key)
    ) {
      const timer = setTimeout(() => this.answerForSipJs(key), this.options.unansweredRequestMs ?? 2000);
      timer.unref?.();
      this.pendingAnswers.set(key, { timer, request: message, remote, socket });
    }
    this.deliver(formatSipText(message));
  }

  private answerForSipJs(key: string): void {
    const pending = this.pendingAnswers.get(key);
    if (!pending) return;
    this.pendingAnswers.delete(key);
    const copy = new Set(['via', 'from', 'to', 'call-id', 'cseq']);
    const response: SipText = {
      startLine: 'SIP/2.0 481 Call/Transaction Does Not Exist',
      headers: [
        ...pending.request.headers.filter((h) => copy.has(h.key)),
        { name: 'Content-Length', key: 'content-length', value: '0' },
      ],
      body: '',
      method: undefined,
      status: 481,
    };
    const text = formatSipText(response);
    this.counters.answeredForSipJs++;
    this.logger.warn(
      { method: pending.request.method, callId: getHeader(pending.request, 'call-id') },
      `${LOG_PREFIX}: SIP.js left an in-dialog request unanswered (session not established); answered 481`,
    );
    const timer = setTimeout(() => this.ownAnswers.delete(key), 64 * this.t1);
    timer.unref?.();
    this.ownAnswers.set(key, { text, timer });
    const via = topVia(pending.request);
    const target = this.kind === 'udp' && via ? this.responseTarget(via) : pending.remote;
    this.write(text, target, pending.socket, false).catch((err: unknown) => {
      this.logger.warn({ err }, `${LOG_PREFIX}: cannot send 481`);
    });
  }

  private receiveResponse(message: SipText, remote: NodeHostPort): void {
    const via = topVia(message);
    if (!via) {
      this.counters.malformed++;
      return;
    }
    const branch = viaParam(via, 'branch');
    const method = cseqMethod(message);
    const status = message.status ?? 0;
    if (typeof branch === 'string' && method !== undefined) {
      const key = `${branch}|${method}`;
      if (method === 'INVITE' || status >= 200) this.awaitingResponse.delete(key);
      const entry = this.retransmissions.get(key);
      if (entry) {
        if (entry.kind === 'invite' || status >= 200) this.stopRetransmission(key);
        else if (entry.kind === 'non-invite' && entry.interval < this.t2) {
          // Proceeding: keep retransmitting, every T2 (RFC 3261 section 17.1.2.2).
          entry.interval = this.t2;
        }
      }
    }
    // Restore the Via SIP.js wrote (it drops responses whose sent-by is not its viaHost).
    if (this.viaHost !== undefined) replaceTopVia(message, { ...via, host: this.viaHost, port: undefined });
    this.trimExtraVias(message);
    if (method === 'INVITE' && status > 100 && status < 200 && getHeader(message, 'contact') === undefined) {
      message.headers.push({
        name: 'Contact',
        key: 'contact',
        value: `<sip:${formatHost(remote.host)}:${remote.port};transport=${this.kind}>`,
      });
      this.logger.debug({ status }, `${LOG_PREFIX}: provisional response without Contact; added its source`);
    }
    this.deliver(formatSipText(message));
  }

  private trimExtraVias(message: SipText): void {
    let seen = false;
    for (let i = 0; i < message.headers.length; i++) {
      const field = message.headers[i] as SipText['headers'][number];
      if (field.key !== 'via') continue;
      if (seen) {
        message.headers.splice(i, 1);
        i--;
        continue;
      }
      seen = true;
      const values = splitHeaderValues(field.value);
      if (values.length > 1) field.value = values[0] as string;
    }
  }

  private deliver(text: string): void {
    try {
      this.onMessage?.(text);
    } catch (err) {
      this.logger.error({ err }, `${LOG_PREFIX}: SIP.js threw while handling a message`);
    }
  }

  // ---- sockets ----

  private async bindUdp(host: string, port: number): Promise<void> {
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (err) => this.logger.warn({ err }, `${LOG_PREFIX}: UDP socket error`));
    socket.on('message', (msg, rinfo) =>
      this.receive(msg.toString('utf8'), { host: rinfo.address, port: rinfo.port }, undefined),
    );
    const address = socket.address();
    this.udp = socket;
    this.bound = { host: address.address, port: address.port };
  }

  private async listenStream(host: string, port: number): Promise<void> {
    const tlsOptions = this.options.tls;
    const server =
      this.kind === 'tls'
        ? tls.createServer(
            {
              ...(tlsOptions?.key === undefined ? {} : { key: tlsOptions.key }),
              ...(tlsOptions?.cert === undefined ? {} : { cert: tlsOptions.cert }),
            },
            (socket) => this.adopt(socket),
          )
        : net.createServer((socket) => this.adopt(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err: Error) => this.logger.warn({ err }, `${LOG_PREFIX}: listener error`));
    const address = server.address() as net.AddressInfo;
    this.server = server;
    this.bound = { host: address.address, port: address.port };
  }

  private adopt(socket: StreamSocket): StreamSocket {
    this.openSockets.add(socket);
    const framer = new StreamFramer();
    const remote = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    this.connections.set(`${remote.host}|${remote.port}`, Promise.resolve(socket));
    socket.on('data', (chunk: Buffer) => {
      let messages: string[];
      try {
        messages = framer.push(chunk);
      } catch (err) {
        this.counters.malformed++;
        this.logger.warn({ err, remote }, `${LOG_PREFIX}: unframeable stream; closing it`);
        socket.destroy();
        return;
      }
      for (const text of messages) this.receive(text, remote, socket);
    });
    socket.on('error', (err) => this.logger.debug({ err, remote }, `${LOG_PREFIX}: connection error`));
    socket.on('close', () => {
      this.openSockets.delete(socket);
      const key = `${remote.host}|${remote.port}`;
      this.connections.delete(key);
      for (const [k, s] of this.requestSockets) if (s === socket) this.requestSockets.delete(k);
    });
    return socket;
  }

  private connectTo(target: NodeHostPort): Promise<StreamSocket> {
    const key = `${target.host}|${target.port}`;
    const existing = this.connections.get(key);
    if (existing) return existing;
    const connecting = new Promise<StreamSocket>((resolve, reject) => {
      const tlsOptions = this.options.tls;
      const socket =
        this.kind === 'tls'
          ? tls.connect({
              host: target.host,
              port: target.port,
              rejectUnauthorized: tlsOptions?.rejectUnauthorized ?? true,
              ...(tlsOptions?.ca === undefined ? {} : { ca: tlsOptions.ca }),
              ...(net.isIP(target.host) && tlsOptions?.servername === undefined
                ? {}
                : { servername: tlsOptions?.servername ?? target.host }),
            })
          : net.connect({ host: target.host, port: target.port });
      const onError = (err: Error): void => {
        this.connections.delete(key);
        reject(err);
      };
      socket.once('error', onError);
      socket.once(this.kind === 'tls' ? 'secureConnect' : 'connect', () => {
        socket.off('error', onError);
        this.adopt(socket);
        this.connections.set(key, connecting);
        resolve(socket);
      });
    });
    this.connections.set(key, connecting);
    return connecting;
  }

  private async write(
    text: string,
    target: NodeHostPort,
    socket: StreamSocket | undefined,
    retransmission: boolean,
  ): Promise<void> {
    const writing = this.writeNow(text, target, socket, retransmission);
    this.inflightWrites.add(writing);
    try {
      await writing;
    } finally {
      this.inflightWrites.delete(writing);
    }
  }

  private async writeNow(
    text: string,
    target: NodeHostPort,
    socket: StreamSocket | undefined,
    retransmission: boolean,
  ): Promise<void> {
    if (!retransmission) this.counters.sent++;
    this.options.onTrace?.({ direction: 'out', text, remote: target, retransmission });
    if (this.kind === 'udp') {
      const udp = this.udp;
      if (!udp) throw new Error('UDP socket closed');
      const data = Buffer.from(text, 'utf8');
      await new Promise<void>((resolve, reject) => {
        udp.send(data, target.port, target.host, (err) => (err ? reject(err) : resolve()));
      });
      return;
    }
    const stream = socket ?? (await this.connectTo(target));
    await new Promise<void>((resolve, reject) => {
      stream.write(text, 'utf8', (err) => (err ? reject(err) : resolve()));
    });
  }

  private transition(state: TransportState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emitter.emit(state);
  }
}
