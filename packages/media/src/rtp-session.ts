import { randomInt } from 'node:crypto';
import * as dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import { FRAME_SAMPLES, SAMPLE_RATE, type AudioSource } from './audio-source.js';
import { systemClock, type MediaClock } from './clock.js';
import { MediaError, MediaErrorCode } from './errors.js';
import { G711, decodeG711, encodeG711, g711ForPayloadType, type G711Codec } from './g711.js';
import { silentLogger, type Logger } from './logger.js';
import { parseRtp, serializeRtp, type RtpPacket } from './rtp-packet.js';
import { SourceTracker, type SourceStats } from './rtp-stats.js';
import type { MediaResult } from './errors.js';
import {
  answerDirection,
  answerOffer,
  buildOffer,
  parseRemoteMedia,
  type Answer,
  type MediaDirection,
  type RemoteMedia,
} from './sdp.js';
import {
  DTMF_EVENTS,
  dtmfEventCode,
  parseTelephoneEvent,
  serializeTelephoneEvent,
  type DtmfDigit,
  type DtmfEvent,
} from './telephone-event.js';

/** A UDP endpoint. */
export interface RtpEndpoint {
  /** IPv4 or IPv6 literal. */
  readonly address: string;
  /** UDP port. */
  readonly port: number;
}

/** Options for {@link createRtpSession}. */
export interface RtpSessionOptions {
  /** Local address to bind (default `127.0.0.1`). */
  readonly host?: string | undefined;
  /** Local port (default 0: ephemeral). */
  readonly port?: number | undefined;
  /** Where to send (can be set later with {@link RtpSession.setRemote}). */
  readonly remote?: RtpEndpoint | undefined;
  /** Codec to send (default `PCMU`). */
  readonly codec?: G711Codec | undefined;
  /** Payload type to send the codec with (default its static type). */
  readonly payloadType?: number | undefined;
  /** Payload type of RFC 4733 telephone-event (default 101). */
  readonly telephoneEventPayloadType?: number | undefined;
  /** Initial direction (default `sendrecv`). */
  readonly direction?: MediaDirection | undefined;
  /** SSRC (default random). */
  readonly ssrc?: number | undefined;
  /** Clock for pacing and jitter (default the system clock). */
  readonly clock?: MediaClock | undefined;
  /** Logger (default silent). */
  readonly logger?: Logger | undefined;
}

/** Send and receive counters of an {@link RtpSession}. */
export interface RtpSessionStats {
  /** What this session sent. */
  readonly sent: {
    /** RTP packets sent (audio and telephone-event). */
    readonly packets: number;
    /** Payload octets sent. */
    readonly octets: number;
    /** telephone-event packets among them. */
    readonly telephoneEventPackets: number;
    /** Frames the pacer skipped because the event loop was late by more than 100 ms. */
    readonly skippedFrames: number;
    /** Send errors reported by the socket. */
    readonly errors: number;
  };
  /** What this session received (RFC 3550 section 6.4.1 figures summed over sources). */
  readonly received: {
    /** RTP packets accepted. */
    readonly packets: number;
    /** Payload octets accepted. */
    readonly octets: number;
    /** Packets expected from the sequence numbers (A.3). */
    readonly expected: number;
    /** Packets lost (expected - received, A.3). */
    readonly lost: number;
    /** Interarrival jitter of the most recent source, in timestamp units (A.8). */
    readonly jitter: number;
    /** The same in milliseconds. */
    readonly jitterMs: number;
    /** Datagrams that were not valid RTP (counted and dropped). */
    readonly malformed: number;
    /** Valid packets dropped because the direction forbids receiving (hold). */
    readonly discarded: number;
    /** Packets rejected as sequence jumps (A.1). */
    readonly rejected: number;
    /** Per-source figures. */
    readonly sources: readonly SourceStats[];
  };
}

