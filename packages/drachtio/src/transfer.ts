import { createTransferor, canHangUp as machineCanHangUp } from '@referkit/core';
import type {
  TransferAttempt,
  TransferOptions,
  TransferOutcome,
  TransferProgress,
  Transferor,
  TransferorEffect,
  TransferorEvent,
  TransferorState,
  TransitionError,
} from '@referkit/core';
import type { TrunkProfile } from '@referkit/validators';
import type {
  DrachtioRequestLike,
  DrachtioResponseLike,
  DrachtioResponseSenderLike,
  ReferDialog,
} from './dialog-types.js';
import { TransferError } from './errors.js';
import { dialogParties, resolveTargets } from './targets.js';
import type { TransferTargetInput } from './targets.js';
import { readCSeq, readNotify, readReferSub } from './wire.js';

/** Timer functions the adapter uses; inject fakes in tests. Defaults to the global ones. */
export interface TransferTimers {
  /** Starts a timer; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer started with `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** Something that logs; `console` and pino fit. Default: silent. */
export interface TransferLogger {
  /** Unexpected but handled conditions (a throwing progress callback, a failed BYE). */
  warn(message: string, ...details: unknown[]): void;
  /** Each step (REFER sent, response, NOTIFY received). */
  debug?(message: string, ...details: unknown[]): void;
}

/**
 * Options of {@link transfer}: those of `@referkit/core`'s `TransferOptions` (time budgets,
 * early hang-up opt-in, extra headers; `targets` come from the `target` argument) plus what the
 * adapter adds. The same options as `@referkit/sipjs`'s `transfer()`, plus `timers`.
 */
export interface DrachtioTransferOptions extends Omit<TransferOptions, 'targets' | 'referredBy'> {
  /**
   * Domain for targets given as bare numbers, and the termination domain the default trunk
   * profile accepts. Default: the far end's host in the dialog's INVITE (the `To` of an outbound
   * call, i.e. `XXXXXXXXXXXX.zt.plivo.com` for a call placed through a Plivo trunk).
   */
  readonly domain?: string | undefined;
  /**
   * Validate every target's `Refer-To` before sending anything (default `true`). With `false`
   * the targets are sent as given (angle brackets added; characters that would break the header
   * are still refused), so a lab can show the trunk's own 400 / 403 answers.
   */
  readonly validate?: boolean | undefined;
  /**
   * Trunk rules used for validation. Default: `plivoProfile({ terminationDomain: domain })` from
   * `@referkit/validators` (E.164 user part, the trunk's domain, no private addresses, Geo
   * Permissions of the home country).
   */
  readonly profile?: TrunkProfile | undefined;
  /**
   * `Referred-By` value (RFC 3892). Default: our address from the dialog's INVITE in angle
   * brackets. Pass `false` to omit the header.
   */
  readonly referredBy?: string | false | undefined;
  /** Called on each step of the attempt in flight: `accepted`, `trying`, `ringing`, `attemptEnded`. */
  readonly onProgress?: ((progress: TransferProgress) => void) | undefined;
  /**
   * Stops following the transfer: the promise resolves `cancelled` (by `local`) at once and no BYE
   * is sent. A REFER cannot be withdrawn: the trunk may still complete the transfer. Its later
   * NOTIFYs are answered 481 (which ends the subscription, RFC 6665 section 4.1.3) while another
   * transfer is in flight on the dialog, otherwise 200 by drachtio-srf itself (the adapter listens
   * only while a transfer is in flight).
   */
  readonly signal?: AbortSignal | undefined;
  /** Logger for handled oddities; default silent. */
  readonly logger?: TransferLogger | undefined;
  /** Timer functions (default: the global `setTimeout` / `clearTimeout`). */
  readonly timers?: TransferTimers | undefined;
}

/**
 * What {@link transfer} resolves with: the final `TransferOutcome` (discriminated on `kind`) plus
 * every attempt of the hunt list, oldest first.
 *
 * @example
 * ```ts
 * const result = await transfer(dialog, '+14155550101');
 * if (result.kind === 'failed') console.log(result.code); // e.g. 486
 * ```
 */
export type TransferResult = TransferOutcome & {
  /** Every attempt, oldest first (one per target tried). */
  readonly attempts: readonly TransferAttempt[];
};

type NotifyEvent = Extract<TransferorEvent, { type: 'notify' }>;
type InFlightState = Extract<TransferorState, { run: unknown }>;

interface Queued {
  readonly event: TransferorEvent;
  /** The NOTIFY's response object, for `answerNotify`. */
  readonly res?: DrachtioResponseSenderLike | undefined;
  /** Told of a refused move (`error` effect). */
  readonly onError?: ((error: TransitionError) => void) | undefined;
  /** Told when the BYE asked for by this event has been answered. */
  readonly onBye?: ((err: unknown) => void) | undefined;
}

interface HeldNotify {
  readonly event: NotifyEvent;
  readonly res: DrachtioResponseSenderLike;
}

interface Run {
  readonly resolve: (result: TransferResult) => void;
  readonly onProgress: ((progress: TransferProgress) => void) | undefined;
  readonly logger: TransferLogger;
  readonly detach: () => void;
  /** Timer id of the attempt whose REFER has no response yet (its CSeq is unknown). */
  pendingRefer: string | undefined;
  /** NOTIFYs that arrived before the REFER's CSeq was known, in arrival order. */
  readonly held: HeldNotify[];
}

/**
 * Headers the adapter or the dialog writes; `options.headers` may not set them. `Contact` is
 * allowed: it replaces the dialog's own (e.g. a public address behind NAT).
 */
const RESERVED_HEADERS = new Set([
  'refer-to',
  'r',
  'referred-by',
  'b',
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
const SILENT: TransferLogger = { warn: () => undefined };

const DEFAULT_TIMERS: TransferTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Everything the adapter keeps for one dialog: the transferor machine (one per dialog, so the
 * "first REFER of the dialog" rule and the hang-up guard hold across transfers), the event queue
 * and the transfer in flight.
 */
class DialogTransfers {
  private machine: Transferor = createTransferor();
  private run: Run | undefined;
  private readonly queue: Queued[] = [];
  private draining = false;
  private timers: TransferTimers = DEFAULT_TIMERS;
  private logger: TransferLogger = SILENT;
  private readonly handles = new Map<string, unknown>();
  /** Highest REFER CSeq seen in a response: NOTIFYs with an id up to it are for earlier REFERs. */
  private highestCSeq = 0;

  constructor(private readonly dialog: ReferDialog) {}

  get state(): TransferorState {
    return this.machine.state;
  }

  start(options: TransferOptions, extra: DrachtioTransferOptions): Promise<TransferResult> {
    return new Promise<TransferResult>((resolve, reject) => {
      if (this.run !== undefined) {
        reject(
          new TransferError(
            'TRANSFER_IN_PROGRESS',
            'a transfer is already in flight on this dialog: wait for its outcome',
          ),
        );
        return;
      }
      this.timers = extra.timers ?? DEFAULT_TIMERS;
      this.logger = extra.logger ?? SILENT;
      const run = this.attach(resolve, extra);
      this.run = run;
      this.dispatch({
        event: { type: 'transfer', options },
        onError: (error) => {
          this.finishRun(run);
          reject(
            new TransferError(
              error.code === 'DIALOG_ENDED' ? 'DIALOG_ENDED' : 'TRANSFER_IN_PROGRESS',
              error.message,
              { transition: error },
            ),
          );
        },
      });
    });
  }

  hangUp(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.dispatch({
        event: { type: 'hangUp' },
        onError: (error) =>
          reject(
            new TransferError(
              error.code === 'HANG_UP_BEFORE_FINAL_NOTIFY' ? 'HANG_UP_BEFORE_FINAL_NOTIFY' : 'DIALOG_ENDED',
              error.message,
              { transition: error },
            ),
          ),
        // An accepted hang-up settles once the BYE is answered.
        onBye: (err) => {
          if (err === null || err === undefined) resolve();
          else reject(err instanceof Error ? err : new Error(errorText(err)));
        },
      });
    });
  }

  /** Listens to the dialog before the REFER goes out (a NOTIFY may beat the 202). */
  private attach(resolve: (result: TransferResult) => void, extra: DrachtioTransferOptions): Run {
    const dialog = this.dialog;
    let detached = false;
    const onNotify = (req: DrachtioRequestLike, res: DrachtioResponseSenderLike): void =>
      this.onNotify(req, res);
    const onDestroy = (): void => this.onDialogEnded('remote');
    const onRemoveListener = (event: string | symbol, listener: unknown): void => {
      // drachtio-srf's destroy() removes every listener once its BYE is answered, without a
      // 'destroy' event: losing our NOTIFY listener on a dead dialog means it ended locally.
      if (!detached && event === 'notify' && listener === onNotify && dialog.connected === false) {
        this.onDialogEnded('local');
      }
    };
    const onAbort = (): void => this.abandon();
    dialog.on('notify', onNotify);
    dialog.on('destroy', onDestroy);
    dialog.addListener('removeListener', onRemoveListener);
    extra.signal?.addEventListener('abort', onAbort, { once: true });
    return {
      resolve,
      onProgress: extra.onProgress,
      logger: extra.logger ?? SILENT,
      pendingRefer: undefined,
      held: [],
      detach: () => {
        if (detached) return;
        detached = true;
        dialog.removeListener('removeListener', onRemoveListener);
        dialog.removeListener('notify', onNotify);
        dialog.removeListener('destroy', onDestroy);
        extra.signal?.removeEventListener('abort', onAbort);
      },
    };
  }

  private onNotify(req: DrachtioRequestLike, res: DrachtioResponseSenderLike): void {
    const notify = readNotify(req);
    this.logger.debug?.('transfer: NOTIFY', notify);
    if (notify.kind === 'other') {
      // Not a REFER subscription's NOTIFY: leave it to the application's own listener, or answer
      // it as drachtio-srf does when nobody listens.
      if (this.dialog.listenerCount('notify') <= 1) res.send(200, 'OK', {});
      return;
    }
    if (notify.kind === 'malformed') {
      res.send(400, 'Bad Request', {});
      return;
    }
    const event: NotifyEvent = {
      type: 'notify',
      eventId: notify.eventId,
      subscriptionState: notify.subscriptionState,
      sipfrag: notify.sipfrag,
    };
    const run = this.run;
    const older = event.eventId !== undefined && event.eventId <= this.highestCSeq;
    if (run?.pendingRefer !== undefined && !older) {
      // The REFER's CSeq (the NOTIFY's Event id) is known only from its response: hold NOTIFYs
      // that beat it (RFC 6665 section 4.1.2.4 allows that race) until it arrives.
      run.held.push({ event, res });
      return;
    }
    this.dispatch({ event, res });
  }

  private onDialogEnded(by: 'local' | 'remote'): void {
    this.releaseHeld();
    this.dispatch({ event: { type: 'dialogEnded', by } });
  }

  /** Processes events one at a time, in order, even when an effect triggers another event. */
  private dispatch(item: Queued): void {
    this.queue.push(item);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        this.process(next);
      }
    } finally {
      this.draining = false;
    }
  }

  private process(item: Queued): void {
    const effects = this.machine.send(item.event);
    let answered = false;
    for (const effect of effects) {
      if (effect.type === 'answerNotify') answered = true;
      this.execute(effect, item);
    }
    // Every NOTIFY gets an answer (RFC 6665 section 4.1.3); the machine always gives one, this
    // only guards against a refused move.
    if (item.res !== undefined && !answered) item.res.send(481, 'Subscription Does Not Exist', {});
  }

  private execute(effect: TransferorEffect, item: Queued): void {
    switch (effect.type) {
      case 'sendRefer':
        this.sendRefer(effect);
        return;
      case 'answerNotify':
        item.res?.send(effect.status, effect.reason, {});
        return;
      case 'startTimer':
        this.startTimer(effect.id, effect.ms);
        return;
      case 'cancelTimer':
        this.cancelTimer(effect.id);
        return;
      case 'progress':
        this.report(effect.progress);
        return;
      case 'outcome':
        this.settle(effect.outcome, effect.attempts);
        return;
      case 'sendBye':
        this.sendBye(item.onBye);
        return;
      case 'error':
        item.onError?.(effect.error);
        return;
      default: {
        const _never: never = effect;
        return;
      }
    }
  }

  private sendRefer(effect: Extract<TransferorEffect, { type: 'sendRefer' }>): void {
    const run = this.run;
    const token = this.currentToken();
    if (run === undefined || token === undefined) return;
    run.pendingRefer = token;
    const headers: Record<string, string> = { ...effect.headers, 'Refer-To': effect.referTo };
    if (effect.referredBy !== undefined) headers['Referred-By'] = effect.referredBy;
    // drachtio-server adds no Contact to a REFER (drachtio-server issue 44), yet the implicit
    // subscription needs one (RFC 3515 section 2.4.1): copy the dialog's own unless given.
    const contact = this.dialog.local?.contact;
    if (contact !== undefined && !Object.keys(headers).some((name) => /^(contact|m)$/i.test(name))) {
      headers.Contact = contact;
    }
    let learned = false;
    const onResponse = (err: unknown, res: DrachtioResponseLike | undefined): void => {
      const seen = res === undefined ? undefined : readCSeq(res);
      if (seen !== undefined) this.highestCSeq = Math.max(this.highestCSeq, seen);
      // A response for an attempt that already ended (timed out, aborted) changes nothing.
      if (this.run !== run || this.currentToken() !== token) return;
      if (err !== null && err !== undefined) {
        this.referFailed(run, err);
        return;
      }
      if (res === undefined) return;
      this.logger.debug?.(`transfer: REFER answered ${res.status} ${res.reason ?? ''}`);
      if (!learned) {
        learned = true;
        run.pendingRefer = undefined;
        if (seen !== undefined) this.dispatch({ event: { type: 'referSent', cseq: seen } });
        this.releaseHeld();
      }
      this.dispatch({
        event: {
          type: 'referResponse',
          status: res.status,
          reason: res.reason ?? '',
          referSub: readReferSub(res),
        },
      });
    };
    this.logger.debug?.(`transfer: REFER to ${effect.referTo} (attempt ${effect.attempt + 1})`);
    try {
      // The callback form: drachtio-srf calls it for every response, provisional ones included
      // (the Promise form settles on the first, possibly 100 Trying).
      this.dialog.request({ method: 'REFER', headers }, onResponse);
    } catch (error) {
      onResponse(error, undefined);
    }
  }

  /**
   * The REFER could not be sent (drachtio-server gone, dialog unknown to it): a transport failure,
   * which RFC 3261 section 8.1.3.1 says to treat as 503.
   */
  private referFailed(run: Run, err: unknown): void {
    run.pendingRefer = undefined;
    this.releaseHeld();
    const detail = errorText(err);
    this.dispatch({
      event: { type: 'referResponse', status: 503, reason: `Service Unavailable (${detail})` },
    });
  }

  /** Feeds held NOTIFYs to the machine, in arrival order, ahead of whatever comes next. */
  private releaseHeld(): void {
    const run = this.run;
    if (run === undefined) return;
    run.pendingRefer = undefined;
    for (const held of run.held.splice(0)) this.dispatch(held);
  }

  private currentToken(): string | undefined {
    const state = this.machine.state;
    return isInFlight(state) ? state.run.attempt.timerId : undefined;
  }

  private startTimer(id: string, ms: number): void {
    this.cancelTimer(id);
    const handle = this.timers.setTimeout(() => {
      this.handles.delete(id);
      this.releaseHeld();
      this.dispatch({ event: { type: 'timerFired', id } });
    }, ms);
    this.handles.set(id, handle);
  }

  private cancelTimer(id: string): void {
    const handle = this.handles.get(id);
    if (handle === undefined) return;
    this.handles.delete(id);
    this.timers.clearTimeout(handle);
  }

  private report(progress: TransferProgress): void {
    const run = this.run;
    try {
      run?.onProgress?.(progress);
    } catch (error) {
      // A throwing progress callback must not stop the transfer (NOTIFYs still need answers).
      run?.logger.warn('transfer: onProgress threw; the transfer goes on', error);
    }
  }

  private settle(outcome: TransferOutcome, attempts: readonly TransferAttempt[]): void {
    const run = this.run;
    if (run === undefined) return;
    this.finishRun(run);
    run.resolve({ ...outcome, attempts });
  }

  private finishRun(run: Run): void {
    if (this.run === run) this.run = undefined;
    run.detach();
    for (const id of [...this.handles.keys()]) this.cancelTimer(id);
    // NOTIFYs still held belong to a subscription nobody watches any more: the machine answers them.
    for (const held of run.held.splice(0)) this.dispatch(held);
  }

  /**
   * AbortSignal: stop watching the transfer in flight. The machine has no "forget" event (a
   * `dialogEnded` would end the dialog for good), so the adapter moves it to `done` with a
   * `cancelled` outcome itself, keeping its REFER count.
   */
  private abandon(): void {
    const state = this.machine.state;
    const run = this.run;
    if (run === undefined || !isInFlight(state)) return;
    const outcome: TransferOutcome = { kind: 'cancelled', by: 'local' };
    const attempt = state.run.attempt;
    const attempts = [...state.run.history, { target: attempt.target, cseq: attempt.cseq, outcome }];
    this.machine = createTransferor({
      kind: 'done',
      refersSent: state.run.refersSent,
      outcome,
      attempts,
    });
    this.settle(outcome, attempts);
  }

  private sendBye(onBye: ((err: unknown) => void) | undefined): void {
    const done = (err: unknown): void => {
      if (err !== null && err !== undefined) this.logger.warn('transfer: BYE failed', err);
      onBye?.(err);
    };
    try {
      this.dialog.destroy({ headers: {} }, done);
    } catch (error) {
      done(error);
    }
    this.dispatch({ event: { type: 'dialogEnded', by: 'local' } });
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? typeof error;
  } catch {
    return typeof error;
  }
}

