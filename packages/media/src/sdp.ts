import * as sdpTransform from 'sdp-transform';
import { MediaError, MediaErrorCode, type MediaResult } from './errors.js';
import { G711, type G711Codec } from './g711.js';

/** SDP media direction attribute (RFC 4566 section 6, RFC 3264 section 5.1). */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** Payload type used for RFC 4733 telephone-event when this package builds the offer. */
export const DEFAULT_TELEPHONE_EVENT_PT = 101;

/** Options for {@link buildOffer}. */
export interface OfferOptions {
  /** Connection address for `c=` and `o=` (IPv4 or IPv6 literal). */
  readonly address: string;
  /** RTP port for `m=audio`. */
  readonly port: number;
  /** Codecs in preference order (default `['PCMU', 'PCMA']`). */
  readonly codecs?: readonly G711Codec[] | undefined;
  /** Offer RFC 4733 telephone-event (default `true`). */
  readonly telephoneEvent?: boolean | undefined;
  /** Payload type for telephone-event (default {@link DEFAULT_TELEPHONE_EVENT_PT}). */
  readonly telephoneEventPayloadType?: number | undefined;
  /** Packetisation time in ms (default 20). */
  readonly ptime?: number | undefined;
  /** Direction (default `sendrecv`; `sendonly`/`inactive` put the peer on hold, RFC 3264 section 8.4). */
  readonly direction?: MediaDirection | undefined;
  /** `o=` session id (default: random). */
  readonly sessionId?: string | undefined;
  /** `o=` session version (default 1; increment it for every re-offer, RFC 3264 section 8). */
  readonly sessionVersion?: number | undefined;
  /** `o=` username (default `referkit`). */
  readonly username?: string | undefined;
}

/** Options for {@link answerOffer}. */
export interface AnswerOptions {
  /** Local connection address. */
  readonly address: string;
  /** Local RTP port. */
  readonly port: number;
  /** Codecs we accept, in our preference order (default `['PCMU', 'PCMA']`). */
  readonly codecs?: readonly G711Codec[] | undefined;
  /** Accept telephone-event when offered (default `true`). */
  readonly telephoneEvent?: boolean | undefined;
  /** Our wanted direction (default `sendrecv`); combined with the offer's per RFC 3264 section 6.1. */
  readonly direction?: MediaDirection | undefined;
  /** Packetisation time (default 20). */
  readonly ptime?: number | undefined;
  /** `o=` session id (default: random). */
  readonly sessionId?: string | undefined;
  /** `o=` session version (default 1). */
  readonly sessionVersion?: number | undefined;
  /** `o=` username (default `referkit`). */
  readonly username?: string | undefined;
}

/** The negotiated result of {@link answerOffer}. */
export interface Answer {
  /** The answer SDP text. */
  readonly sdp: string;
  /** The chosen codec. */
  readonly codec: G711Codec;
  /** Its payload type (as numbered by the offerer). */
  readonly payloadType: number;
  /** telephone-event payload type, when both sides support it. */
  readonly telephoneEventPayloadType: number | undefined;
  /** The direction of the answer. */
  readonly direction: MediaDirection;
  /** The offerer's media endpoint. */
  readonly remote: RemoteMedia;
}

/** The audio endpoint described by a remote SDP. */
export interface RemoteMedia {
  /** Connection address (media-level `c=` over session-level, RFC 4566 section 5.7). */
  readonly address: string;
  /** RTP port. */
  readonly port: number;
  /** First (preferred) G.711 payload type listed, or the first payload type when none is G.711. */
  readonly payloadType: number;
  /** The G.711 codec of `payloadType`, if it is one. */
  readonly codec: G711Codec | undefined;
  /** All G.711 codecs listed, in the peer's order, with their payload types. */
  readonly codecs: readonly { readonly codec: G711Codec; readonly payloadType: number }[];
  /** telephone-event payload type, if offered. */
  readonly telephoneEventPayloadType: number | undefined;
  /** Direction (media level over session level; default `sendrecv`). */
  readonly direction: MediaDirection;
  /** `a=ptime`, if present. */
  readonly ptime: number | undefined;
  /**
   * `true` when the SDP signals hold the RFC 2543 way (`c=0.0.0.0`); direction is then
   * reported as `inactive`-like by callers that care.
   */
  readonly nullAddress: boolean;
}

