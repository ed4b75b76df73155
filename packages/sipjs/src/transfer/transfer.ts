import { canHangUp as machineCanHangUp, createTransferor } from '@referkit/core';
import type {
  TransferOptions,
  TransferOutcome,
  Transferor,
  TransferorEffect,
  TransferorEvent,
  TransferorState,
  TransferProgress,
} from '@referkit/core';
import { SessionState } from 'sip.js';
import type { Core, Notification, Session } from 'sip.js';
import { TransferError } from './errors.js';
import type { TransferErrorCode } from './errors.js';
import { readNotify, readReferSub } from './notify.js';
import { resolveTargets } from './targets.js';
import type { SessionTransferOptions, TransferLogger, TransferResult, TransferTargetInput } from './types.js';

type ByeFn = Session['bye'];
type InternalByeFn = Session['_bye'];

/** The transfer in flight on a session. */
interface Run {
  readonly resolve: (result: TransferResult) => void;
  readonly onProgress: ((progress: TransferProgress) => void) | undefined;
  readonly logger: TransferLogger;
  readonly detach: () => void;
}

/** Per-session state: one transferor machine for the life of the dialog. */
interface Binding {
  readonly session: Session;
  transferor: Transferor;
  run: Run | undefined;
  logger: TransferLogger;
  /** A BYE was sent from this side (session.bye(), dispose(), or the machine's sendBye). */
  localBye: boolean;
  readonly timers: Map<string, ReturnType<typeof setTimeout>>;
  readonly bye: ByeFn;
  readonly onNotify: (notification: Notification) => void;
}

const bindings = new WeakMap<Session, Binding>();

const SILENT: TransferLogger = { warn: () => undefined };

/** Headers the adapter writes itself; `options.headers` may not set them. */
const RESERVED_HEADERS = new Set([
  'refer-to',
  'r',
  'referred-by',
  'b',
  'contact',
  'm',
  'via',
  'v',
  'from',
  'f',
  'to',
  't',
  'call-id',
  'i',
  'cseq',
  'content-length',
  'l',
  'max-forwards',
  'route',
  'event',
  'o',
]);
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/**
 * Blind-transfers a SIP.js call with REFER and follows it to the end.
 *
 * Works on any established `Session` (an `Inviter` or an `Invitation`, on any transport including
 * WebSocket in a browser). It validates every target as a `Refer-To` (unless `validate: false`),
 * sends REFER with `Refer-To: <uri>` in angle brackets, a `Referred-By` and your extra headers,
 * answers every NOTIFY of that subscription with 200 (matched by `Event: refer;id=<CSeq>`; others
 * get 481), reports progress (`accepted`, `trying`, `ringing`) and resolves with the outcome:
 * `succeeded`, `failed(code)` (e.g. 486 at the target: the call is still up), `rejected(code)`
 * (400/403 to the REFER), `timedOut`, `unverified` or `cancelled`. With a list of targets, each
 * `failed` / `rejected` (except 481) / `timedOut` target moves on to the next one, each with its
 * own time budget.
 *
 * It never sends BYE before a 2xx NOTIFY: while the transfer is in flight `session.bye()` is
 * refused with a {@link TransferError} (`HANG_UP_BEFORE_FINAL_NOTIFY`) unless `allowEarlyHangup`
 * is set, because on a Plivo trunk that BYE drops the caller. After success the trunk sends BYE;
 * `hangUpOnSuccess` sends it from this side instead.
 *
 * Rejects with a {@link TransferError} only when nothing could be sent: invalid target
 * (`INVALID_TARGET`, with the validator's 400/403 verdict), session not established, a transfer
 * already in flight, bad input.
 *
 * @example
 * ```ts
 * import { transfer } from '@referkit/sipjs';
 *
 * const result = await transfer(session, ['+14155550101', { uri: '+14155550105', timeoutMs: 20_000 }], {
 *   onProgress: (p) => console.log(p.kind), // accepted, trying, ringing
 *   headers: { 'X-Reason': 'escalation' },
 * });
 * if (result.kind === 'succeeded') console.log('connected; the trunk hangs up our leg');
 * else console.log('still on the call:', result.kind); // failed 486, rejected 403, timedOut...
 * ```
 *
 * @param session - an established SIP.js session
 * @param target - a number, a SIP URI, a `TransferTarget`, or a hunt list of them (tried in order)
 * @param options - see {@link SessionTransferOptions}
 * @returns the final outcome and every attempt
 */
