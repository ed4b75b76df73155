import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createToneSource,
  createWavSource,
  silentLogger,
  type AudioSource,
  type Logger,
} from '@referkit/media';
import {
  TransferError,
  createNodeUserAgent,
  hangUp,
  transfer as sipjsTransfer,
  type NodeSessionDescriptionHandler,
  type NodeUserAgent,
  type TransferResult,
} from '@referkit/sipjs';
import { Inviter, SessionState, UserAgent, type Session } from 'sip.js';
import type { EndpointEvent } from './events.js';
import type { AudioSpec, HostPort } from './options.js';

/** Options of {@link startEndpoint}. */
export interface EndpointOptions {
  /** The trunk's signalling address: every request goes there. */
  readonly trunk: HostPort;
  /** Termination domain: calls go to `sip:<number>@<domain>`, transfer targets are placed there too. */
  readonly domain: string;
  /** Signalling transport (default `udp`). */
  readonly transport?: 'udp' | 'tcp' | undefined;
  /** Local SIP address to bind (default `127.0.0.1:0`); RTP binds the same host. */
  readonly local?: HostPort | undefined;
  /** Public host written in Via, Contact and SDP (behind NAT, e.g. for a real Plivo trunk). */
  readonly contactHost?: string | undefined;
  /** Digest credentials for the trunk (answers 401/407). */
  readonly credentials?: { readonly username: string; readonly password: string } | undefined;
  /** User part of From (default the username, else `referkit`). */
  readonly fromUser?: string | undefined;
  /** What calls play (default a 600 Hz tone). */
  readonly audio?: AudioSpec | undefined;
  /** What the customer hears once the REFER is sent and while held (default: keep `audio`). */
  readonly holdAudio?: AudioSpec | undefined;
  /**
   * `after-notify`: send BYE as soon as the 2xx NOTIFY arrives; `wait-for-bye` (default): wait
   * for the trunk to hang up the transferred leg.
   */
  readonly hangup?: 'after-notify' | 'wait-for-bye' | undefined;
  /** Per-target time budget for the final NOTIFY (default 32 s). */
  readonly notifyTimeoutMs?: number | undefined;
  /** Give up (CANCEL) on calls not answered in this time (default 60 s). */
  readonly answerTimeoutMs?: number | undefined;
  /** Tones reported in `hearing` events (default 600, 800, 1000, 1400 Hz). */
  readonly toneCandidatesHz?: readonly number[] | undefined;
  /** pino-compatible logger (default silent). */
  readonly logger?: Logger | undefined;
}

/** Per-call options of {@link EndpointHandle.call}. */
export interface EndpointCallOptions {
  /** What this call plays (default the endpoint's `audio`). */
  readonly audio?: AudioSpec | undefined;
  /** Called with each RFC 4733 digit the far end sends. */
  readonly onDtmf?: ((digit: string) => void) | undefined;
}

/** Options of {@link EndpointHandle.transfer}. */
export interface EndpointTransferOptions {
  /** Numbers or URIs tried in order when the target fails, is rejected or times out. */
  readonly fallbacks?: readonly string[] | undefined;
  /** Time budget per target for the final NOTIFY (default the endpoint's `notifyTimeoutMs`). */
  readonly timeoutMs?: number | undefined;
  /** Validate targets before sending (default `true`; `false` lets the trunk answer 400/403). */
  readonly validate?: boolean | undefined;
  /** Allow hanging up before the final NOTIFY (reproduces the dropped caller on Plivo). */
  readonly allowEarlyHangup?: boolean | undefined;
  /** Stop following the transfer (resolves `cancelled`). */
  readonly signal?: AbortSignal | undefined;
}

/** Where a call is. */
export type EndpointCallStatus =
  'calling' | 'ringing' | 'answered' | 'transferring' | 'transferred' | 'ended' | 'failed';

/** A snapshot of one call. */
export interface EndpointCallState {
  /** The endpoint's id for the call (used by every method and event). */
  readonly id: string;
  /** The SIP Call-ID. */
  readonly sipCallId: string;
  /** The number called. */
  readonly number: string;
  /** Where the call is. */
  readonly status: EndpointCallStatus;
  /** Whether the customer is on hold. */
  readonly held: boolean;
  /** What the endpoint hears now (`tone:<Hz>`, `silence`), if anything yet. */
  readonly heard: string | undefined;
  /** The last transfer's outcome kind, if any. */
  readonly transferOutcome: string | undefined;
  /** Who ended the call and why, once ended. */
  readonly ended: { readonly by: 'endpoint' | 'trunk'; readonly reason: string } | undefined;
}