function randomSessionId(): string {
  return String(Math.floor(Math.random() * 1e9) + 1);
}

function isIpv6(address: string): boolean {
  return address.includes(':');
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}

interface BuildArgs {
  readonly address: string;
  readonly port: number;
  readonly payloads: readonly { pt: number; codec: string; rate: number }[];
  readonly fmtp: readonly { payload: number; config: string }[];
  readonly ptime: number;
  readonly direction: MediaDirection;
  readonly sessionId: string;
  readonly sessionVersion: number;
  readonly username: string;
}

function build(args: BuildArgs): string {
  const ipVer = isIpv6(args.address) ? 6 : 4;
  const description: sdpTransform.SessionDescription = {
    version: 0,
    origin: {
      username: args.username,
      sessionId: args.sessionId,
      sessionVersion: args.sessionVersion,
      netType: 'IN',
      ipVer,
      address: args.address,
    },
    name: '-',
    connection: { version: ipVer, ip: args.address },
    timing: { start: 0, stop: 0 },
    media: [
      {
        type: 'audio',
        port: args.port,
        protocol: 'RTP/AVP',
        payloads: args.payloads.map((p) => p.pt).join(' '),
        rtp: args.payloads.map((p) => ({ payload: p.pt, codec: p.codec, rate: p.rate })),
        fmtp: [...args.fmtp],
        ptime: args.ptime,
        direction: args.direction,
      },
    ],
  };
  return sdpTransform.write(description);
}

function checkEndpoint(address: string, port: number): MediaError | undefined {
  if (address.length === 0) {
    return new MediaError(MediaErrorCode.INVALID_ARGUMENT, 'SDP address is empty');
  }
  if (!validPort(port)) {
    return new MediaError(MediaErrorCode.INVALID_ARGUMENT, `invalid RTP port ${port}`, {
      detail: { port },
    });
  }
  return undefined;
}

/**
 * Builds an SDP offer for one G.711 audio stream (RFC 3264 section 5).
 *
 * @throws {@link MediaError} `INVALID_ARGUMENT` for a bad port, address or empty codec list.
 */
export function buildOffer(options: OfferOptions): string {
  const bad = checkEndpoint(options.address, options.port);
  if (bad) throw bad;
  const codecs = options.codecs ?? ['PCMU', 'PCMA'];
  if (codecs.length === 0) {
    throw new MediaError(MediaErrorCode.INVALID_ARGUMENT, 'an offer needs at least one codec');
  }
  const tePt = options.telephoneEventPayloadType ?? DEFAULT_TELEPHONE_EVENT_PT;
  const payloads: { pt: number; codec: string; rate: number }[] = codecs.map((c) => ({
    pt: G711[c].payloadType,
    codec: c,
    rate: 8000,
  }));
  const fmtp: { payload: number; config: string }[] = [];
  if (options.telephoneEvent ?? true) {
    payloads.push({ pt: tePt, codec: 'telephone-event', rate: 8000 });
    // RFC 4733 section 7.1.1: events 0-15 are the DTMF digits.
    fmtp.push({ payload: tePt, config: '0-16' });
  }
  return build({
    address: options.address,
    port: options.port,
    payloads,
    fmtp,
    ptime: options.ptime ?? 20,
    direction: options.direction ?? 'sendrecv',
    sessionId: options.sessionId ?? randomSessionId(),
    sessionVersion: options.sessionVersion ?? 1,
    username: options.username ?? 'referkit',
  });
}

function codecOf(name: string, rate: number | undefined): G711Codec | undefined {
  const upper = name.toUpperCase();
  if ((upper === 'PCMU' || upper === 'PCMA') && (rate === undefined || rate === 8000)) {
    return upper;
  }
  return undefined;
}

