import { EventEmitter } from 'node:events';
import {
  ToneDetector,
  createRtpSession,
  silentLogger,
  type AudioSource,
  type DtmfEvent,
  type G711Codec,
  type Logger,
  type MediaDirection,
  type RtpSession,
} from '@referkit/media';
import type {
  BodyAndContentType,
  Session,
  SessionDescriptionHandler,
  SessionDescriptionHandlerFactory,
  SessionDescriptionHandlerModifier,
} from 'sip.js';

/** Options of {@link createNodeSessionDescriptionHandlerFactory}. */
export interface NodeSdhOptions {
  /** Local address for RTP (default `127.0.0.1`). */
  readonly host?: string | undefined;
  /** Address written in SDP `c=`/`o=` (default the bound address), e.g. a public address. */
  readonly advertisedHost?: string | undefined;
  /** Codecs in preference order (default `['PCMU', 'PCMA']`); telephone-event is always offered. */
  readonly codecs?: readonly G711Codec[] | undefined;
  /**
   * What to play into each call (default nothing). Called once per session; the source starts as
   * soon as the peer's address is known and the direction allows sending.
   */
  readonly audio?: ((session: Session) => AudioSource | undefined) | undefined;
  /** Tones the sink listens for (Hz, >= 100 Hz apart); default a 100-3900 Hz scan. */
  readonly toneCandidatesHz?: readonly number[] | undefined;
  /** Called with every handler created (e.g. to attach listeners before media flows). */
  readonly onCreated?: ((handler: NodeSessionDescriptionHandler, session: Session) => void) | undefined;
  /** Logger (default silent). */
  readonly logger?: Logger | undefined;
}

/**
 * Per-call options SIP.js passes through `sessionDescriptionHandlerOptions` (of `invite()`,
 * `accept()`, or a re-INVITE).
 */
export interface NodeSdhCallOptions {
  /** Offer (or answer) `sendonly` to put the peer on hold (RFC 3264 section 8.4). */
  readonly hold?: boolean | undefined;
  /** Offer `inactive` instead of `sendonly` while holding. */
  readonly inactive?: boolean | undefined;
}

/** Events of {@link NodeSessionDescriptionHandler}. */
export interface NodeSdhEvents {
  /** A DTMF digit received as RFC 4733 telephone-event. */
  dtmf: [event: DtmfEvent];
  /** Negotiation finished: the current direction and remote endpoint. */
  negotiated: [state: { readonly direction: MediaDirection; readonly remote: string | undefined }];
  /** The handler closed (the session ended). */
  close: [];
}

type OfferState = 'stable' | 'have-local-offer' | 'have-remote-offer';

class ClosedHandlerError extends Error {
  constructor() {
    super('session description handler is closed');
    this.name = 'ClosedSessionDescriptionHandlerError';
  }
}

/**
 * A SIP.js `SessionDescriptionHandler` doing real RTP with `@referkit/media`: SDP offer/answer
 * for PCMU/PCMA plus telephone-event, an audio source, a sink with tone detection
 * ({@link NodeSessionDescriptionHandler.detector}), RFC 4733 DTMF both ways, and hold through
 * `sendonly`/`inactive` re-offers (`session.invite({ sessionDescriptionHandlerOptions: { hold: true } })`).
 */
