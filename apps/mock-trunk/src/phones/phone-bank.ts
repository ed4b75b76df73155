import {
  createRtpSession,
  createToneSource,
  g711ForPayloadType,
  serializeRtp,
  silentLogger,
} from '@referkit/media';
import type { G711Codec, Logger, RtpSession } from '@referkit/media';
import { createSipStack } from '@referkit/sip';
import type { Dialog, IncomingRequest, SipStack } from '@referkit/sip';
import type { PcapRtpPacket } from '../observe/pcapng.js';
import type { TrunkEvent } from '../observe/types.js';
import { HeardTracker } from './hearing.js';
import type {
  HeardSegment,
  PhoneBank,
  PhoneBankOptions,
  PhoneCall,
  PhoneCallState,
  PhoneProfile,
} from './types.js';

/**
 * The lab's default numbers: customer `+14155550100` answers with 1000 Hz, `+14155550101` answers
 * with 800 Hz, `+14155550102` is busy (486), `+14155550103` rings until cancelled,
 * `+14155550104` declines (603).
 */
export const DEFAULT_PHONES: Readonly<Record<string, PhoneProfile>> = Object.freeze({
  '+14155550100': Object.freeze({ kind: 'answer', toneHz: 1000 }),
  '+14155550101': Object.freeze({ kind: 'answer', toneHz: 800 }),
  '+14155550102': Object.freeze({ kind: 'busy' }),
  '+14155550103': Object.freeze({ kind: 'no-answer' }),
  '+14155550104': Object.freeze({ kind: 'decline' }),
  '+14155550105': Object.freeze({ kind: 'answer', toneHz: 800, codecs: ['PCMA'] as const }),
  '+14155550106': Object.freeze({ kind: 'unreachable' }),
} satisfies Record<string, PhoneProfile>);

const DEFAULT_ANSWER_AFTER_MS = 500;
const DEFAULT_DECLINE_AFTER_MS = 200;
const DEFAULT_HANGUP_AFTER_MS = 5000;
const DEFAULT_MAX_RING_MS = 180_000;
const DEFAULT_TONE_HZ = 1000;
const FRAME_MS = 20;
/** No RTP for this long counts as silence. */
const GAP_MS = 100;
/** Ended calls kept for {@link PhoneBank.calls}. */
const MAX_ENDED_CALLS = 1000;
const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE';
const KINDS: ReadonlySet<string> = new Set([
  'answer',
  'busy',
  'no-answer',
  'decline',
  'unreachable',
  'hangup-after',
]);

/** Codes of {@link PhoneBankError}. */
export type PhoneBankErrorCode = 'INVALID_PROFILE' | 'TIMEOUT' | 'CLOSED';

/** Error of the phone bank: a bad profile (from {@link startPhoneBank}) or a failed wait. */
export class PhoneBankError extends Error {
  /** Machine-readable reason. */
  readonly code: PhoneBankErrorCode;
  /**
   * @param code - reason
   * @param message - what went wrong and how to fix it
   */
  constructor(code: PhoneBankErrorCode, message: string) {
    super(message);
    this.name = 'PhoneBankError';
    this.code = code;
  }
}

interface CallState {
  readonly number: string;
  readonly profile: PhoneProfile;
  readonly callId: string;
  readonly from: string;
  readonly startedAt: number;
  readonly tracker: HeardTracker;
  readonly timers: Set<NodeJS.Timeout>;
  state: PhoneCallState;
  status?: number;
  codec?: G711Codec;
  answeredAt?: number;
  endedAt?: number;
  endReason?: string;
  req: IncomingRequest;
  dialog?: Dialog;
  rtp?: RtpSession;
  /** The 200 carried our offer (late-offer INVITE or re-INVITE): the ACK brings the answer. */
  awaitingAnswerInAck: boolean;
  /** Time up to which the hearing timeline is covered (audio or gap frames). */
  coveredUntil: number;
  gapTimer?: NodeJS.Timeout | undefined;
  /** Received RTP, when capturing (a ring of at most `captureRtp` packets). */
  readonly captured: PcapRtpPacket[];
}