/** Events of {@link RtpSession}. */
export interface RtpSessionEvents {
  /** Every accepted RTP packet, with its sender. */
  packet: [packet: RtpPacket, from: RtpEndpoint];
  /** Decoded audio of every accepted G.711 packet (only decoded while someone listens). */
  audio: [pcm: Int16Array, packet: RtpPacket];
  /** A complete DTMF event (final packet received, RFC 4733 section 2.5.2.3). */
  dtmf: [event: DtmfEvent];
  /** A datagram that was not valid RTP. */
  malformed: [reason: string, from: RtpEndpoint];
  /** The playing source ended. */
  sourceEnded: [source: AudioSource];
  /** The session closed. */
  close: [];
}

interface PendingDtmf {
  readonly code: number;
  readonly durationSamples: number;
  readonly volume: number;
  readonly resolve: () => void;
  readonly reject: (err: MediaError) => void;
}

interface ActiveDtmf extends PendingDtmf {
  readonly timestamp: number;
  sentDuration: number;
  endPacketsSent: number;
}

const FRAME_MS = (FRAME_SAMPLES * 1000) / SAMPLE_RATE;
const MAX_BURST_FRAMES = 5;
const RESYNC_AFTER_MS = 100;
const END_PACKET_COPIES = 3;

function canSend(direction: MediaDirection): boolean {
  return direction === 'sendrecv' || direction === 'sendonly';
}

function canReceive(direction: MediaDirection): boolean {
  return direction === 'sendrecv' || direction === 'recvonly';
}

/**
 * One RTP stream over UDP: paces 20 ms G.711 frames from an {@link AudioSource}, sends RFC 4733
 * DTMF, receives and decodes audio, keeps RFC 3550 receive statistics, and honours the SDP
 * direction (hold). Create it with {@link createRtpSession}; always {@link RtpSession.close} it.
 */
export class RtpSession extends EventEmitter<RtpSessionEvents> {
  private readonly socket: dgram.Socket;
  private readonly localEndpoint: RtpEndpoint;
  private readonly clock: MediaClock;
  private readonly logger: Logger;
  private remoteEndpoint: RtpEndpoint | undefined;
  private codecName: G711Codec;
  private sendPayloadType: number;
  private tePayloadType: number;
  private dir: MediaDirection;
  /** SSRC of the packets this session sends. */
  readonly ssrc: number;
  private sequence: number;
  private timestamp: number;
  private source: AudioSource | undefined;
  private talkspurt = false;
  private readonly dtmfQueue: PendingDtmf[] = [];
  private activeDtmf: ActiveDtmf | undefined;
  private readonly lastDtmfEnded = new Map<number, number>();
  private timer: unknown;
  private pacing = false;
  private startMs = 0;
  private frameIndex = 0;
  private lastFrameMs: number | undefined;
  private closed = false;
  private readonly trackers = new Map<number, SourceTracker>();
  private lastSsrc: number | undefined;
  private readonly sdpSessionId = String(randomInt(1, 2 ** 31 - 1));
  private sdpVersion = 0;
  private offeredDirection: MediaDirection = 'sendrecv';
  private readonly sent = { packets: 0, octets: 0, telephoneEventPackets: 0, skippedFrames: 0, errors: 0 };
  private readonly recv = { malformed: 0, discarded: 0, rejected: 0 };

  /** @internal Use {@link createRtpSession}. */
  constructor(socket: dgram.Socket, options: RtpSessionOptions) {
    super();
    this.socket = socket;
    const bound = socket.address();
    this.localEndpoint = { address: bound.address, port: bound.port };
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.remoteEndpoint = options.remote;
    this.codecName = options.codec ?? 'PCMU';
    this.sendPayloadType = options.payloadType ?? G711[this.codecName].payloadType;
    this.tePayloadType = options.telephoneEventPayloadType ?? 101;
    this.dir = options.direction ?? 'sendrecv';
    this.ssrc = (options.ssrc ?? randomInt(0, 2 ** 32 - 1)) >>> 0;
    // RFC 3550 section 5.1: initial sequence number and timestamp SHOULD be random.
    this.sequence = randomInt(0, 0xffff);
    this.timestamp = randomInt(0, 2 ** 32 - 1);
    socket.on('message', (msg, rinfo) => this.onMessage(msg, { address: rinfo.address, port: rinfo.port }));
    socket.on('error', (err) => {
      this.logger.warn({ err }, 'rtp socket error');
    });
  }