export async function transfer(
  session: Session,
  target: TransferTargetInput | readonly TransferTargetInput[],
  options: SessionTransferOptions = {},
): Promise<TransferResult> {
  if (options.signal?.aborted === true) return { kind: 'cancelled', by: 'local', attempts: [] };
  checkSession(session);
  const inputs: readonly TransferTargetInput[] = Array.isArray(target)
    ? (target as readonly TransferTargetInput[])
    : [target as TransferTargetInput];
  const domain = options.domain ?? remoteHost(session);
  const targets = resolveTargets(inputs, {
    domain,
    validate: options.validate !== false,
    profile: options.profile,
  });
  const headers = checkHeaders(options.headers);
  checkDuration('options.notifyTimeoutMs', options.notifyTimeoutMs);
  for (const resolved of targets) checkDuration(`timeoutMs of ${resolved.uri}`, resolved.timeoutMs);
  const referredBy =
    options.referredBy === false
      ? undefined
      : (options.referredBy ?? `<${session.localIdentity.uri.toString()}>`);
  const machineOptions: TransferOptions = {
    targets,
    notifyTimeoutMs: options.notifyTimeoutMs,
    allowEarlyHangup: options.allowEarlyHangup,
    hangUpOnSuccess: options.hangUpOnSuccess,
    referredBy,
    headers,
  };

  const binding = bind(session);
  const logger = options.logger ?? SILENT;
  binding.logger = logger;
  const effects = binding.transferor.send({ type: 'transfer', options: machineOptions });
  const refused = effects.find((effect) => effect.type === 'error');
  if (refused !== undefined) {
    const { error } = refused;
    throw new TransferError(error.code as TransferErrorCode, error.message, { transition: error });
  }

  return new Promise<TransferResult>((resolve) => {
    const signal = options.signal;
    const onAbort = (): void => abort(binding);
    signal?.addEventListener('abort', onAbort, { once: true });
    binding.run = {
      resolve,
      onProgress: options.onProgress,
      logger,
      detach: () => signal?.removeEventListener('abort', onAbort),
    };
    execute(binding, effects, undefined);
  });
}

/**
 * Whether hanging up now is safe: `false` while a transfer is in flight on this session (REFER
 * sent, no final NOTIFY yet) unless it was started with `allowEarlyHangup`, and once the session
 * has ended. `true` for a session that never transferred and is established.
 *
 * @param session - a SIP.js session
 */
export function canHangUp(session: Session): boolean {
  if (session.state !== SessionState.Established) return false;
  const binding = bindings.get(session);
  return binding === undefined || machineCanHangUp(binding.transferor.state);
}

/**
 * Hangs up (BYE) unless a transfer is in flight: then it rejects with a {@link TransferError}
 * (`HANG_UP_BEFORE_FINAL_NOTIFY`) and sends nothing, unless the transfer was started with
 * `allowEarlyHangup` (it then ends `cancelled`). The same guard applies to `session.bye()` once
 * {@link transfer} has been used on the session.
 *
 * @param session - an established SIP.js session
 */
export async function hangUp(session: Session): Promise<void> {
  await session.bye();
}

function checkSession(session: Session): void {
  if (session === null || typeof session !== 'object' || typeof session.bye !== 'function') {
    throw new TransferError(
      'INVALID_INPUT',
      'transfer() needs a SIP.js Session (an Inviter or an Invitation)',
    );
  }
  if (session.state === SessionState.Terminated || session.state === SessionState.Terminating) {
    throw new TransferError('DIALOG_ENDED', `the session is ${session.state}: nothing to transfer`);
  }
  if (session.state !== SessionState.Established || session.dialog === undefined) {
    throw new TransferError(
      'NOT_ESTABLISHED',
      `the session is ${session.state}: REFER needs an established call (wait for SessionState.Established)`,
    );
  }
}

function remoteHost(session: Session): string | undefined {
  const host = session.remoteIdentity.uri.host;
  return host === '' ? undefined : host;
}

/** A time budget must be a positive number of milliseconds a timer can hold (setTimeout caps at 2^31-1). */
function checkDuration(what: string, ms: number | undefined): void {
  if (ms === undefined) return;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > 2_147_483_647) {
    throw new TransferError(
      'INVALID_INPUT',
      `${what} must be a positive number of milliseconds, got ${String(ms)}`,
    );
  }
}

function checkHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  if (headers === null || typeof headers !== 'object') {
    throw new TransferError('INVALID_INPUT', 'options.headers must be an object of header name -> value');
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) {
      throw new TransferError('INVALID_INPUT', `header name ${JSON.stringify(name)} is not a SIP token`);
    }
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new TransferError(
        'INVALID_INPUT',
        `header ${name} is written by transfer() itself (use the target or options.referredBy)`,
      );
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new TransferError('INVALID_INPUT', `header ${name} must be a string without CR, LF or NUL`);
    }
    out[name] = value;
  }
  return out;
}