/** An answered call, as returned by {@link EndpointHandle.call}. */
export interface EndpointCall {
  /** The endpoint's id for the call. */
  readonly id: string;
  /** The SIP Call-ID. */
  readonly sipCallId: string;
  /** The number called. */
  readonly number: string;
  /** Resolves when the call ends. */
  readonly ended: Promise<{ readonly by: 'endpoint' | 'trunk'; readonly reason: string }>;
}

/** Error codes of {@link EndpointError}. */
export type EndpointErrorCode = 'NOT_ANSWERED' | 'NO_SUCH_CALL' | 'BAD_STATE' | 'BAD_NUMBER' | 'CLOSED';

/** A typed endpoint error: a call that was not answered, an unknown call id, a call in the wrong state. */
export class EndpointError extends Error {
  /** Machine-readable code. */
  readonly code: EndpointErrorCode;
  /** SIP status of a failed call (`NOT_ANSWERED`), e.g. 486 or 408. */
  readonly status: number | undefined;

  /**
   * @param code - what went wrong
   * @param message - what happened
   * @param status - SIP status for `NOT_ANSWERED`
   */
  constructor(code: EndpointErrorCode, message: string, status?: number) {
    super(message);
    this.name = 'EndpointError';
    this.code = code;
    this.status = status;
  }
}

/** A running endpoint. */
export interface EndpointHandle {
  /** The Contact the trunk reaches us at. */
  readonly contact: string;
  /** The bound SIP address. */
  readonly local: HostPort;
  /**
   * Calls `number` (E.164) through the trunk; resolves once answered.
   *
   * @throws {@link EndpointError} `NOT_ANSWERED` (with the SIP status) when the call fails
   */
  call(number: string, options?: EndpointCallOptions): Promise<EndpointCall>;
  /**
   * Blind-transfers the call with REFER (via `@referkit/sipjs`'s `transfer`) and resolves with the
   * outcome; the caller stays on the call unless it `succeeded`.
   *
   * @throws {@link EndpointError} `NO_SUCH_CALL`; `TransferError` when nothing could be sent
   */
  transfer(callId: string, target: string, options?: EndpointTransferOptions): Promise<TransferResult>;
  /**
   * Hangs up. While a transfer is in flight this is refused (`TransferError`
   * `HANG_UP_BEFORE_FINAL_NOTIFY`) unless `force`, which stops following the transfer first.
   */
  hangup(callId: string, options?: { readonly force?: boolean | undefined }): Promise<void>;
  /** Puts the customer on hold (re-INVITE `sendonly`, hold audio) or takes them off it. */
  hold(callId: string, held: boolean): Promise<void>;
  /** Sends RFC 4733 DTMF digits on the call. */
  sendDtmf(callId: string, digits: string): Promise<void>;
  /** Whether the id names a call this endpoint made (live or ended). */
  hasCall(callId: string): boolean;
  /** A snapshot of one call. */
  callState(callId: string): EndpointCallState | undefined;
  /** Snapshots of every call, oldest first. */
  calls(): EndpointCallState[];
  /** Listens to every event; returns the unsubscribe function. */
  subscribe(listener: (event: EndpointEvent) => void): () => void;
  /** Hangs up every call (forcefully) and closes the sockets. Idempotent. */
  close(): Promise<void>;
}

interface CallRecord {
  readonly id: string;
  readonly number: string;
  readonly inviter: Inviter;
  readonly audio: AudioSource;
  status: EndpointCallStatus;
  held: boolean;
  heard: string | undefined;
  transferOutcome: string | undefined;
  ended: { by: 'endpoint' | 'trunk'; reason: string } | undefined;
  byeFromTrunk: boolean;
  transferAbort: AbortController | undefined;
  readonly endedPromise: Promise<{ by: 'endpoint' | 'trunk'; reason: string }>;
  resolveEnded: (value: { by: 'endpoint' | 'trunk'; reason: string }) => void;
}

const E164 = /^\+[1-9]\d{7,14}$/;

/**
 * Builds an audio source from a spec (`tone:<hz>` or a WAV file, looped).
 *
 * @throws `MediaError` for a bad tone or an unreadable/unsupported WAV
 */
export function audioSourceFor(spec: AudioSpec): AudioSource {
  if (spec.kind === 'tone') return createToneSource({ frequencyHz: spec.hz, levelDbfs: -10 });
  return createWavSource(readFileSync(spec.path), { loop: true });
}

