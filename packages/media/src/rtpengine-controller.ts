// Workspace consumers type-check this file from source: pull in the hand-written declaration.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient module declaration cannot be imported
/// <reference path="./types/rtpengine-client.d.ts" />
import rtpengineClient from 'rtpengine-client';
import { MediaError, MediaErrorCode } from './errors.js';
import { silentLogger, type Logger } from './logger.js';

/** ng commands this controller sends. */
export type NgCommand =
  | 'offer'
  | 'answer'
  | 'delete'
  | 'query'
  | 'list'
  | 'ping'
  | 'playMedia'
  | 'stopMedia'
  | 'blockMedia'
  | 'unblockMedia';

/** Options for {@link createRtpEngineController}. */
export interface RtpEngineControllerOptions {
  /** rtpengine's ng address (default `127.0.0.1`; IPv4 only). */
  readonly host?: string | undefined;
  /** rtpengine's ng port. */
  readonly port: number;
  /**
   * Local address for the client socket (default `127.0.0.1` when `host` is a loopback address,
   * else `0.0.0.0`: a socket bound to loopback cannot send to another host).
   */
  readonly localAddress?: string | undefined;
  /** Timeout of every command in ms (default 2000). */
  readonly timeoutMs?: number | undefined;
  /** Logger (default silent). */
  readonly logger?: Logger | undefined;
}

/** Common parameters of offer and answer. */
export interface OfferAnswerParams {
  /** SIP Call-ID. */
  readonly callId: string;
  /** From-tag: the party whose SDP this is. */
  readonly fromTag: string;
  /** To-tag: the other party (required for answer and for a re-bridge offer). */
  readonly toTag?: string | undefined;
  /** The SDP. */
  readonly sdp: string;
  /** ng `flags`, e.g. `['trust-address']`. */
  readonly flags?: readonly string[] | undefined;
  /** ng `replace`, e.g. `['origin', 'session-connection']`. */
  readonly replace?: readonly string[] | undefined;
  /** Extra ng keys, passed as they are (kebab-case as rtpengine expects). */
  readonly extra?: Readonly<Record<string, unknown>> | undefined;
}