  /** The bound local endpoint (still readable after close). */
  get local(): RtpEndpoint {
    return this.localEndpoint;
  }

  /** The current remote endpoint, if any. */
  get remote(): RtpEndpoint | undefined {
    return this.remoteEndpoint;
  }

  /** The current direction. */
  get direction(): MediaDirection {
    return this.dir;
  }

  /** The codec being sent. */
  get codec(): G711Codec {
    return this.codecName;
  }

  /** `true` after {@link RtpSession.close}. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Changes where packets go (e.g. after a re-INVITE); sequence, timestamp and SSRC continue. */
  setRemote(remote: RtpEndpoint | undefined): void {
    this.remoteEndpoint = remote;
    this.updatePacing();
  }

  /**
   * Changes the direction (RFC 3264 section 5.1): `sendonly` and `inactive` stop receiving
   * (packets are counted as discarded); `recvonly` and `inactive` stop sending.
   */
  setDirection(direction: MediaDirection): void {
    this.dir = direction;
    this.updatePacing();
  }

  /** Changes the codec (and payload type) being sent, e.g. after negotiation. */
  setCodec(codec: G711Codec, payloadType: number = G711[codec].payloadType): void {
    this.codecName = codec;
    this.sendPayloadType = payloadType;
  }

  /**
   * Plays `source` (replacing the current one); `undefined` stops sending audio. The first packet
   * after a start carries the marker bit (RFC 3551 section 4.1).
   */
  play(source: AudioSource | undefined): void {
    if (this.closed) throw new MediaError(MediaErrorCode.SESSION_CLOSED, 'RTP session is closed');
    this.source = source;
    this.talkspurt = false;
    this.updatePacing();
  }

  /**
   * Sends one DTMF digit as RFC 4733 telephone-events (update every 20 ms, final packet three
   * times, section 2.5.1.4). Audio pauses during the event. Resolves after the last packet.
   */
  sendDtmf(
    digit: string,
    options: { durationMs?: number | undefined; volume?: number | undefined } = {},
  ): Promise<void> {
    const code = dtmfEventCode(digit);
    if (code === undefined) {
      return Promise.reject(
        new MediaError(MediaErrorCode.INVALID_ARGUMENT, `not a DTMF digit: ${JSON.stringify(digit)}`),
      );
    }
    if (this.closed)
      return Promise.reject(new MediaError(MediaErrorCode.SESSION_CLOSED, 'RTP session is closed'));
    if (!this.remoteEndpoint || !canSend(this.dir)) {
      return Promise.reject(
        new MediaError(
          MediaErrorCode.SEND_DISABLED,
          `cannot send DTMF (direction ${this.dir}, remote ${this.remoteEndpoint ? 'set' : 'unset'})`,
        ),
      );
    }
    const durationMs = Math.max(FRAME_MS, Math.min(options.durationMs ?? 100, 8000));
    const volume = Math.max(0, Math.min(63, Math.round(options.volume ?? 10)));
    return new Promise<void>((resolve, reject) => {
      this.dtmfQueue.push({
        code,
        durationSamples: Math.round((durationMs * SAMPLE_RATE) / 1000),
        volume,
        resolve,
        reject,
      });
      this.updatePacing();
    });
  }

  /**
   * An SDP offer for this session's local endpoint (PCMU, PCMA, telephone-event). The `o=`
   * session id stays the same and the version grows with every call (RFC 3264 section 8), so it
   * also serves re-INVITEs, e.g. `localOffer({ direction: 'sendonly' })` to hold the peer.
   */
  localOffer(
    options: {
      readonly direction?: MediaDirection | undefined;
      readonly codecs?: readonly G711Codec[] | undefined;
    } = {},
  ): string {
    this.offeredDirection = options.direction ?? 'sendrecv';
    const local = this.local;
    return buildOffer({
      address: local.address,
      port: local.port,
      direction: this.offeredDirection,
      telephoneEventPayloadType: this.tePayloadType,
      sessionId: this.sdpSessionId,
      sessionVersion: ++this.sdpVersion,
      ...(options.codecs ? { codecs: options.codecs } : {}),
    });
  }