function isInFlight(state: TransferorState): state is InFlightState {
  return 'run' in state;
}

const sessions = new WeakMap<ReferDialog, DialogTransfers>();

function sessionOf(dialog: ReferDialog): DialogTransfers {
  let session = sessions.get(dialog);
  if (session === undefined) {
    session = new DialogTransfers(dialog);
    sessions.set(dialog, session);
  }
  return session;
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
        `header ${name} is written by transfer() or the dialog itself (use the target or options.referredBy)`,
      );
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new TransferError('INVALID_INPUT', `header ${name} must be a string without CR, LF or NUL`);
    }
    out[name] = value;
  }
  return out;
}

function checkDialog(dialog: ReferDialog): void {
  const d = dialog as Partial<ReferDialog> | null;
  if (
    d === null ||
    typeof d !== 'object' ||
    typeof d.request !== 'function' ||
    typeof d.on !== 'function' ||
    typeof d.destroy !== 'function'
  ) {
    throw new TransferError(
      'INVALID_INPUT',
      'transfer() needs a drachtio-srf Dialog (from createUAC/createUAS/createB2BUA)',
    );
  }
  if (d.connected === false) {
    throw new TransferError('DIALOG_ENDED', 'the dialog has ended: nothing to transfer');
  }
}

/**
 * Blind-transfers the far end of a drachtio-srf dialog with REFER (RFC 3515) and follows it to
 * the end.
 *
 * It validates every target as a `Refer-To` (unless `validate: false`), listens for the dialog's
 * NOTIFYs before sending the REFER (one may beat the 202), sends `REFER` through
 * `dialog.request()` with `Refer-To: <uri>` in angle brackets, `Referred-By`, `Contact` and your
 * extra headers set explicitly, answers every NOTIFY of that subscription 200 (matched by
 * `Event: refer;id=<CSeq>`; others get 481), reports progress (`accepted`, `trying`, `ringing`)
 * and resolves with the outcome: `succeeded`, `failed(code)` (e.g. 486 at the target: the call is
 * still up), `rejected(code)` (400/403 to the REFER; 503 when it could not be sent), `timedOut`,
 * `unverified` or `cancelled`. With a list of targets, each `failed` / `rejected` (except 481) /
 * `timedOut` target moves on to the next one, each with its own time budget.
 *
 * It never sends BYE before a 2xx NOTIFY: {@link hangUp} refuses while the transfer is in flight
 * unless `allowEarlyHangup` is set, because on a Plivo trunk that BYE drops the caller. After
 * success the trunk sends BYE; `hangUpOnSuccess` sends it from this side instead.
 *
 * Rejects with a {@link TransferError} only when nothing could be sent: invalid target or header,
 * dialog ended, a transfer already in flight.
 *
 * @example
 * ```ts
 * import { transfer } from '@referkit/drachtio';
 *
 * const dialog = await srf.createUAC('sip:+14155550100@XXXXXXXXXXXX.zt.plivo.com', { localSdp });
 * const result = await transfer(dialog, ['+14155550101', { uri: '+14155550105', timeoutMs: 20_000 }], {
 *   onProgress: (p) => console.log(p.kind), // accepted, trying, ringing
 *   headers: { 'X-Reason': 'escalation' },
 * });
 * if (result.kind === 'succeeded') console.log('connected; the trunk hangs up our leg');
 * else console.log('still on the call:', result.kind); // failed 486, rejected 403, timedOut...
 * ```
 *
 * @param dialog - an established drachtio-srf `Dialog`, or anything implementing {@link ReferDialog}
 * @param target - a number, a SIP URI, a `TransferTarget`, or a hunt list of them (tried in order)
 * @param options - see {@link DrachtioTransferOptions}
 * @returns the final outcome and every attempt
 */