/** The user part of a `sip:`/`sips:`/`tel:` Request-URI, percent-decoded. */
function requestUser(uri: string): string | undefined {
  // user[:password]@host, where the user may carry telephone-subscriber parameters (;npdi).
  const match = /^(?:sips?:([^@?]+)@|tel:([^;?]+))/i.exec(uri.trim());
  const raw = match?.[1] ?? match?.[2];
  if (raw === undefined) return undefined;
  const user = raw.split(/[:;]/)[0] ?? raw;
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

function snapshot(call: CallState): PhoneCall {
  return {
    number: call.number,
    callId: call.callId,
    from: call.from,
    state: call.state,
    status: call.status,
    codec: call.codec,
    startedAt: call.startedAt,
    answeredAt: call.answeredAt,
    endedAt: call.endedAt,
    endReason: call.endReason,
    heard: call.tracker.timeline(),
  };
}

class PhoneBankImpl implements PhoneBank {
  readonly address: { readonly host: string; readonly port: number; readonly transport: 'udp' };
  readonly numbers: readonly string[];
  private readonly stack: SipStack;
  private readonly phones: ReadonlyMap<string, PhoneProfile>;
  private readonly rtpHost: string;
  private readonly logger: Logger;
  private readonly onEvent: ((event: TrunkEvent) => void) | undefined;
  private readonly captureRtp: number;
  private readonly all: CallState[] = [];
  private readonly active = new Set<CallState>();
  private closing: Promise<void> | undefined;
  private readonly waiters = new Set<(err: PhoneBankError) => void>();
  /** RTP sessions being closed; `close()` waits for them. */
  private readonly rtpCloses = new Set<Promise<void>>();

  constructor(stack: SipStack, phones: ReadonlyMap<string, PhoneProfile>, options: PhoneBankOptions) {
    const bound = stack.addresses[0];
    if (!bound) throw new Error('SIP stack has no bound address');
    this.stack = stack;
    this.address = Object.freeze({ host: bound.host, port: bound.port, transport: 'udp' as const });
    this.phones = phones;
    this.numbers = Object.freeze([...phones.keys()]);
    this.rtpHost = options.rtpHost ?? options.host ?? '127.0.0.1';
    this.logger = options.logger ?? silentLogger;
    this.onEvent = options.onEvent;
    this.captureRtp = Math.max(0, Math.floor(options.captureRtp ?? 0));
    stack.on('request', (req) => this.onRequest(req));
  }

  heard(number: string): HeardSegment[] {
    return this.all.filter((c) => c.number === number).flatMap((c) => c.tracker.timeline());
  }

  calls(number?: string): PhoneCall[] {
    return this.all.filter((c) => number === undefined || c.number === number).map(snapshot);
  }

  heardMs(number: string, heard: string, since = -Infinity): number {
    return this.all
      .filter((c) => c.number === number)
      .reduce((total, c) => total + c.tracker.heardMs(heard, since), 0);
  }

  waitForHeard(
    number: string,
    heard: string,
    options: {
      readonly minMs?: number | undefined;
      readonly since?: number | undefined;
      readonly timeoutMs?: number | undefined;
    } = {},
  ): Promise<number> {
    const minMs = options.minMs ?? 200;
    const since = options.since ?? -Infinity;
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise<number>((resolve, reject) => {
      // Declared first: check() may finish before they are started.
      const timers: { interval?: ReturnType<typeof setInterval>; timeout?: ReturnType<typeof setTimeout> } =
        {};
      const finish = (): void => {
        clearInterval(timers.interval);
        clearTimeout(timers.timeout);
        this.waiters.delete(fail);
      };
      const check = (): boolean => {
        const ms = this.heardMs(number, heard, since);
        if (ms < minMs) return false;
        finish();
        resolve(ms);
        return true;
      };
      const fail = (err: PhoneBankError): void => {
        finish();
        reject(err);
      };
      if (check()) return;
      if (this.closing) {
        reject(new PhoneBankError('CLOSED', 'the phone bank is closed'));
        return;
      }
      timers.interval = setInterval(check, FRAME_MS);
      timers.timeout = setTimeout(() => {
        const got = this.heardMs(number, heard, since);
        fail(
          new PhoneBankError(
            'TIMEOUT',
            `${number} heard ${heard} for ${got} ms, not ${minMs} ms, within ${timeoutMs} ms; it heard: ${this.describeHeard(number, since)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(fail);
    });
  }

  private describeHeard(number: string, since: number): string {
    const totals = new Map<string, number>();
    for (const s of this.heard(number)) {
      if (s.endMs <= since) continue;
      totals.set(s.heard, (totals.get(s.heard) ?? 0) + s.endMs - Math.max(s.startMs, since));
    }
    if (totals.size === 0) return 'nothing';
    return [...totals].map(([label, ms]) => `${label} ${Math.round(ms)} ms`).join(', ');
  }

  rtpPackets(callId: string): PcapRtpPacket[] {
    return this.all.filter((c) => c.callId === callId).flatMap((c) => c.captured);
  }

  async hangup(number?: string): Promise<void> {
    const byes = [...this.active]
      .filter((call) => number === undefined || call.number === number)
      .flatMap((call) => this.hangUpCall(call, 'bye-sent'));
    await Promise.allSettled(byes);
  }

  /** Ends one call from the phone's side: BYE when answered, 480 while ringing. */
  private hangUpCall(call: CallState, reason: string): Promise<unknown>[] {
    if (call.dialog?.state === 'confirmed' && call.state === 'answered') {
      const dialog = call.dialog;
      this.end(call, 'ended', reason);
      return [dialog.request('BYE').response];
    }
    if (!call.req.finalSent) this.respond(call, 480, 'Temporarily Unavailable');
    this.end(call, call.state === 'ringing' ? 'rejected' : call.state, reason);
    return [];
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const fail of [...this.waiters])
      fail(new PhoneBankError('CLOSED', 'the phone bank closed while waiting'));
    const byes = [...this.active].flatMap((call) => this.hangUpCall(call, 'closed'));
    if (byes.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(byes),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 2000);
        }),
      ]);
      clearTimeout(timer);
    }
    for (const call of this.all) if (call.rtp) this.closeRtp(call.rtp);
    await Promise.allSettled([...this.rtpCloses]);
    await this.stack.close();
  }

  private closeRtp(rtp: RtpSession): void {
    if (rtp.isClosed) return;
    const closing = rtp.close().catch((err: unknown) => this.logger.warn({ err }, 'phone: RTP close failed'));
    this.rtpCloses.add(closing);
    void closing.finally(() => this.rtpCloses.delete(closing));
  }

  private onRequest(req: IncomingRequest): void {
    if (this.closing) {
      req.respond(503, 'Service Unavailable');
      return;
    }
    if (req.method === 'OPTIONS') {
      req.respond(200, 'OK', { headers: { Allow: ALLOW } });
      return;
    }
    if (req.method !== 'INVITE') {
      req.respond(405, 'Method Not Allowed', { headers: { Allow: ALLOW } });
      return;
    }
    const number = requestUser(req.uri);
    const profile = number === undefined ? undefined : this.phones.get(number);
    if (number === undefined || profile === undefined) {
      req.respond(404, 'Not Found');
      return;
    }
    const call: CallState = {
      number,
      profile,
      callId: req.header('Call-ID') ?? '',
      from: req.header('From') ?? '',
      startedAt: Date.now(),
      tracker: new HeardTracker({
        extraHz: profile.toneHz === undefined ? [] : [profile.toneHz],
        onChange: (heard, at) =>
          this.onEvent?.({ type: 'media', at, party: number, callId: call.callId, heard }),
      }),
      timers: new Set(),
      state: 'ringing',
      req,
      awaitingAnswerInAck: false,
      coveredUntil: 0,
      captured: [],
    };
    this.all.push(call);
    this.active.add(call);
    this.trimHistory();
    req.on('cancel', () => {
      call.status = 487;
      this.end(call, 'cancelled', 'cancelled');
    });
    this.logger.debug({ number, kind: profile.kind, callId: call.callId }, 'phone: INVITE');
    switch (profile.kind) {
      case 'busy':
        this.reject(call, profile.rejectStatus ?? 486);
        return;
      case 'unreachable':
        this.reject(call, profile.rejectStatus ?? 503);
        return;
      case 'decline':
        this.ring(call);
        this.after(call, profile.answerAfterMs ?? DEFAULT_DECLINE_AFTER_MS, () =>
          this.reject(call, profile.rejectStatus ?? 603),
        );
        return;
      case 'no-answer':
        this.ring(call);
        this.after(call, profile.maxRingMs ?? DEFAULT_MAX_RING_MS, () => this.reject(call, 480));
        return;
      case 'answer':
      case 'hangup-after':
        void this.prepareAnswer(call).catch((err: unknown) => {
          this.logger.error({ err, number }, 'phone: answering failed');
          if (!call.req.finalSent) this.reject(call, 500);
        });
        return;
    }
  }

  private async prepareAnswer(call: CallState): Promise<void> {
    const { profile } = call;
    const codecs = profile.codecs && profile.codecs.length > 0 ? profile.codecs : (['PCMU', 'PCMA'] as const);
    const rtp = await createRtpSession({ host: this.rtpHost, logger: this.logger });
    call.rtp = rtp;
    if (this.captureRtp > 0) {
      const to = `${rtp.local.address.includes(':') ? `[${rtp.local.address}]` : rtp.local.address}:${rtp.local.port}`;
      rtp.on('packet', (packet, from) => {
        const host = from.address.includes(':') ? `[${from.address}]` : from.address;
        call.captured.push({ at: Date.now(), from: `${host}:${from.port}`, to, data: serializeRtp(packet) });
        if (call.captured.length > this.captureRtp)
          call.captured.splice(0, call.captured.length - this.captureRtp);
      });
    }
    if (call.state !== 'ringing' || this.closing) {
      this.closeRtp(rtp);
      return;
    }
    let answerSdp: string;
    const offer = call.req.body.toString('utf8');
    if (offer.trim().length > 0) {
      const accepted = rtp.acceptOffer(offer, { codecs });
      if (!accepted.ok) {
        const code = accepted.error.code;
        this.logger.info({ number: call.number, code, err: accepted.error.message }, 'phone: offer refused');
        this.reject(call, 488, 'Not Acceptable Here', accepted.error.message);
        return;
      }
      answerSdp = accepted.value.sdp;
      call.codec = accepted.value.codec;
    } else {
      answerSdp = rtp.localOffer({ codecs });
      call.awaitingAnswerInAck = true;
    }
    this.ring(call);
    const answerAfter =
      profile.answerAfterMs ??
      (profile.kind === 'answer' || profile.kind === 'hangup-after' ? DEFAULT_ANSWER_AFTER_MS : 0);
    this.after(call, answerAfter, () => this.answer(call, answerSdp, codecs));
  }

  private answer(call: CallState, sdp: string, codecs: readonly G711Codec[]): void {
    if (call.state !== 'ringing' || call.req.finalSent) return;
    const rtp = call.rtp;
    if (!rtp) return;
    const dialog = call.req.respond(200, 'OK', {
      headers: { 'Content-Type': 'application/sdp', Allow: ALLOW },
      body: sdp,
    });
    call.status = 200;
    call.state = 'answered';
    call.answeredAt = Date.now();
    if (dialog) this.watchDialog(call, dialog);
    // Hear only what the negotiated codecs allow: a PCMA-only phone does not decode PCMU.
    rtp.on('audio', (pcm, packet) => {
      const codec = g711ForPayloadType(packet.payloadType);
      const accepted = (codec !== undefined && codecs.includes(codec)) || codec === undefined;
      if (!accepted || call.state !== 'answered') return;
      const now = Date.now();
      call.tracker.push(pcm, now);
      call.coveredUntil = now;
    });
    call.coveredUntil = Date.now();
    call.gapTimer = setInterval(() => this.fillGap(call), GAP_MS);
    rtp.play(createToneSource({ frequencyHz: call.profile.toneHz ?? DEFAULT_TONE_HZ }));
    if (call.profile.kind === 'hangup-after') {
      this.after(call, call.profile.hangupAfterMs ?? DEFAULT_HANGUP_AFTER_MS, () => {
        if (call.state !== 'answered' || !call.dialog) return;
        void call.dialog.request('BYE').response.catch(() => undefined);
        this.end(call, 'ended', 'bye-sent');
      });
    }
  }

  private fillGap(call: CallState): void {
    const now = Date.now();
    if (now - call.coveredUntil < GAP_MS) return;
    for (let t = call.coveredUntil + FRAME_MS; t <= now; t += FRAME_MS) call.tracker.gap(t);
    call.coveredUntil = now;
  }

  private watchDialog(call: CallState, dialog: Dialog): void {
    if (call.dialog === dialog) return;
    call.dialog = dialog;
    dialog.on('ack', (ack) => {
      if (!call.awaitingAnswerInAck || !call.rtp) return;
      call.awaitingAnswerInAck = false;
      const applied = call.rtp.applyAnswer(ack.body.toString('utf8'));
      if (applied.ok) call.codec = call.rtp.codec;
      else this.logger.warn({ err: applied.error.message, number: call.number }, 'phone: bad answer in ACK');
    });
    dialog.on('request', (req) => this.onInDialog(call, req));
    dialog.on('terminated', (reason) => {
      if (call.state === 'answered') this.end(call, 'ended', reason);
      else if (call.state === 'ringing' && call.req.cancelled) {
        call.status = 487;
        this.end(call, 'cancelled', 'cancelled');
      } else if (call.state === 'ringing') this.end(call, 'rejected', reason);
    });
  }

  private onInDialog(call: CallState, req: IncomingRequest): void {
    switch (req.method) {
      case 'BYE':
        req.respond(200, 'OK');
        this.end(call, 'ended', 'bye-received');
        return;
      case 'INVITE':
      case 'UPDATE': {
        const rtp = call.rtp;
        if (!rtp) {
          req.respond(500, 'Server Internal Error');
          return;
        }
        const codecs =
          call.profile.codecs && call.profile.codecs.length > 0
            ? call.profile.codecs
            : (['PCMU', 'PCMA'] as const);
        const offer = req.body.toString('utf8');
        if (offer.trim().length === 0) {
          if (req.method === 'UPDATE') {
            req.respond(200, 'OK');
            return;
          }
          call.awaitingAnswerInAck = true;
          req.respond(200, 'OK', {
            headers: { 'Content-Type': 'application/sdp' },
            body: rtp.localOffer({ codecs }),
          });
          return;
        }
        const accepted = rtp.acceptOffer(offer, { codecs });
        if (!accepted.ok) {
          req.respond(488, 'Not Acceptable Here', {
            headers: { Warning: `399 referkit "${accepted.error.message}"` },
          });
          return;
        }
        call.codec = accepted.value.codec;
        req.respond(200, 'OK', { headers: { 'Content-Type': 'application/sdp' }, body: accepted.value.sdp });
        return;
      }
      case 'OPTIONS':
      case 'INFO':
        req.respond(200, 'OK', { headers: { Allow: ALLOW } });
        return;
      default:
        req.respond(405, 'Method Not Allowed', { headers: { Allow: ALLOW } });
    }
  }

  private ring(call: CallState): void {
    if (call.req.finalSent) return;
    const dialog = call.req.respond(180, 'Ringing');
    if (dialog) this.watchDialog(call, dialog);
  }

  private reject(call: CallState, status: number, reason?: string, warning?: string): void {
    if (call.state !== 'ringing') return;
    call.status = status;
    this.respond(call, status, reason, warning);
    this.end(call, 'rejected', 'rejected');
  }

  private respond(call: CallState, status: number, reason?: string, warning?: string): void {
    if (call.req.finalSent) return;
    call.req.respond(status, reason, warning ? { headers: { Warning: `399 referkit "${warning}"` } } : {});
  }

  private after(call: CallState, ms: number, fn: () => void): void {
    const timer = setTimeout(
      () => {
        call.timers.delete(timer);
        fn();
      },
      Math.max(0, ms),
    );
    call.timers.add(timer);
  }

  private end(call: CallState, state: PhoneCallState, reason: string): void {
    if (!this.active.has(call)) return;
    this.active.delete(call);
    call.state = state;
    call.endedAt = Date.now();
    call.endReason = reason;
    for (const timer of call.timers) clearTimeout(timer);
    call.timers.clear();
    if (call.gapTimer) clearInterval(call.gapTimer);
    call.gapTimer = undefined;
    if (call.rtp) this.closeRtp(call.rtp);
    this.logger.debug({ number: call.number, state, reason, callId: call.callId }, 'phone: call ended');
  }

  private trimHistory(): void {
    let excess = this.all.length - this.active.size - MAX_ENDED_CALLS;
    for (let i = 0; i < this.all.length && excess > 0;) {
      const call = this.all[i];
      if (call && !this.active.has(call)) {
        this.all.splice(i, 1);
        excess--;
      } else i++;
    }
  }
}

/** What is wrong with a profile (it may come from a JSON config), or `undefined`. */
export function profileProblem(profile: PhoneProfile): string | undefined {
  const p = profile as Partial<Record<keyof PhoneProfile, unknown>>;
  if (typeof p.kind !== 'string' || !KINDS.has(p.kind)) {
    return `kind must be one of ${[...KINDS].join(', ')}, got ${JSON.stringify(p.kind)}`;
  }
  if (p.toneHz !== undefined && !(typeof p.toneHz === 'number' && p.toneHz > 0 && p.toneHz < 4000)) {
    return `toneHz ${JSON.stringify(p.toneHz)} is outside (0, 4000)`;
  }
  for (const key of ['answerAfterMs', 'hangupAfterMs', 'maxRingMs'] as const) {
    const value = p[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      return `${key} must be a number of ms >= 0, got ${JSON.stringify(value)}`;
    }
  }
  if (
    p.rejectStatus !== undefined &&
    !(
      Number.isInteger(p.rejectStatus) &&
      (p.rejectStatus as number) >= 300 &&
      (p.rejectStatus as number) <= 699
    )
  ) {
    return `rejectStatus must be a final status 300-699, got ${JSON.stringify(p.rejectStatus)}`;
  }
  if (
    p.codecs !== undefined &&
    !(Array.isArray(p.codecs) && p.codecs.length > 0 && p.codecs.every((c) => c === 'PCMU' || c === 'PCMA'))
  ) {
    return `codecs must be a non-empty list of 'PCMU' / 'PCMA', got ${JSON.stringify(p.codecs)}`;
  }
  return undefined;
}

/**
 * Starts a bank of simulated phones: one SIP UA on an ephemeral UDP port that routes INVITEs by
 * Request-URI user to the phone with that number. Throws {@link PhoneBankError} `INVALID_PROFILE`
 * for a bad profile. Phones answer with real SDP, play their tone
 * over real RTP, label what they hear (tones, US ring-back, silence) and report each change as a
 * `media` event through `onEvent`.
 *
 * @example
 * ```ts
 * const bank = await startPhoneBank({ phones: DEFAULT_PHONES, onEvent: (e) => console.log(e) });
 * // INVITE sip:+14155550100@<bank.address.host>:<bank.address.port> -> 180, 200 with SDP, 1000 Hz tone
 * await bank.close();
 * ```
 */
export async function startPhoneBank(options: PhoneBankOptions): Promise<PhoneBank> {
  const phones = new Map<string, PhoneProfile>();
  for (const [number, profile] of Object.entries(options.phones)) {
    const problem = profileProblem(profile);
    if (number.trim() === '' || problem !== undefined) {
      throw new PhoneBankError(
        'INVALID_PROFILE',
        `phone ${JSON.stringify(number)}: ${problem ?? 'empty number'}`,
      );
    }
    phones.set(number, profile);
  }
  const stack = await createSipStack({
    listen: [{ transport: 'udp', host: options.host ?? '127.0.0.1', port: 0 }],
    logger: options.logger ?? silentLogger,
    userAgent: 'referkit-phone',
  });
  return new PhoneBankImpl(stack, phones, options);
}