  /**
   * Applies the peer's answer to our last {@link RtpSession.localOffer}: remote endpoint, codec
   * (the first the answer lists) and direction (RFC 3264 section 6.1: what we offered, limited
   * by what the peer answered).
   */
  applyAnswer(sdp: string): MediaResult<RemoteMedia> {
    const parsed = parseRemoteMedia(sdp);
    if (!parsed.ok) return parsed;
    const remote = parsed.value;
    const first = remote.codecs[0];
    if (!first) {
      return {
        ok: false,
        error: new MediaError(MediaErrorCode.NO_COMMON_CODEC, 'the answer lists neither PCMU nor PCMA'),
      };
    }
    this.setCodec(first.codec, first.payloadType);
    this.tePayloadType = remote.telephoneEventPayloadType ?? this.tePayloadType;
    // c=0.0.0.0 is RFC 2543 hold: nowhere to send.
    this.remoteEndpoint = remote.nullAddress ? undefined : { address: remote.address, port: remote.port };
    this.setDirection(answerDirection(remote.direction, this.offeredDirection));
    return parsed;
  }

  /**
   * Answers a peer's offer (initial or re-INVITE): negotiates codec and direction with
   * {@link answerOffer}, then points this session at the offerer and applies the result.
   */
  acceptOffer(
    sdp: string,
    options: {
      readonly direction?: MediaDirection | undefined;
      readonly codecs?: readonly G711Codec[] | undefined;
    } = {},
  ): MediaResult<Answer> {
    const local = this.local;
    const result = answerOffer(sdp, {
      address: local.address,
      port: local.port,
      sessionId: this.sdpSessionId,
      sessionVersion: ++this.sdpVersion,
      ...(options.direction ? { direction: options.direction } : {}),
      ...(options.codecs ? { codecs: options.codecs } : {}),
    });
    if (!result.ok) return result;
    const { codec, payloadType, direction, remote } = result.value;
    this.setCodec(codec, payloadType);
    this.tePayloadType = result.value.telephoneEventPayloadType ?? this.tePayloadType;
    this.remoteEndpoint = remote.nullAddress ? undefined : { address: remote.address, port: remote.port };
    this.setDirection(direction);
    return result;
  }

  /** Current statistics. */
  get stats(): RtpSessionStats {
    const sources = [...this.trackers.values()].map((t) => t.snapshot());
    const sum = (pick: (s: SourceStats) => number): number => sources.reduce((acc, s) => acc + pick(s), 0);
    const latest = this.lastSsrc === undefined ? undefined : this.trackers.get(this.lastSsrc)?.snapshot();
    const jitter = latest?.jitter ?? 0;
    return {
      sent: { ...this.sent },
      received: {
        packets: sum((s) => s.packets),
        octets: sum((s) => s.octets),
        expected: sum((s) => s.expected),
        lost: sum((s) => s.lost),
        jitter,
        jitterMs: (jitter * 1000) / SAMPLE_RATE,
        malformed: this.recv.malformed,
        discarded: this.recv.discarded,
        rejected: this.recv.rejected,
        sources,
      },
    };
  }