/**
 * Attaches the adapter to a session once: one transferor machine for the dialog, the NOTIFY
 * dispatcher, the BYE guard and the end-of-dialog listener.
 */
function bind(session: Session): Binding {
  const existing = bindings.get(session);
  if (existing !== undefined) return existing;
  const bye = session.bye.bind(session);
  const internalBye: InternalByeFn = session._bye.bind(session);
  const binding: Binding = {
    session,
    transferor: createTransferor(),
    run: undefined,
    logger: SILENT,
    localBye: false,
    timers: new Map(),
    bye,
    onNotify: (notification) => onNotify(binding, notification),
  };
  bindings.set(session, binding);

  // SIP.js's dispose() (UserAgent.stop()) calls _bye() directly; mark every local BYE so the end of
  // the dialog is attributed to the right side.
  session._bye = (delegate, requestOptions) => {
    binding.localBye = true;
    return internalBye(delegate, requestOptions);
  };
  session.bye = (byeOptions) => guardedBye(binding, byeOptions);

  const onState = (state: SessionState): void => {
    if (state !== SessionState.Terminated) return;
    session.stateChange.removeListener(onState);
    feed(binding, { type: 'dialogEnded', by: binding.localBye ? 'local' : 'remote' }, undefined);
    clearTimers(binding);
  };
  session.stateChange.addListener(onState);
  return binding;
}

function guardedBye(binding: Binding, options: Parameters<ByeFn>[0]): ReturnType<ByeFn> {
  const state = binding.transferor.state;
  if (inFlight(state)) {
    if (!machineCanHangUp(state)) {
      const effects = binding.transferor.send({ type: 'hangUp' });
      const refused = effects.find((effect) => effect.type === 'error');
      return Promise.reject(
        new TransferError(
          'HANG_UP_BEFORE_FINAL_NOTIFY',
          refused?.error.message ??
            'no 2xx NOTIFY yet: a BYE now drops the caller; wait for the outcome or set allowEarlyHangup',
          { transition: refused?.error },
        ),
      );
    }
    // allowEarlyHangup: the machine ends the transfer `cancelled` and asks for the BYE, sent here.
    const effects = binding.transferor.send({ type: 'hangUp' });
    execute(
      binding,
      effects.filter((effect) => effect.type !== 'sendBye'),
      undefined,
    );
  }
  return binding.bye(options);
}

function inFlight(state: TransferorState): boolean {
  return (
    state.kind === 'referring' ||
    state.kind === 'accepted' ||
    state.kind === 'trying' ||
    state.kind === 'ringing'
  );
}

/** Every in-dialog NOTIFY of the session arrives here once a REFER was sent (SIP.js routes them all). */
function onNotify(binding: Binding, notification: Notification): void {
  const request = notification.request;
  const verdict = readNotify({
    event: request.getHeader('event'),
    subscriptionState: request.getHeader('subscription-state'),
    contentType: request.getHeader('content-type'),
    body: typeof request.body === 'string' ? request.body : '',
  });
  switch (verdict.kind) {
    case 'other': {
      // Not a refer NOTIFY: hand it to the application's delegate, as SIP.js would have.
      const delegate = binding.session.delegate;
      if (delegate?.onNotify !== undefined) delegate.onNotify(notification);
      else answer(binding, notification.accept(), 'NOTIFY 200');
      return;
    }
    case 'bad':
      answer(binding, notification.reject({ statusCode: 400, reasonPhrase: verdict.reason }), 'NOTIFY 400');
      return;
    case 'refer':
      binding.logger.debug?.('NOTIFY', verdict.event);
      feed(binding, verdict.event, notification);
      return;
    default: {
      const _never: never = verdict;
      return _never;
    }
  }
}

function feed(binding: Binding, event: TransferorEvent, notification: Notification | undefined): void {
  execute(binding, binding.transferor.send(event), notification);
}

function execute(
  binding: Binding,
  effects: readonly TransferorEffect[],
  notification: Notification | undefined,
): void {
  for (const effect of effects) {
    switch (effect.type) {
      case 'sendRefer':
        sendRefer(binding, effect);
        break;
      case 'answerNotify':
        if (notification === undefined) break;
        answer(
          binding,
          effect.status === 200
            ? notification.accept()
            : notification.reject({ statusCode: effect.status, reasonPhrase: effect.reason }),
          `NOTIFY ${effect.status}`,
        );
        break;
      case 'startTimer':
        startTimer(binding, effect.id, effect.ms);
        break;
      case 'cancelTimer':
        stopTimer(binding, effect.id);
        break;
      case 'progress':
        if (binding.run?.onProgress !== undefined) {
          try {
            binding.run.onProgress(effect.progress);
          } catch (error) {
            binding.logger.warn('onProgress threw', error);
          }
        }
        break;
      case 'outcome':
        settle(binding, effect.outcome, effect.attempts);
        break;
      case 'sendBye':
        binding.bye().catch((error: unknown) => binding.logger.warn('BYE after the transfer failed', error));
        break;
      case 'error':
        // A refused move outside transfer()/bye() (a stray response or event): nothing to do.
        binding.logger.debug?.('transferor refused an event', effect.error);
        break;
      default: {
        const _never: never = effect;
        return _never;
      }
    }
  }
}