/**
 * Starts the reference endpoint: a SIP.js UserAgent on the Node transport (UDP or TCP to the trunk)
 * with real RTP, ready to place calls and transfer them.
 *
 * @example
 * ```ts
 * const endpoint = await startEndpoint({ trunk: { host: '127.0.0.1', port: 5060 }, domain: 'lab.zt.plivo.com' });
 * const call = await endpoint.call('+14155550100');
 * const outcome = await endpoint.transfer(call.id, '+14155550101');
 * console.log(outcome.kind); // 'succeeded', or 'failed' with outcome.code 486 (the caller stays)
 * await endpoint.close();
 * ```
 */
export async function startEndpoint(options: EndpointOptions): Promise<EndpointHandle> {
  const logger = options.logger ?? silentLogger;
  const domain = options.domain.toLowerCase();
  const local = options.local ?? { host: '127.0.0.1', port: 0 };
  const fromUser = options.fromUser ?? options.credentials?.username ?? 'referkit';
  const defaultAudio = options.audio ?? { kind: 'tone', hz: 600 };
  // Fail early (bad WAV path) rather than on the first call.
  audioSourceFor(defaultAudio);
  if (options.holdAudio) audioSourceFor(options.holdAudio);

  const listeners = new Set<(event: EndpointEvent) => void>();
  const emit = (event: EndpointEvent): void => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        logger.warn({ err }, 'endpoint event listener threw');
      }
    }
  };
  const records = new Map<string, CallRecord>();
  const audioFor = new WeakMap<Session, AudioSource>();
  let closed = false;

  const agent: NodeUserAgent = await createNodeUserAgent({
    uri: `sip:${fromUser}@${domain}`,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    transport: {
      protocol: options.transport ?? 'udp',
      host: local.host,
      port: local.port,
      server: options.trunk,
      ...(options.contactHost === undefined ? {} : { advertisedHost: options.contactHost }),
    },
    media: {
      host: local.host,
      ...(options.contactHost === undefined ? {} : { advertisedHost: options.contactHost }),
      audio: (session) => audioFor.get(session),
      toneCandidatesHz: options.toneCandidatesHz ?? [600, 800, 1000, 1400],
    },
    logger,
    userAgentOptions: {
      // The endpoint only places calls; an unexpected INVITE is declined.
      delegate: {
        onInvite: (invitation) => void invitation.reject({ statusCode: 603 }).catch(() => undefined),
      },
    },
  });

  const handlerOf = (record: CallRecord): NodeSessionDescriptionHandler | undefined =>
    record.inviter.sessionDescriptionHandler as NodeSessionDescriptionHandler | undefined;

  const lookup = (callId: string): CallRecord => {
    const record = records.get(callId);
    if (!record) throw new EndpointError('NO_SUCH_CALL', `no call ${callId}`);
    return record;
  };

  const snapshot = (r: CallRecord): EndpointCallState => ({
    id: r.id,
    sipCallId: r.inviter.request.callId,
    number: r.number,
    status: r.status,
    held: r.held,
    heard: r.heard,
    transferOutcome: r.transferOutcome,
    ended: r.ended,
  });

  const call = async (number: string, callOptions: EndpointCallOptions = {}): Promise<EndpointCall> => {
    if (closed) throw new EndpointError('CLOSED', 'the endpoint is closed');
    if (!E164.test(number)) throw new EndpointError('BAD_NUMBER', `"${number}" is not an E.164 number`);
    const target = UserAgent.makeURI(`sip:${number}@${domain}`);
    if (!target) throw new EndpointError('BAD_NUMBER', `cannot build a SIP URI for ${number}`);
    const inviter = new Inviter(agent.userAgent, target);
    const audio = audioSourceFor(callOptions.audio ?? defaultAudio);
    audioFor.set(inviter, audio);
    const id = `call-${randomBytes(4).toString('hex')}`;
    let resolveEnded: CallRecord['resolveEnded'] = () => undefined;
    const endedPromise = new Promise<{ by: 'endpoint' | 'trunk'; reason: string }>((resolve) => {
      resolveEnded = resolve;
    });
    const record: CallRecord = {
      id,
      number,
      inviter,
      audio,
      status: 'calling',
      held: false,
      heard: undefined,
      transferOutcome: undefined,
      ended: undefined,
      byeFromTrunk: false,
      transferAbort: undefined,
      endedPromise,
      resolveEnded,
    };
    records.set(id, record);
    inviter.delegate = {
      onBye: (bye) => {
        record.byeFromTrunk = true;
        bye.accept().catch(() => undefined);
      },
      onSessionDescriptionHandler: (sdh) => {
        const handler = sdh as NodeSessionDescriptionHandler;
        handler.detector.on('change', ({ hz }) => {
          record.heard = hz === null ? 'silence' : `tone:${hz}`;
          emit({ type: 'hearing', callId: id, heard: record.heard });
        });
        handler.on('dtmf', (event) => callOptions.onDtmf?.(event.digit));
      },
    };
    let failure: { code: number; reason: string } | undefined;
    const answered = new Promise<void>((resolve, reject) => {
      inviter.stateChange.addListener((state) => {
        if (state === SessionState.Established) {
          record.status = 'answered';
          emit({ type: 'answered', callId: id });
          resolve();
        } else if (state === SessionState.Terminated) {
          // SIP.js reports Terminated before it hands the final response to onReject: read it next tick.
          setImmediate(() => settleTerminated());
        }
      });
      const settleTerminated = (): void => {
        {
          if (record.status === 'calling' || record.status === 'ringing') {
            const code = failure?.code ?? 408;
            const reason = failure?.reason ?? 'Request Timeout';
            record.status = 'failed';
            record.ended = { by: 'endpoint', reason: `${code} ${reason}` };
            emit({ type: 'call-failed', callId: id, code, reason });
            reject(new EndpointError('NOT_ANSWERED', `${number} was not answered: ${code} ${reason}`, code));
          } else {
            record.ended = {
              by: record.byeFromTrunk ? 'trunk' : 'endpoint',
              reason: record.byeFromTrunk ? 'BYE from the trunk' : 'BYE sent',
            };
            if (record.status !== 'transferred') record.status = 'ended';
            emit({ type: 'hangup', callId: id, ...record.ended });
          }
          record.resolveEnded(record.ended ?? { by: 'endpoint', reason: 'ended' });
        }
      };
    });
    answered.catch(() => undefined);
    emit({ type: 'calling', callId: id, number });
    const timer = setTimeout(() => {
      if (inviter.state === SessionState.Establishing || inviter.state === SessionState.Initial) {
        failure = { code: 408, reason: 'No answer' };
        inviter.cancel().catch(() => undefined);
      }
    }, options.answerTimeoutMs ?? 60_000);
    timer.unref();
    try {
      await inviter.invite({
        requestDelegate: {
          onProgress: (response) => {
            const code = response.message.statusCode;
            if ((code === 180 || code === 183) && record.status === 'calling') {
              record.status = 'ringing';
              emit({ type: 'ringing', callId: id });
            }
          },
          onReject: (response) => {
            failure = {
              code: response.message.statusCode ?? 500,
              reason: response.message.reasonPhrase ?? '',
            };
          },
        },
      });
    } catch (err) {
      clearTimeout(timer);
      records.delete(id);
      throw err;
    }
    try {
      await answered;
    } finally {
      clearTimeout(timer);
    }
    return { id, sipCallId: inviter.request.callId, number, ended: endedPromise };
  };

  const transfer = async (
    callId: string,
    target: string,
    transferOptions: EndpointTransferOptions = {},
  ): Promise<TransferResult> => {
    const record = lookup(callId);
    if (record.inviter.state !== SessionState.Established) {
      throw new EndpointError('BAD_STATE', `call ${callId} is not answered (${record.status})`);
    }
    const targets = [target, ...(transferOptions.fallbacks ?? [])];
    const abort = new AbortController();
    const outer = transferOptions.signal;
    if (outer) {
      if (outer.aborted) abort.abort();
      else outer.addEventListener('abort', () => abort.abort(), { once: true });
    }
    record.transferAbort = abort;
    record.status = 'transferring';
    emit({ type: 'transferring', callId, target });
    const handler = handlerOf(record);
    if (options.holdAudio && handler) handler.play(audioSourceFor(options.holdAudio));
    let result: TransferResult;
    try {
      result = await sipjsTransfer(record.inviter, targets, {
        domain,
        validate: transferOptions.validate ?? true,
        hangUpOnSuccess: (options.hangup ?? 'wait-for-bye') === 'after-notify',
        ...(transferOptions.allowEarlyHangup === undefined
          ? {}
          : { allowEarlyHangup: transferOptions.allowEarlyHangup }),
        ...((transferOptions.timeoutMs ?? options.notifyTimeoutMs) === undefined
          ? {}
          : { notifyTimeoutMs: transferOptions.timeoutMs ?? options.notifyTimeoutMs }),
        signal: abort.signal,
        logger: {
          warn: (message, ...details) => logger.warn({ details }, message),
          debug: (message, ...details) => logger.debug({ details }, message),
        },
        onProgress: (progress) => {
          const shown = targets[progress.attempt] ?? progress.target.uri;
          if (progress.kind === 'trying' || progress.kind === 'ringing') {
            emit({ type: 'transfer-progress', callId, target: shown, stage: progress.kind });
          } else if (progress.kind === 'attemptEnded') {
            emit({ type: 'transfer-outcome', callId, target: shown, ...outcomeFields(progress.outcome) });
            const next = targets[progress.attempt + 1];
            if (next !== undefined) emit({ type: 'transferring', callId, target: next });
          }
        },
      });
    } catch (err) {
      record.transferAbort = undefined;
      if (record.status === 'transferring') record.status = 'answered';
      if (handler && !handler.isClosed) handler.play(record.audio);
      if (err instanceof TransferError && err.referToError) {
        // Refused before sending: report it as the trunk would have answered.
        emit({
          type: 'transfer-outcome',
          callId,
          target: err.target ?? target,
          outcome: 'rejected',
          code: err.referToError.status,
          reason: `${err.referToError.reason} (not sent: ${err.referToError.message})`,
        });
      }
      throw err;
    }
    record.transferAbort = undefined;
    record.transferOutcome = result.kind;
    const last = result.attempts.at(-1);
    const shown = last ? (targets[result.attempts.length - 1] ?? last.target.uri) : target;
    emit({ type: 'transfer-outcome', callId, target: shown, ...outcomeFields(result) });
    if (result.kind === 'succeeded') record.status = 'transferred';
    else if (record.inviter.state === SessionState.Established) {
      record.status = 'answered';
      if (handler && !handler.isClosed && !record.held) handler.play(record.audio);
    }
    return result;
  };

  const hangup = async (
    callId: string,
    hangupOptions: { force?: boolean | undefined } = {},
  ): Promise<void> => {
    const record = lookup(callId);
    const state = record.inviter.state;
    if (state === SessionState.Initial || state === SessionState.Establishing) {
      await record.inviter.cancel();
      return;
    }
    if (state !== SessionState.Established) return;
    if (hangupOptions.force && record.transferAbort) record.transferAbort.abort();
    await hangUp(record.inviter);
  };

  const hold = async (callId: string, held: boolean): Promise<void> => {
    const record = lookup(callId);
    if (record.inviter.state !== SessionState.Established) {
      throw new EndpointError('BAD_STATE', `call ${callId} is not answered (${record.status})`);
    }
    await new Promise<void>((resolve, reject) => {
      record.inviter
        .invite({
          sessionDescriptionHandlerOptions: { hold: held } as object,
          requestDelegate: {
            onAccept: () => resolve(),
            onReject: (response) =>
              reject(
                new EndpointError(
                  'BAD_STATE',
                  `re-INVITE refused: ${response.message.statusCode} ${response.message.reasonPhrase}`,
                ),
              ),
          },
        })
        .catch(reject);
    });
    record.held = held;
    const handler = handlerOf(record);
    if (handler) handler.play(held && options.holdAudio ? audioSourceFor(options.holdAudio) : record.audio);
  };

  const sendDtmf = async (callId: string, digits: string): Promise<void> => {
    const record = lookup(callId);
    const handler = handlerOf(record);
    if (!handler || record.inviter.state !== SessionState.Established) {
      throw new EndpointError('BAD_STATE', `call ${callId} has no media`);
    }
    if (!handler.sendDtmf(digits)) throw new EndpointError('BAD_STATE', `cannot send DTMF "${digits}"`);
    await handler.dtmfSent();
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await Promise.all(
      [...records.values()].map(async (record) => {
        try {
          if (record.inviter.state === SessionState.Established) await hangup(record.id, { force: true });
          else if (record.inviter.state === SessionState.Establishing) await record.inviter.cancel();
        } catch (err) {
          logger.debug({ err, callId: record.id }, 'hang-up on close failed');
        }
      }),
    );
    await agent.stop();
    listeners.clear();
  };

  const advertised = agent.transport.local ?? { host: local.host, port: local.port };
  return {
    contact: agent.contact,
    local: { host: advertised.host, port: advertised.port },
    call,
    transfer,
    hangup,
    hold,
    sendDtmf,
    hasCall: (callId) => records.has(callId),
    callState: (callId) => {
      const record = records.get(callId);
      return record ? snapshot(record) : undefined;
    },
    calls: () => [...records.values()].map(snapshot),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close,
  };
}

function outcomeFields(outcome: TransferResult | TransferResult['attempts'][number]['outcome']): {
  outcome: string;
  code?: number;
  reason?: string;
} {
  if (outcome.kind === 'succeeded' || outcome.kind === 'failed' || outcome.kind === 'rejected') {
    return { outcome: outcome.kind, code: outcome.code, reason: outcome.reason };
  }
  return { outcome: outcome.kind };
}