  /** Stops pacing, fails pending DTMF, closes the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopPacing();
    const err = new MediaError(MediaErrorCode.SESSION_CLOSED, 'RTP session closed');
    if (this.activeDtmf) this.activeDtmf.reject(err);
    this.activeDtmf = undefined;
    for (const pending of this.dtmfQueue.splice(0)) pending.reject(err);
    await new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    this.emit('close');
  }

  private wantsPacing(): boolean {
    return (
      !this.closed &&
      this.remoteEndpoint !== undefined &&
      canSend(this.dir) &&
      (this.source !== undefined || this.activeDtmf !== undefined || this.dtmfQueue.length > 0)
    );
  }

  private updatePacing(): void {
    if (!this.closed && (!this.remoteEndpoint || !canSend(this.dir))) {
      // Pending DTMF cannot go out any more (hold, or the remote was cleared).
      const err = new MediaError(MediaErrorCode.SEND_DISABLED, `sending stopped (direction ${this.dir})`);
      if (this.activeDtmf) this.activeDtmf.reject(err);
      this.activeDtmf = undefined;
      for (const pending of this.dtmfQueue.splice(0)) pending.reject(err);
    }
    if (this.wantsPacing()) {
      if (!this.pacing) {
        this.pacing = true;
        this.startMs = this.clock.now();
        if (this.lastFrameMs !== undefined) {
          // RFC 3550 section 5.1: the timestamp follows the sampling clock across a pause.
          const idleFrames = Math.floor((this.startMs - this.lastFrameMs) / FRAME_MS) - 1;
          if (idleFrames > 0) this.timestamp = (this.timestamp + idleFrames * FRAME_SAMPLES) >>> 0;
        }
        this.frameIndex = 0;
        this.tick();
      }
    } else {
      this.stopPacing();
    }
  }

  private stopPacing(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pacing = false;
    this.talkspurt = false;
  }

  /**
   * Sends every frame that is due, scheduling against the start time (frame n is due at
   * start + 20 n ms) so timer lateness does not accumulate. After a stall longer than 100 ms the
   * missed frames are skipped (the RTP timestamp still advances, RFC 3550 section 5.1).
   */
  private tick(): void {
    this.timer = undefined;
    let now = this.clock.now();
    let burst = 0;
    while (this.pacing && this.startMs + this.frameIndex * FRAME_MS <= now && burst < MAX_BURST_FRAMES) {
      this.sendFrame();
      this.frameIndex++;
      burst++;
      if (!this.wantsPacing()) {
        this.stopPacing();
        return;
      }
    }
    if (!this.pacing) return;
    now = this.clock.now();
    const lateMs = now - (this.startMs + this.frameIndex * FRAME_MS);
    if (lateMs > RESYNC_AFTER_MS) {
      const skipped = Math.floor(lateMs / FRAME_MS);
      this.sent.skippedFrames += skipped;
      this.frameIndex += skipped;
      this.timestamp = (this.timestamp + skipped * FRAME_SAMPLES) >>> 0;
    }
    const due = this.startMs + this.frameIndex * FRAME_MS;
    this.timer = this.clock.setTimeout(() => this.tick(), Math.max(0, due - now));
  }

  private sendFrame(): void {
    if (!this.activeDtmf) {
      const next = this.dtmfQueue.shift();
      if (next) this.activeDtmf = { ...next, timestamp: this.timestamp, sentDuration: 0, endPacketsSent: 0 };
    }
    const dtmf = this.activeDtmf;
    if (dtmf) {
      // RFC 4733 section 2.5.1.2: updates carry the event's start timestamp and a growing duration.
      const first = dtmf.sentDuration === 0;
      dtmf.sentDuration = Math.min(dtmf.sentDuration + FRAME_SAMPLES, dtmf.durationSamples);
      const end = dtmf.sentDuration >= dtmf.durationSamples;
      if (end) dtmf.endPacketsSent++;
      this.transmit(
        serializeTelephoneEvent({ event: dtmf.code, end, volume: dtmf.volume, duration: dtmf.sentDuration }),
        this.tePayloadType,
        dtmf.timestamp,
        first, // RFC 4733 section 2.5.1.3: marker on the first packet of an event.
      );
      this.sent.telephoneEventPackets++;
      if (dtmf.endPacketsSent >= END_PACKET_COPIES) {
        this.activeDtmf = undefined;
        this.talkspurt = false;
        dtmf.resolve();
      }
    } else if (this.source) {
      const pcm = this.source.read(FRAME_SAMPLES);
      if (pcm === undefined) {
        const ended = this.source;
        this.source = undefined;
        this.talkspurt = false;
        this.emit('sourceEnded', ended);
        return;
      }
      this.transmit(encodeG711(this.codecName, pcm), this.sendPayloadType, this.timestamp, !this.talkspurt);
      this.talkspurt = true;
    }
    this.timestamp = (this.timestamp + FRAME_SAMPLES) >>> 0;
    this.lastFrameMs = this.startMs + this.frameIndex * FRAME_MS; // this frame's due time
  }