export class NodeSessionDescriptionHandler
  extends EventEmitter<NodeSdhEvents>
  implements SessionDescriptionHandler
{
  /** What the peer sends us, classified in 20 ms frames. */
  readonly detector: ToneDetector;
  private readonly options: NodeSdhOptions;
  private readonly logger: Logger;
  private readonly rtpReady: Promise<RtpSession>;
  private rtp: RtpSession | undefined;
  private state: OfferState = 'stable';
  private pendingAnswer: string | undefined;
  private lastRemote: string | undefined;
  private closed = false;
  private dtmfChain: Promise<void> = Promise.resolve();

  /** @internal Use {@link createNodeSessionDescriptionHandlerFactory}. */
  constructor(options: NodeSdhOptions, source: AudioSource | undefined) {
    super();
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.detector = new ToneDetector(
      options.toneCandidatesHz ? { candidatesHz: options.toneCandidatesHz } : {},
    );
    this.rtpReady = createRtpSession({ host: options.host ?? '127.0.0.1', logger: this.logger }).then(
      (rtp) => {
        if (this.closed) {
          void rtp.close();
          throw new ClosedHandlerError();
        }
        this.rtp = rtp;
        rtp.on('audio', (pcm) => this.detector.push(pcm));
        rtp.on('dtmf', (event) => this.emit('dtmf', event));
        if (source) rtp.play(source);
        return rtp;
      },
    );
    // Errors surface through getDescription/setDescription; do not crash on an early close.
    this.rtpReady.catch(() => undefined);
  }

  /** The RTP session, once bound (undefined before the first offer/answer and after close). */
  get rtpSession(): RtpSession | undefined {
    return this.rtp;
  }

  /** Resolves with the RTP session once its socket is bound. */
  ready(): Promise<RtpSession> {
    return this.rtpReady;
  }

  /** `true` after {@link NodeSessionDescriptionHandler.close}. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Replaces what is played (`undefined` stops audio; silence keeps the stream alive). */
  play(source: AudioSource | undefined): void {
    if (this.rtp && !this.rtp.isClosed) this.rtp.play(source);
    else void this.rtpReady.then((rtp) => rtp.play(source)).catch(() => undefined);
  }

  /** Stops RTP and releases the socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const rtp = this.rtp;
    this.rtp = undefined;
    if (rtp) {
      rtp.close().catch((err: unknown) => this.logger.warn({ err }, 'rtp close failed'));
    }
    this.emit('close');
  }

  /** Our offer, or our answer to the offer given to {@link NodeSessionDescriptionHandler.setDescription}. */
  async getDescription(
    options?: NodeSdhCallOptions & object,
    modifiers?: SessionDescriptionHandlerModifier[],
  ): Promise<BodyAndContentType> {
    const rtp = await this.live();
    let sdp: string;
    let type: 'offer' | 'answer';
    if (this.state === 'have-remote-offer' && this.pendingAnswer !== undefined) {
      sdp = this.pendingAnswer;
      type = 'answer';
      this.pendingAnswer = undefined;
      this.state = 'stable';
      this.emitNegotiated(rtp);
    } else {
      const direction: MediaDirection = options?.hold
        ? options.inactive
          ? 'inactive'
          : 'sendonly'
        : 'sendrecv';
      sdp = this.advertise(
        rtp.localOffer({ direction, ...(this.options.codecs ? { codecs: this.options.codecs } : {}) }),
      );
      type = 'offer';
      this.state = 'have-local-offer';
    }
    sdp = await applyModifiers(type, sdp, modifiers);
    return { body: sdp, contentType: 'application/sdp' };
  }

  /** Applies the peer's answer to our offer, or takes the peer's offer and prepares our answer. */
  async setDescription(
    sdp: string,
    options?: NodeSdhCallOptions & object,
    modifiers?: SessionDescriptionHandlerModifier[],
  ): Promise<void> {
    const rtp = await this.live();
    if (this.state === 'have-local-offer') {
      const answer = await applyModifiers('answer', sdp, modifiers);
      const applied = rtp.applyAnswer(answer);
      if (!applied.ok) throw applied.error;
      this.state = 'stable';
      this.lastRemote = sdp;
      this.emitNegotiated(rtp);
      return;
    }
    if (this.state === 'stable' && sdp === this.lastRemote) return; // the same answer again (18x then 2xx)
    const offer = await applyModifiers('offer', sdp, modifiers);
    const wanted: MediaDirection = options?.hold ? (options.inactive ? 'inactive' : 'sendonly') : 'sendrecv';
    const accepted = rtp.acceptOffer(offer, {
      direction: wanted,
      ...(this.options.codecs ? { codecs: this.options.codecs } : {}),
    });
    if (!accepted.ok) throw accepted.error;
    this.pendingAnswer = this.advertise(accepted.value.sdp);
    this.lastRemote = sdp;
    this.state = 'have-remote-offer';
  }

  /** Undoes a pending offer (SIP.js calls this when a re-INVITE fails). */
  rollbackDescription(): Promise<void> {
    this.state = 'stable';
    this.pendingAnswer = undefined;
    return Promise.resolve();
  }

  /** Only `application/sdp`. */
  hasDescription(contentType: string): boolean {
    return contentType.split(';')[0]?.trim().toLowerCase() === 'application/sdp';
  }

  /**
   * Sends DTMF as RFC 4733 telephone-events, one digit after the other. Returns `false` when a
   * character is not a DTMF digit or media is not up.
   *
   * @param tones - digits `0-9*#A-D`
   * @param options - `{ duration }` per digit in ms (default 100)
   */
  sendDtmf(tones: string, options?: unknown): boolean {
    const rtp = this.rtp;
    if (!rtp || !/^[0-9*#A-Da-d]+$/.test(tones)) return false;
    const duration =
      typeof options === 'object' &&
      options !== null &&
      typeof (options as { duration?: unknown }).duration === 'number'
        ? (options as { duration: number }).duration
        : 100;
    for (const digit of tones.toUpperCase()) {
      this.dtmfChain = this.dtmfChain
        .then(() => rtp.sendDtmf(digit, { durationMs: duration }))
        .catch((err: unknown) => this.logger.warn({ err, digit }, 'DTMF send failed'));
    }
    return true;
  }

  /** Resolves once every digit queued by {@link NodeSessionDescriptionHandler.sendDtmf} went out. */
  dtmfSent(): Promise<void> {
    return this.dtmfChain;
  }

  private async live(): Promise<RtpSession> {
    if (this.closed) throw new ClosedHandlerError();
    const rtp = await this.rtpReady;
    if (this.closed) throw new ClosedHandlerError();
    return rtp;
  }

  private advertise(sdp: string): string {
    const host = this.options.advertisedHost;
    const rtp = this.rtp;
    if (host === undefined || !rtp || host === rtp.local.address) return sdp;
    const family = host.includes(':') ? 'IP6' : 'IP4';
    return sdp.replace(
      /^(c|o)=(.*)IN IP[46] \S+$/gm,
      (_m, field: string, rest: string) => `${field}=${rest}IN ${family} ${host}`,
    );
  }

  private emitNegotiated(rtp: RtpSession): void {
    const remote = rtp.remote;
    this.emit('negotiated', {
      direction: rtp.direction,
      remote: remote ? `${remote.address}:${remote.port}` : undefined,
    });
  }
}

async function applyModifiers(
  type: 'offer' | 'answer',
  sdp: string,
  modifiers: SessionDescriptionHandlerModifier[] | undefined,
): Promise<string> {
  let description = { type, sdp };
  for (const modifier of modifiers ?? []) {
    const next = (await modifier(description)) as { sdp?: string | undefined };
    description = { type, sdp: next.sdp ?? description.sdp };
  }
  return description.sdp;
}

/**
 * A SIP.js `sessionDescriptionHandlerFactory` that gives every session a
 * {@link NodeSessionDescriptionHandler} (real RTP on loopback or the given host).
 *
 * @example
 * ```ts
 * const ua = new UserAgent({
 *   sessionDescriptionHandlerFactory: createNodeSessionDescriptionHandlerFactory({
 *     audio: () => createToneSource({ frequencyHz: 600 }),
 *     toneCandidatesHz: [600, 1000],
 *   }),
 *   // ...
 * });
 * ```
 */
export function createNodeSessionDescriptionHandlerFactory(
  options: NodeSdhOptions = {},
): SessionDescriptionHandlerFactory {
  return (session: Session): SessionDescriptionHandler => {
    const handler = new NodeSessionDescriptionHandler(options, options.audio?.(session));
    options.onCreated?.(handler, session);
    return handler;
  };
}