function sendRefer(binding: Binding, effect: Extract<TransferorEffect, { type: 'sendRefer' }>): void {
  const { session } = binding;
  const extraHeaders = [`Refer-To: ${effect.referTo}`];
  if (effect.referredBy !== undefined) extraHeaders.push(`Referred-By: ${effect.referredBy}`);
  // REFER is a target refresh request: it carries Contact (RFC 3515 section 2.4.1 / RFC 3261 12.2).
  extraHeaders.push(`Contact: ${session.userAgent.contact.toString()}`);
  for (const [name, value] of Object.entries(effect.headers)) extraHeaders.push(`${name}: ${value}`);
  const transferor = binding.transferor;
  const onResponse = (response: Core.IncomingResponse): void => {
    // A response that arrives after an abort belongs to a machine that is gone.
    if (binding.transferor !== transferor) return;
    const message = response.message;
    feed(
      binding,
      {
        type: 'referResponse',
        status: message.statusCode ?? 500,
        reason: message.reasonPhrase ?? '',
        referSub: readReferSub(message.getHeader('refer-sub')),
      },
      undefined,
    );
  };
  const delegate: Core.OutgoingRequestDelegate = {
    onAccept: onResponse,
    onProgress: onResponse,
    onRedirect: onResponse,
    onReject: onResponse,
    onTrying: onResponse,
  };
  let sent: Promise<{ message: { cseq: number } }>;
  try {
    // Session.refer() writes Refer-To without angle brackets and its own Referred-By; _refer() sends
    // exactly our headers and routes every in-dialog NOTIFY to our dispatcher (see README).
    sent = session._refer(binding.onNotify, delegate, { extraHeaders });
  } catch (error) {
    sent = Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  sent.then(
    (request) => {
      if (binding.transferor === transferor)
        feed(binding, { type: 'referSent', cseq: request.message.cseq }, undefined);
    },
    (error: unknown) => {
      binding.logger.warn('REFER could not be sent', error);
      if (binding.transferor !== transferor) return;
      // Reported like a transport error (RFC 3261 8.1.3.1): a local 503.
      feed(binding, { type: 'referResponse', status: 503, reason: 'Service Unavailable' }, undefined);
    },
  );
}

function startTimer(binding: Binding, id: string, ms: number): void {
  stopTimer(binding, id);
  const transferor = binding.transferor;
  const handle = setTimeout(() => {
    binding.timers.delete(id);
    if (binding.transferor === transferor) feed(binding, { type: 'timerFired', id }, undefined);
  }, ms);
  binding.timers.set(id, handle);
}

function stopTimer(binding: Binding, id: string): void {
  const handle = binding.timers.get(id);
  if (handle === undefined) return;
  clearTimeout(handle);
  binding.timers.delete(id);
}

function clearTimers(binding: Binding): void {
  for (const handle of binding.timers.values()) clearTimeout(handle);
  binding.timers.clear();
}

function answer(binding: Binding, pending: Promise<void>, what: string): void {
  pending.catch((error: unknown) => binding.logger.warn(`${what} could not be sent`, error));
}

function settle(binding: Binding, outcome: TransferOutcome, attempts: TransferResult['attempts']): void {
  const run = binding.run;
  binding.run = undefined;
  clearTimers(binding);
  if (run === undefined) return;
  run.detach();
  run.resolve({ ...outcome, attempts });
}

/**
 * AbortSignal: stop following the transfer. The machine has no abort event, so the run resolves
 * `cancelled` here and the session gets a fresh machine that remembers how many REFERs were sent
 * (its NOTIFYs without a matching id are then answered 481).
 */
function abort(binding: Binding): void {
  const run = binding.run;
  const state = binding.transferor.state;
  if (run === undefined || !('run' in state)) return;
  const { attempt, history, refersSent } = state.run;
  const outcome: TransferOutcome = { kind: 'cancelled', by: 'local' };
  binding.transferor = createTransferor({ kind: 'idle', refersSent });
  settle(binding, outcome, [...history, { target: attempt.target, cseq: attempt.cseq, outcome }]);
}