  private transmit(payload: Uint8Array, payloadType: number, timestamp: number, marker: boolean): void {
    const remote = this.remoteEndpoint;
    if (!remote) return;
    const packet = serializeRtp({
      marker,
      payloadType,
      sequenceNumber: this.sequence,
      timestamp,
      ssrc: this.ssrc,
      payload,
    });
    this.sequence = (this.sequence + 1) & 0xffff;
    this.sent.packets++;
    this.sent.octets += payload.byteLength;
    this.socket.send(packet, remote.port, remote.address, (err) => {
      if (err) {
        this.sent.errors++;
        this.logger.debug({ err }, 'rtp send failed');
      }
    });
  }

  private onMessage(msg: Buffer, from: RtpEndpoint): void {
    const parsed = parseRtp(msg);
    if (!parsed.ok) {
      this.recv.malformed++;
      this.emit('malformed', parsed.error.message, from);
      return;
    }
    if (!canReceive(this.dir)) {
      this.recv.discarded++;
      return;
    }
    const packet = parsed.value;
    const isEvent = packet.payloadType === this.tePayloadType;
    let tracker = this.trackers.get(packet.ssrc);
    if (!tracker) {
      tracker = new SourceTracker(packet.ssrc, packet.sequenceNumber);
      this.trackers.set(packet.ssrc, tracker);
    }
    const arrival = isEvent ? undefined : (this.clock.now() * SAMPLE_RATE) / 1000;
    if (!tracker.update(packet.sequenceNumber, packet.payload.byteLength, packet.timestamp, arrival)) {
      this.recv.rejected++;
      return;
    }
    this.lastSsrc = packet.ssrc;
    this.emit('packet', packet, from);
    if (isEvent) {
      this.onTelephoneEvent(packet);
      return;
    }
    if (this.listenerCount('audio') === 0) return;
    const codec =
      packet.payloadType === this.sendPayloadType ? this.codecName : g711ForPayloadType(packet.payloadType);
    if (codec) this.emit('audio', decodeG711(codec, packet.payload), packet);
  }

  private onTelephoneEvent(packet: RtpPacket): void {
    const parsed = parseTelephoneEvent(packet.payload);
    if (!parsed.ok) {
      this.recv.malformed++;
      return;
    }
    const event = parsed.value;
    // RFC 4733 section 2.5.2.3: the E bit ends the event; retransmitted end packets share its timestamp.
    if (!event.end || event.event >= DTMF_EVENTS.length) return;
    if (this.lastDtmfEnded.get(packet.ssrc) === packet.timestamp) return;
    this.lastDtmfEnded.set(packet.ssrc, packet.timestamp);
    this.emit('dtmf', {
      digit: DTMF_EVENTS[event.event] as DtmfDigit,
      durationMs: (event.duration * 1000) / SAMPLE_RATE,
      volume: event.volume,
      timestamp: packet.timestamp,
    });
  }
}

/**
 * Binds a UDP socket and returns an {@link RtpSession} on it (`port: 0` picks an ephemeral port).
 *
 * @throws {@link MediaError} `SOCKET_ERROR` when the bind fails.
 */
export async function createRtpSession(options: RtpSessionOptions = {}): Promise<RtpSession> {
  const host = options.host ?? '127.0.0.1';
  const socket = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(
        new MediaError(
          MediaErrorCode.SOCKET_ERROR,
          `cannot bind RTP socket on ${host}:${options.port ?? 0}: ${err.message}`,
          { cause: err },
        ),
      );
    };
    socket.once('error', onError);
    socket.bind(options.port ?? 0, host, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  return new RtpSession(socket, options);
}