/** Result of offer/answer: the rewritten SDP to pass on. */
export interface SdpResult {
  /** SDP pointing at rtpengine. */
  readonly sdp: string;
  /** The whole reply. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Parameters of delete. */
export interface DeleteParams {
  /** SIP Call-ID. */
  readonly callId: string;
  /** Delete only this tag's leg (and what it is bridged to). */
  readonly fromTag?: string | undefined;
  /** To-tag. */
  readonly toTag?: string | undefined;
  /** Seconds before the call is torn down (rtpengine's default is 30; 0 is immediate). */
  readonly deleteDelay?: number | undefined;
}

/** Per-stream figures from `query`. */
export interface QueryStream {
  /** rtpengine's local port for this stream. */
  readonly localPort: number | undefined;
  /** The endpoint rtpengine learnt or was told. */
  readonly endpoint: { readonly address: string; readonly port: number } | undefined;
  /** Packets received from this party on this stream. */
  readonly packets: number;
  /** Bytes received from this party (RTP headers included). */
  readonly bytes: number;
  /** Errors. */
  readonly errors: number;
}

/** One party (monologue) from `query`. */
export interface QueryTag {
  /** The tag. */
  readonly tag: string;
  /** The tag this party is bridged to, if any (`in dialogue with`, or the first subscription on 10.x). */
  readonly inDialogueWith: string | undefined;
  /** RTP streams of its media sections (RTCP streams excluded). */
  readonly streams: readonly QueryStream[];
  /** Sum of `packets` over `streams`. */
  readonly packets: number;
}

/** Typed view of a `query` reply. */
export interface QueryResult {
  /** Parties by tag. */
  readonly tags: Readonly<Record<string, QueryTag>>;
  /** Call totals for RTP (`totals.RTP`). */
  readonly totals: { readonly packets: number; readonly bytes: number; readonly errors: number };
  /** The whole reply. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Parameters of play-media. */
export interface PlayMediaParams {
  /** SIP Call-ID. */
  readonly callId: string;
  /** The party that hears the media. */
  readonly fromTag: string;
  /** Path of an audio file readable by rtpengine. */
  readonly file: string;
  /** Times to repeat (default 1). */
  readonly repeatTimes?: number | undefined;
}

/** Result of play-media / stop-media: done, or unsupported by this rtpengine build. */
export type PlayMediaResult =
  | {
      readonly supported: true;
      readonly durationMs: number | undefined;
      readonly raw: Readonly<Record<string, unknown>>;
    }
  | { readonly supported: false; readonly reason: string };

/** Parameters of {@link RtpEngineController.rebridge}. */
export interface RebridgeParams {
  /** Call-ID shared by all legs in rtpengine. */
  readonly callId: string;
  /** Tag of the party that stays (the customer, A). */
  readonly customerTag: string;
  /** Tag of the party that leaves (the transferor, B). */
  readonly oldTag: string;
  /** Tag of the new party (the transfer target, C). */
  readonly targetTag: string;
  /** The customer's current SDP (A's offer or answer as last seen). */
  readonly customerSdp: string;
  /**
   * Connects the target: receives the SDP to offer to C (it points at rtpengine) and returns C's
   * answer SDP (e.g. INVITE C and await 200 OK).
   */
  readonly connectTarget: (offerForTarget: string) => Promise<string>;
  /** Offer/answer flags. */
  readonly flags?: readonly string[] | undefined;
  /** Delete delay for the old leg in seconds (default 0: immediately). */
  readonly deleteDelay?: number | undefined;
}

/** Result of {@link RtpEngineController.rebridge}. */
export interface RebridgeResult {
  /** The SDP that was offered to the target. */
  readonly targetOfferSdp: string;
  /** The new SDP for the customer: re-INVITE A with it (its port changes). */
  readonly customerSdp: string;
}

const DEFAULT_TIMEOUT_MS = 2000;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Parses the reply of `query` (rtpengine's `tags -> medias -> streams` layout). */
export function parseQueryReply(raw: Readonly<Record<string, unknown>>): QueryResult {
  const tags: Record<string, QueryTag> = {};
  for (const [key, value] of Object.entries(obj(raw.tags))) {
    const tag = obj(value);
    const streams: QueryStream[] = [];
    for (const media of arr(tag.medias)) {
      for (const streamValue of arr(obj(media).streams)) {
        const stream = obj(streamValue);
        const flags = arr(stream.flags).map(str);
        if (flags.includes('RTCP')) continue;
        const endpoint = obj(stream.endpoint);
        const address = str(endpoint.address);
        const stats = obj(stream.stats);
        streams.push({
          localPort: typeof stream['local port'] === 'number' ? stream['local port'] : undefined,
          endpoint: address === undefined ? undefined : { address, port: num(endpoint.port) },
          packets: num(stats.packets),
          bytes: num(stats.bytes),
          errors: num(stats.errors),
        });
      }
    }
    tags[key] = {
      tag: str(tag.tag) ?? key,
      inDialogueWith: str(tag['in dialogue with']) ?? str(obj(arr(tag.subscriptions)[0]).tag),
      streams,
      packets: streams.reduce((acc, s) => acc + s.packets, 0),
    };
  }
  const rtp = obj(obj(raw.totals).RTP);
  return { tags, totals: { packets: num(rtp.packets), bytes: num(rtp.bytes), errors: num(rtp.errors) }, raw };
}

/**
 * A typed rtpengine ng client over `rtpengine-client`: every command has a timeout, late replies
 * and socket errors are logged instead of crashing the process, and failures are
 * {@link MediaError}s (`RTPENGINE_TIMEOUT`, `RTPENGINE_ERROR`, `RTPENGINE_CLOSED`, `SOCKET_ERROR`).
 * Create it with {@link createRtpEngineController}.
 */
export class RtpEngineController {
  private readonly client: InstanceType<typeof rtpengineClient.Client>;
  private readonly dest: { port: number; host: string };
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private closed = false;
  private readonly pending = new Set<(err: MediaError) => void>();

  private constructor(
    client: InstanceType<typeof rtpengineClient.Client>,
    options: RtpEngineControllerOptions,
  ) {
    this.client = client;
    this.dest = { port: options.port, host: options.host ?? '127.0.0.1' };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.logger = options.logger ?? silentLogger;
    // rtpengine-client emits 'error' for replies after the timeout and for socket errors;
    // without a listener Node would throw it.
    client.on('error', (err: unknown) => {
      this.logger.warn({ err }, 'rtpengine-client error (late reply or socket error)');
    });
  }

  /** The ng endpoint this controller talks to. */
  get target(): { readonly host: string; readonly port: number } {
    return this.dest;
  }

  /**
   * Sends one ng command and returns the reply. A reply with `result: error` rejects with
   * `RTPENGINE_ERROR` (the reason in the message and `detail.reason`).
   */
  async command(name: NgCommand, message: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    if (this.closed) throw new MediaError(MediaErrorCode.RTPENGINE_CLOSED, 'rtpengine controller is closed');
    const send = (): Promise<Record<string, unknown>> => {
      switch (name) {
        case 'offer':
          return this.client.offer(this.dest, message);
        case 'answer':
          return this.client.answer(this.dest, message);
        case 'delete':
          return this.client.delete(this.dest, message);
        case 'query':
          return this.client.query(this.dest, message);
        case 'list':
          return this.client.list(this.dest, message);
        case 'ping':
          return this.client.ping(this.dest, message);
        case 'playMedia':
          return this.client.playMedia(this.dest, message);
        case 'stopMedia':
          return this.client.stopMedia(this.dest, message);
        case 'blockMedia':
          return this.client.blockMedia(this.dest, message);
        case 'unblockMedia':
          return this.client.unblockMedia(this.dest, message);
        default: {
          const never: never = name;
          throw new MediaError(MediaErrorCode.INVALID_ARGUMENT, `unknown ng command ${String(never)}`);
        }
      }
    };
    let reply: Record<string, unknown>;
    try {
      reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
        // Our own guard in case the library's timer never fires (it is set per command).
        const guard = setTimeout(() => {
          this.pending.delete(abort);
          reject(this.timeoutError(name));
        }, this.timeoutMs + 250);
        const abort = (err: MediaError): void => {
          clearTimeout(guard);
          reject(err);
        };
        this.pending.add(abort);
        send().then(
          (value) => {
            clearTimeout(guard);
            this.pending.delete(abort);
            resolve(value);
          },
          (err: unknown) => {
            clearTimeout(guard);
            this.pending.delete(abort);
            reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
      });
    } catch (err) {
      if (err instanceof MediaError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (message.includes('timeout')) throw this.timeoutError(name, err);
      throw new MediaError(MediaErrorCode.SOCKET_ERROR, `rtpengine ${name} failed: ${message}`, {
        cause: err,
        detail: { command: name },
      });
    }
    if (reply.result === 'error') {
      const reason = str(reply['error-reason']) ?? 'unknown error';
      throw new MediaError(MediaErrorCode.RTPENGINE_ERROR, `rtpengine ${name}: ${reason}`, {
        detail: { command: name, reason },
      });
    }
    return reply;
  }

  private timeoutError(name: string, cause?: unknown): MediaError {
    return new MediaError(
      MediaErrorCode.RTPENGINE_TIMEOUT,
      `rtpengine ${name} got no reply from ${this.dest.host}:${this.dest.port} within ${this.timeoutMs} ms`,
      { cause, detail: { command: name } },
    );
  }

  private static offerAnswerMessage(params: OfferAnswerParams): Record<string, unknown> {
    const message: Record<string, unknown> = {
      ...params.extra,
      'call-id': params.callId,
      'from-tag': params.fromTag,
      sdp: params.sdp,
    };
    if (params.toTag !== undefined) message['to-tag'] = params.toTag;
    if (params.flags) message.flags = [...params.flags];
    if (params.replace) message.replace = [...params.replace];
    return message;
  }

  private static sdpOf(name: string, reply: Record<string, unknown>): SdpResult {
    const sdp = str(reply.sdp);
    if (sdp === undefined) {
      throw new MediaError(MediaErrorCode.RTPENGINE_ERROR, `rtpengine ${name} reply has no SDP`, {
        detail: { command: name },
      });
    }
    return { sdp, raw: reply };
  }

  /** `offer`: registers `fromTag`'s SDP and returns the SDP to send to the other party. */
  async offer(params: OfferAnswerParams): Promise<SdpResult> {
    return RtpEngineController.sdpOf(
      'offer',
      await this.command('offer', RtpEngineController.offerAnswerMessage(params)),
    );
  }

  /** `answer`: registers the answerer's SDP (`toTag` required) and returns the SDP for the offerer. */
  async answer(params: OfferAnswerParams & { readonly toTag: string }): Promise<SdpResult> {
    return RtpEngineController.sdpOf(
      'answer',
      await this.command('answer', RtpEngineController.offerAnswerMessage(params)),
    );
  }

  /** `delete`: tears down a call or one leg. */
  async delete(params: DeleteParams): Promise<Record<string, unknown>> {
    const message: Record<string, unknown> = { 'call-id': params.callId };
    if (params.fromTag !== undefined) message['from-tag'] = params.fromTag;
    if (params.toTag !== undefined) message['to-tag'] = params.toTag;
    if (params.deleteDelay !== undefined) message['delete-delay'] = params.deleteDelay;
    return this.command('delete', message);
  }

  /** `query`: per-tag packet counts and endpoints of a call. */
  async query(params: {
    readonly callId: string;
    readonly fromTag?: string | undefined;
  }): Promise<QueryResult> {
    const message: Record<string, unknown> = { 'call-id': params.callId };
    if (params.fromTag !== undefined) message['from-tag'] = params.fromTag;
    return parseQueryReply(await this.command('query', message));
  }

  /** `list`: Call-IDs of the calls rtpengine holds (up to `limit`, default 1000). */
  async list(params: { readonly limit?: number | undefined } = {}): Promise<string[]> {
    const reply = await this.command('list', { limit: params.limit ?? 1000 });
    return arr(reply.calls)
      .map((c) => str(c) ?? '')
      .filter((c) => c.length > 0);
  }

  /** `ping`: resolves when rtpengine answers `pong`. */
  async ping(): Promise<void> {
    const reply = await this.command('ping');
    if (reply.result !== 'pong') {
      throw new MediaError(MediaErrorCode.RTPENGINE_ERROR, `unexpected ping reply ${JSON.stringify(reply)}`);
    }
  }

  private static unsupported(err: unknown): PlayMediaResult | undefined {
    if (err instanceof MediaError && err.code === MediaErrorCode.RTPENGINE_ERROR) {
      const reason = typeof err.detail.reason === 'string' ? err.detail.reason : err.message;
      if (/unrecognized command|not supported|unsupported|no media player|not compiled/i.test(reason)) {
        return { supported: false, reason };
      }
    }
    return undefined;
  }

  /**
   * `play media`: plays a file to `fromTag` (ring-back, hold music). Returns `supported: false`
   * when this rtpengine build has no media player.
   */
  async playMedia(params: PlayMediaParams): Promise<PlayMediaResult> {
    try {
      const raw = await this.command('playMedia', {
        'call-id': params.callId,
        'from-tag': params.fromTag,
        file: params.file,
        'repeat-times': params.repeatTimes ?? 1,
      });
      return {
        supported: true,
        durationMs: typeof raw.duration === 'number' ? raw.duration : undefined,
        raw,
      };
    } catch (err) {
      const result = RtpEngineController.unsupported(err);
      if (result) return result;
      throw err;
    }
  }

  /** `stop media`: stops what {@link RtpEngineController.playMedia} started. */
  async stopMedia(params: { readonly callId: string; readonly fromTag: string }): Promise<PlayMediaResult> {
    try {
      const raw = await this.command('stopMedia', { 'call-id': params.callId, 'from-tag': params.fromTag });
      return { supported: true, durationMs: undefined, raw };
    } catch (err) {
      const result = RtpEngineController.unsupported(err);
      if (result) return result;
      throw err;
    }
  }

  /**
   * `block media`: stops forwarding the media `fromTag` sends (what it receives, and media played
   * to it, still flow), e.g. to keep the transferor's voice out of the ring-back a caller hears.
   */
  async blockMedia(params: { readonly callId: string; readonly fromTag: string }): Promise<void> {
    await this.command('blockMedia', { 'call-id': params.callId, 'from-tag': params.fromTag });
  }

  /** `unblock media`: undoes {@link RtpEngineController.blockMedia}. */
  async unblockMedia(params: { readonly callId: string; readonly fromTag: string }): Promise<void> {
    await this.command('unblockMedia', { 'call-id': params.callId, 'from-tag': params.fromTag });
  }

  /**
   * The transfer re-bridge as one operation (the sequence verified on rtpengine 10.5):
   * 1. `offer {call-id, from-tag: customer, to-tag: target, sdp: customerSdp}` gives the target's offer;
   * 2. `connectTarget(offer)` returns the target's answer;
   * 3. `answer {call-id, from-tag: customer, to-tag: target, sdp: answer}` gives the customer's new
   *    SDP (re-INVITE the customer with it: its port changes);
   * 4. `delete {call-id, from-tag: old, delete-delay: 0}` drops the old party.
   *
   * A re-offer without the to-tag, or a delete with the default 30 s delay, leaves the old party
   * connected or cuts target-to-customer audio. Errors carry `detail.step`.
   */
  async rebridge(params: RebridgeParams): Promise<RebridgeResult> {
    const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (err) {
        if (err instanceof MediaError) {
          throw new MediaError(err.code, `rebridge ${name}: ${err.message}`, {
            cause: err,
            detail: { ...err.detail, step: name },
          });
        }
        throw new MediaError(MediaErrorCode.RTPENGINE_ERROR, `rebridge ${name} failed`, {
          cause: err,
          detail: { step: name },
        });
      }
    };
    const base = { callId: params.callId, fromTag: params.customerTag, toTag: params.targetTag };
    const flags = params.flags ? { flags: params.flags } : {};
    const offered = await step('offer', () => this.offer({ ...base, ...flags, sdp: params.customerSdp }));
    const targetAnswer = await step('connectTarget', () => params.connectTarget(offered.sdp));
    const answered = await step('answer', () => this.answer({ ...base, ...flags, sdp: targetAnswer }));
    await step('delete', () =>
      this.delete({ callId: params.callId, fromTag: params.oldTag, deleteDelay: params.deleteDelay ?? 0 }),
    );
    return { targetOfferSdp: offered.sdp, customerSdp: answered.sdp };
  }

  /** Closes the client socket; pending commands reject with `RTPENGINE_CLOSED`. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new MediaError(MediaErrorCode.RTPENGINE_CLOSED, 'rtpengine controller closed');
    for (const abort of this.pending) abort(err);
    this.pending.clear();
    try {
      this.client.close();
    } catch (cause) {
      this.logger.debug({ err: cause }, 'rtpengine-client close failed');
    }
  }

  /**
   * Opens the client socket and resolves once it is bound (same as {@link createRtpEngineController}).
   *
   * @throws {@link MediaError} `SOCKET_ERROR` when the client socket cannot bind.
   */
  static async connect(options: RtpEngineControllerOptions): Promise<RtpEngineController> {
    // rtpengine-client 0.4.12 always opens a udp4 socket.
    if ((options.host ?? '').includes(':') || (options.localAddress ?? '').includes(':')) {
      throw new MediaError(
        MediaErrorCode.INVALID_ARGUMENT,
        'the ng control channel is IPv4 only (rtpengine-client uses udp4)',
      );
    }
    const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const client = new rtpengineClient.Client({
      localAddress: options.localAddress ?? defaultLocalAddress(options.host),
      localPort: 0,
      timeout,
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: unknown): void => {
        reject(
          new MediaError(MediaErrorCode.SOCKET_ERROR, 'rtpengine client socket failed to bind', {
            cause: err,
          }),
        );
      };
      client.once('error', onError);
      client.once('listening', () => {
        client.off('error', onError);
        resolve();
      });
    });
    return new RtpEngineController(client, options);
  }
}

/** Loopback for a loopback ng address (or none), every interface for any other host. */
function defaultLocalAddress(host: string | undefined): string {
  return host === undefined || host === '' || host === 'localhost' || host.startsWith('127.')
    ? '127.0.0.1'
    : '0.0.0.0';
}

/**
 * Creates an {@link RtpEngineController} once its UDP socket is bound.
 *
 * @throws {@link MediaError} `SOCKET_ERROR` when the client socket cannot bind, `INVALID_ARGUMENT`
 *   for an IPv6 ng address.
 */
export function createRtpEngineController(options: RtpEngineControllerOptions): Promise<RtpEngineController> {
  return RtpEngineController.connect(options);
}