const DIRECTIONS: readonly string[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

function asDirection(value: string | undefined): MediaDirection | undefined {
  return value !== undefined && DIRECTIONS.includes(value) ? (value as MediaDirection) : undefined;
}

/**
 * Parses the first audio stream of an SDP into its media endpoint.
 *
 * Static payload types 0 and 8 count as PCMU/PCMA even without `a=rtpmap` (RFC 3551 section 6).
 */
export function parseRemoteMedia(sdp: string): MediaResult<RemoteMedia> {
  const session = parseSession(sdp);
  return session.ok ? remoteMediaOf(session.value) : session;
}

function parseSession(sdp: string): MediaResult<sdpTransform.SessionDescription> {
  try {
    return { ok: true, value: sdpTransform.parse(sdp) };
  } catch (cause) {
    return { ok: false, error: new MediaError(MediaErrorCode.SDP_INVALID, 'unparsable SDP', { cause }) };
  }
}

/** {@link parseRemoteMedia} of an SDP already parsed by sdp-transform. */
function remoteMediaOf(session: sdpTransform.SessionDescription): MediaResult<RemoteMedia> {
  if (!Array.isArray(session.media)) {
    return { ok: false, error: new MediaError(MediaErrorCode.SDP_INVALID, 'SDP has no m= line') };
  }
  const audio = session.media.find((m) => m.type === 'audio' && m.port !== 0);
  if (!audio) {
    return {
      ok: false,
      error: new MediaError(MediaErrorCode.SDP_NO_AUDIO, 'SDP has no active audio stream'),
    };
  }
  const address = audio.connection?.ip ?? session.connection?.ip;
  if (address === undefined || address.length === 0) {
    // RFC 4566 section 5.7: c= is required at session level or in every m= section.
    return { ok: false, error: new MediaError(MediaErrorCode.SDP_INVALID, 'SDP has no c= line') };
  }
  // sdp-transform yields a number when a single payload is listed.
  const pts = String(audio.payloads ?? '')
    .split(/\s+/)
    .filter((p) => p.length > 0)
    .map(Number)
    .filter((n) => Number.isInteger(n));
  if (pts.length === 0) {
    return { ok: false, error: new MediaError(MediaErrorCode.SDP_INVALID, 'm=audio lists no payloads') };
  }
  const rtpmap = new Map((audio.rtp ?? []).map((r) => [r.payload, r] as const));
  const codecs: { codec: G711Codec; payloadType: number }[] = [];
  let telephoneEventPayloadType: number | undefined;
  for (const pt of pts) {
    const map = rtpmap.get(pt);
    let codec: G711Codec | undefined;
    if (map) {
      codec = codecOf(map.codec, map.rate);
      if (map.codec.toLowerCase() === 'telephone-event' && (map.rate ?? 8000) === 8000) {
        telephoneEventPayloadType ??= pt;
      }
    } else if (pt === 0) {
      codec = 'PCMU';
    } else if (pt === 8) {
      codec = 'PCMA';
    }
    if (codec) codecs.push({ codec, payloadType: pt });
  }
  const first = codecs[0];
  const direction = asDirection(audio.direction) ?? asDirection(session.direction) ?? 'sendrecv';
  return {
    ok: true,
    value: {
      address,
      port: audio.port,
      payloadType: first?.payloadType ?? (pts[0] as number),
      codec: first?.codec,
      codecs,
      telephoneEventPayloadType,
      direction,
      ptime: audio.ptime,
      nullAddress: address === '0.0.0.0',
    },
  };
}

/**
 * Adds G.711 codecs to the first active audio stream of an SDP where it does not list them yet,
 * after the payloads it has (static payload types 0 and 8 with their `a=rtpmap`, RFC 3551
 * section 6). Everything else in the SDP is kept.
 *
 * A B2BUA offers a new leg its own codec set rather than what the other leg negotiated; without
 * transcoding the new leg may then pick a codec the other leg cannot decode ("no audio after
 * transfer").
 */
export function withG711Codecs(sdp: string, codecs: readonly G711Codec[]): MediaResult<string> {
  const parsedSession = parseSession(sdp);
  if (!parsedSession.ok) return parsedSession;
  const session = parsedSession.value;
  const parsed = remoteMediaOf(session);
  if (!parsed.ok) return parsed;
  // remoteMediaOf found this stream: the first active audio one.
  const audio = session.media.find((m) => m.type === 'audio' && m.port !== 0)!;
  const listed = new Set(parsed.value.codecs.map((c) => c.codec));
  const payloads = String(audio.payloads ?? '')
    .split(/\s+/)
    .filter((p) => p.length > 0);
  const taken = new Set(payloads.map(Number));
  let changed = false;
  for (const codec of codecs) {
    const { payloadType, clockRate } = G711[codec];
    if (listed.has(codec) || taken.has(payloadType)) continue;
    payloads.push(String(payloadType));
    taken.add(payloadType);
    audio.rtp = [...(audio.rtp ?? []), { payload: payloadType, codec, rate: clockRate }];
    changed = true;
  }
  if (!changed) return { ok: true, value: sdp };
  audio.payloads = payloads.join(' ');
  return { ok: true, value: sdpTransform.write(session) };
}

/** The direction as seen from the other side (sendonly and recvonly swap, RFC 3264 section 6.1). */
export function reverseDirection(direction: MediaDirection): MediaDirection {
  switch (direction) {
    case 'sendonly':
      return 'recvonly';
    case 'recvonly':
      return 'sendonly';
    case 'sendrecv':
    case 'inactive':
      return direction;
    default: {
      const never: never = direction;
      return never;
    }
  }
}

/**
 * The answer direction for an offered direction and the answerer's wish (RFC 3264 section 6.1):
 * sendonly is answered recvonly (or inactive), recvonly sendonly (or inactive), inactive inactive.
 */
export function answerDirection(offered: MediaDirection, wanted: MediaDirection): MediaDirection {
  const canSend = offered === 'sendrecv' || offered === 'recvonly';
  const canRecv = offered === 'sendrecv' || offered === 'sendonly';
  const wantSend = wanted === 'sendrecv' || wanted === 'sendonly';
  const wantRecv = wanted === 'sendrecv' || wanted === 'recvonly';
  const send = canSend && wantSend;
  const recv = canRecv && wantRecv;
  if (send && recv) return 'sendrecv';
  if (send) return 'sendonly';
  if (recv) return 'recvonly';
  return 'inactive';
}

/**
 * Answers an SDP offer (RFC 3264 section 6): picks the first of our codecs the offer lists, keeps
 * the offerer's payload type numbers, accepts telephone-event if offered, and derives the direction.
 *
 * @returns `NO_COMMON_CODEC` when the offer lists none of our codecs; `SDP_INVALID` /
 *   `SDP_NO_AUDIO` for an offer we cannot read.
 */
export function answerOffer(offer: string, options: AnswerOptions): MediaResult<Answer> {
  const bad = checkEndpoint(options.address, options.port);
  if (bad) return { ok: false, error: bad };
  const parsed = parseRemoteMedia(offer);
  if (!parsed.ok) return parsed;
  const remote = parsed.value;
  const ours = options.codecs ?? ['PCMU', 'PCMA'];
  let chosen: { codec: G711Codec; payloadType: number } | undefined;
  for (const codec of ours) {
    chosen = remote.codecs.find((c) => c.codec === codec);
    if (chosen) break;
  }
  if (!chosen) {
    return {
      ok: false,
      error: new MediaError(
        MediaErrorCode.NO_COMMON_CODEC,
        `no common audio codec: offer has [${remote.codecs.map((c) => c.codec).join(', ') || 'none of PCMU/PCMA'}], we accept [${ours.join(', ')}]`,
        { detail: { offered: remote.codecs.map((c) => c.codec), accepted: [...ours] } },
      ),
    };
  }
  const tePt = (options.telephoneEvent ?? true) ? remote.telephoneEventPayloadType : undefined;
  const payloads: { pt: number; codec: string; rate: number }[] = [
    { pt: chosen.payloadType, codec: chosen.codec, rate: 8000 },
  ];
  const fmtp: { payload: number; config: string }[] = [];
  if (tePt !== undefined) {
    payloads.push({ pt: tePt, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: tePt, config: '0-16' });
  }
  const direction = answerDirection(remote.direction, options.direction ?? 'sendrecv');
  const sdp = build({
    address: options.address,
    port: options.port,
    payloads,
    fmtp,
    ptime: options.ptime ?? 20,
    direction,
    sessionId: options.sessionId ?? randomSessionId(),
    sessionVersion: options.sessionVersion ?? 1,
    username: options.username ?? 'referkit',
  });
  return {
    ok: true,
    value: {
      sdp,
      codec: chosen.codec,
      payloadType: chosen.payloadType,
      telephoneEventPayloadType: tePt,
      direction,
      remote,
    },
  };
}