export async function transfer(
  dialog: ReferDialog,
  target: TransferTargetInput | readonly TransferTargetInput[],
  options: DrachtioTransferOptions = {},
): Promise<TransferResult> {
  if (options.signal?.aborted === true) return { kind: 'cancelled', by: 'local', attempts: [] };
  checkDialog(dialog);
  const inputs: readonly TransferTargetInput[] = Array.isArray(target)
    ? (target as readonly TransferTargetInput[])
    : [target as TransferTargetInput];
  const parties = dialogParties(dialog);
  const targets = resolveTargets(inputs, {
    domain: options.domain ?? parties.domain,
    validate: options.validate !== false,
    profile: options.profile,
  });
  const headers = checkHeaders(options.headers);
  const referredBy =
    options.referredBy === false
      ? undefined
      : (options.referredBy ?? (parties.localUri === undefined ? undefined : `<${parties.localUri}>`));
  if (referredBy !== undefined && (typeof referredBy !== 'string' || /[\r\n\0]/.test(referredBy))) {
    throw new TransferError('INVALID_INPUT', 'options.referredBy must be a string without CR, LF or NUL');
  }
  return sessionOf(dialog).start(
    {
      targets,
      notifyTimeoutMs: options.notifyTimeoutMs,
      allowEarlyHangup: options.allowEarlyHangup,
      hangUpOnSuccess: options.hangUpOnSuccess,
      referredBy,
      headers,
    },
    options,
  );
}

/**
 * Hangs up the dialog (BYE) if that is safe: refused with `HANG_UP_BEFORE_FINAL_NOTIFY` while a
 * transfer is in flight without `allowEarlyHangup` (on a Plivo trunk a BYE before the 2xx NOTIFY
 * drops the caller). With `allowEarlyHangup` the transfer in flight resolves `cancelled`. Resolves
 * once the BYE is answered.
 *
 * @param dialog - the dialog passed to {@link transfer}
 */
export async function hangUp(dialog: ReferDialog): Promise<void> {
  if (dialog.connected === false) throw new TransferError('DIALOG_ENDED', 'the dialog has ended');
  await sessionOf(dialog).hangUp();
}

/**
 * Whether hanging up now is safe: `false` while a transfer is in flight (REFER sent, no final
 * NOTIFY yet) unless it was started with `allowEarlyHangup`, and once the dialog has ended.
 *
 * @param dialog - the dialog passed to {@link transfer}
 */
export function canHangUp(dialog: ReferDialog): boolean {
  if (dialog.connected === false) return false;
  const session = sessions.get(dialog);
  return session === undefined ? true : machineCanHangUp(session.state);
}
