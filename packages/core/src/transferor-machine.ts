import { DEFAULT_NOTIFY_TIMEOUT_MS } from './transfer-options.js';
import type { TransferOptions, TransferTarget } from './transfer-options.js';
import type { TransferAttempt, TransferOutcome } from './transfer-outcome.js';
import { TRANSITION_ERROR_CODES, errorEffect, runStep, invalidInput, kindOf } from './transition-error.js';
import type { TransitionErrorCode, TransitionResult } from './transition-error.js';
import { TRANSFEROR_TRANSITIONS } from './transferor-types.js';
import type {
  TransferorEffect,
  TransferorEvent,
  TransferorRun,
  TransferorState,
  TransferorStateKind,
} from './transferor-types.js';

type Result = TransitionResult<TransferorState, TransferorEffect>;
type InFlight = Extract<TransferorState, { run: TransferorRun }>;

/** The transferor's starting state: an established dialog with no transfer yet. */
export function initialTransferorState(): TransferorState {
  return { kind: 'idle', refersSent: 0 };
}

/**
 * Whether the application may hang up now. `false` while a transfer is in flight (REFER sent, no
 * final NOTIFY yet) unless {@link TransferOptions.allowEarlyHangup} is set: on a Plivo trunk a
 * BYE before NOTIFY 200 drops the caller. `false` once the dialog has ended.
 */
export function canHangUp(state: TransferorState): boolean {
  switch (state.kind) {
    case 'idle':
    case 'done':
      return true;
    case 'referring':
    case 'accepted':
    case 'trying':
    case 'ringing':
      return state.run.options.allowEarlyHangup === true;
    case 'ended':
      return false;
    default: {
      // Not a transferor state (an untyped caller): nothing safe to hang up.
      const _unknown: never = state;
      return false;
    }
  }
}

/**
 * The transferor's transition function: pure, never throws. Returns the next state and the
 * effects for the adapter to execute in order. A refused or invalid move keeps the state and
 * returns a single `error` effect.
 *
 * @example
 * ```ts
 * let state = initialTransferorState();
 * const r = transferorTransition(state, { type: 'transfer', options: { targets: [{ uri: 'sip:+14155551234@x.zt.plivo.com' }] } });
 * state = r.state; // { kind: 'referring', ... }; r.effects: sendRefer, startTimer
 * ```
 */
export function transferorTransition(
  state: TransferorState,
  event: TransferorEvent,
): TransitionResult<TransferorState, TransferorEffect> {
  return runStep(TRANSFEROR_TRANSITIONS, state, event, step, errorEffect);
}

function step(state: TransferorState, event: TransferorEvent): Result {
  switch (event.type) {
    case 'transfer':
      return onTransfer(state, event.options);
    case 'referSent':
      return onReferSent(state, event.cseq);
    case 'referResponse':
      return onReferResponse(state, event.status, event.reason ?? '', event.referSub);
    case 'notify':
      return onNotify(state, event);
    case 'timerFired':
      // A stale timer (an earlier attempt's) changes nothing.
      return isInFlight(state) && state.run.attempt.timerId === event.id
        ? finish(state, { kind: 'timedOut' }, false)
        : same(state);
    case 'hangUp':
      return onHangUp(state);
    case 'dialogEnded':
      return onDialogEnded(state, event.by);
    default:
      return invalid(state, kindOf(event, 'type'), event);
  }
}

function onTransfer(state: TransferorState, options: TransferOptions): Result {
  switch (state.kind) {
    case 'idle':
    case 'done':
      if (options.targets.length === 0) {
        return refuse(
          state,
          'transfer',
          TRANSITION_ERROR_CODES.NO_TARGETS,
          'referring',
          'options.targets is empty: give at least one target',
        );
      }
      // Untyped callers: every target must carry a URI, or the REFER would point nowhere.
      if (!Array.isArray(options.targets) || !options.targets.every(hasUri)) {
        return refuse(
          state,
          'transfer',
          TRANSITION_ERROR_CODES.INVALID_INPUT,
          'referring',
          'options.targets must be an array of { uri: string }',
        );
      }
      return beginAttempt(options, 0, [], state.refersSent, []);
    case 'referring':
    case 'accepted':
    case 'trying':
    case 'ringing':
      // One transfer in flight per dialog: a second REFER would only get 491 from the trunk.
      return refuse(
        state,
        'transfer',
        TRANSITION_ERROR_CODES.TRANSFER_IN_PROGRESS,
        'referring',
        'a transfer is already in flight on this dialog: wait for its outcome',
      );
    case 'ended':
      return refuse(
        state,
        'transfer',
        TRANSITION_ERROR_CODES.DIALOG_ENDED,
        'referring',
        'the dialog has ended',
      );
    default:
      return invalid(state, 'transfer', state);
  }
}

function onReferSent(state: TransferorState, cseq: number): Result {
  // Normally reported at once; a late report (after the response) is still taken.
  if (isInFlight(state) && state.run.attempt.cseq === undefined) {
    const run: TransferorRun = { ...state.run, attempt: { ...state.run.attempt, cseq } };
    return { state: { ...state, run }, effects: [] };
  }
  return refuse(
    state,
    'referSent',
    TRANSITION_ERROR_CODES.UNEXPECTED_EVENT,
    undefined,
    'referSent only follows a sendRefer effect, once',
  );
}

function onReferResponse(
  state: TransferorState,
  status: number,
  reason: string,
  referSub: boolean | undefined,
): Result {
  switch (state.kind) {
    case 'referring':
      // https://www.rfc-editor.org/rfc/rfc3261#section-17.1.2.2: provisional responses do not end
      // the transaction.
      if (status < 200) return same(state);
      if (status < 300) {
        // https://www.rfc-editor.org/rfc/rfc4488#section-4: with Refer-Sub: false no NOTIFY will
        // come.
        if (referSub === false) return finish(state, { kind: 'unverified' }, true);
        // https://www.rfc-editor.org/rfc/rfc3515#section-2.4.2: 202 (or 200) accepts the REFER;
        // NOTIFYs follow.
        return {
          state: { kind: 'accepted', run: state.run, code: status },
          effects: [progress(state.run, 'accepted', status)],
        };
      }
      // https://www.rfc-editor.org/rfc/rfc3515#section-2.4.2: a non-2xx final response means no
      // subscription and no transfer.
      return finish(state, { kind: 'rejected', code: status, reason }, true);
    case 'accepted':
    case 'trying':
    case 'ringing':
      // A NOTIFY arrived before the final response
      // (https://www.rfc-editor.org/rfc/rfc6665#section-4.1.2.4): a 2xx now adds nothing, a non-2xx
      // still refuses the REFER.
      return status >= 300 ? finish(state, { kind: 'rejected', code: status, reason }, true) : same(state);
    case 'done':
    case 'ended':
      // A late response after a timeout or a BYE: nothing left to change.
      return same(state);
    case 'idle':
      return refuse(
        state,
        'referResponse',
        TRANSITION_ERROR_CODES.UNEXPECTED_EVENT,
        undefined,
        'no REFER is in flight',
      );
    default:
      return invalid(state, 'referResponse', state);
  }
}

function onNotify(state: TransferorState, event: Extract<TransferorEvent, { type: 'notify' }>): Result {
  if (!isInFlight(state) || !matches(state.run, event.eventId)) {
    // https://www.rfc-editor.org/rfc/rfc6665#section-4.1.3: a NOTIFY matching no subscription is
    // answered 481.
    return { state, effects: [{ type: 'answerNotify', status: 481, reason: 'Subscription Does Not Exist' }] };
  }
  // Plivo's guide (and https://www.rfc-editor.org/rfc/rfc6665#section-4.1.3): answer every NOTIFY
  // with 200 OK.
  const ok: TransferorEffect = { type: 'answerNotify', status: 200, reason: 'OK' };
  const frag = event.sipfrag;
  const terminated = event.subscriptionState === 'terminated';
  if (frag === undefined || frag.code < 200) {
    // https://www.rfc-editor.org/rfc/rfc6665#section-4.1.3: a terminated subscription with no final
    // status leaves it unknown.
    if (terminated) return finish(state, { kind: 'unverified' }, true, [ok]);
    if (frag === undefined || state.kind === 'ringing') return { state, effects: [ok] };
    const kind = frag.code === 180 || frag.code === 183 ? 'ringing' : 'trying';
    if (state.kind === kind) return { state, effects: [ok] };
    return {
      state: { kind, run: state.run },
      effects: [ok, progress(state.run, kind, frag.code)],
    };
  }
  // https://www.rfc-editor.org/rfc/rfc3515#section-2.4.5: the sipfrag's final status is the outcome
  // of the referenced request.
  if (frag.code < 300) {
    const bye: TransferorEffect[] = state.run.options.hangUpOnSuccess === true ? [{ type: 'sendBye' }] : [];
    return finish(state, { kind: 'succeeded', code: frag.code, reason: frag.reason }, true, [ok], bye);
  }
  return finish(state, { kind: 'failed', code: frag.code, reason: frag.reason }, true, [ok]);
}

function onHangUp(state: TransferorState): Result {
  switch (state.kind) {
    case 'idle':
    case 'done':
      return { state: { kind: 'ended', refersSent: state.refersSent }, effects: [{ type: 'sendBye' }] };
    case 'referring':
    case 'accepted':
    case 'trying':
    case 'ringing':
      if (state.run.options.allowEarlyHangup === true) return cancel(state, 'local', [{ type: 'sendBye' }]);
      return refuse(
        state,
        'hangUp',
        TRANSITION_ERROR_CODES.HANG_UP_BEFORE_FINAL_NOTIFY,
        'ended',
        'no 2xx NOTIFY yet: a BYE now drops the caller; wait for the outcome or set allowEarlyHangup',
      );
    case 'ended':
      return refuse(state, 'hangUp', TRANSITION_ERROR_CODES.DIALOG_ENDED, undefined, 'the dialog has ended');
    default:
      return invalid(state, 'hangUp', state);
  }
}

function onDialogEnded(state: TransferorState, by: 'local' | 'remote'): Result {
  switch (state.kind) {
    case 'idle':
    case 'done':
      return { state: { kind: 'ended', refersSent: state.refersSent }, effects: [] };
    case 'referring':
    case 'accepted':
    case 'trying':
    case 'ringing':
      // https://www.rfc-editor.org/rfc/rfc3515#section-2.4.4 /
      // https://www.rfc-editor.org/rfc/rfc6665#section-4.4.1: the implicit subscription shares the
      // dialog; once the dialog is gone the transfer can no longer be observed.
      return cancel(state, by, []);
    case 'ended':
      return same(state);
    default:
      return invalid(state, 'dialogEnded', state);
  }
}

/**
 * https://www.rfc-editor.org/rfc/rfc3515#section-2.4.6: `id` is the REFER's CSeq; it may be absent
 * only for the dialog's first REFER.
 */
function matches(run: TransferorRun, eventId: number | undefined): boolean {
  if (eventId === undefined) return run.attempt.firstInDialog;
  return eventId === run.attempt.cseq;
}

function beginAttempt(
  options: TransferOptions,
  index: number,
  history: readonly TransferAttempt[],
  refersSent: number,
  before: readonly TransferorEffect[],
): Result {
  const target = options.targets[index] as TransferTarget;
  const timerId = `refer-${refersSent + 1}`;
  const run: TransferorRun = {
    options,
    attempt: { index, target, cseq: undefined, firstInDialog: refersSent === 0, timerId },
    history,
    refersSent: refersSent + 1,
  };
  return {
    state: { kind: 'referring', run },
    effects: [
      ...before,
      {
        type: 'sendRefer',
        referTo: formatReferTo(target),
        referredBy: options.referredBy,
        headers: options.headers ?? {},
        target,
        attempt: index,
      },
      {
        type: 'startTimer',
        id: timerId,
        ms: target.timeoutMs ?? options.notifyTimeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS,
      },
    ],
  };
}

/**
 * Ends the attempt in flight. Failed, rejected (but not 481: the dialog is gone) and timed-out
 * attempts move on to the next target of the hunt list; anything else ends the transfer.
 */
function finish(
  state: InFlight,
  outcome: TransferOutcome,
  timerRunning: boolean,
  before: readonly TransferorEffect[] = [],
  after: readonly TransferorEffect[] = [],
): Result {
  const { run } = state;
  const { attempt } = run;
  const history = [...run.history, { target: attempt.target, cseq: attempt.cseq, outcome }];
  const effects: TransferorEffect[] = [...before];
  if (timerRunning) effects.push({ type: 'cancelTimer', id: attempt.timerId });
  const next = attempt.index + 1;
  const hunt =
    (outcome.kind === 'failed' ||
      outcome.kind === 'timedOut' ||
      (outcome.kind === 'rejected' && outcome.code !== 481)) &&
    next < run.options.targets.length;
  if (hunt) {
    effects.push({
      type: 'progress',
      progress: { kind: 'attemptEnded', outcome, target: attempt.target, attempt: attempt.index },
    });
    return beginAttempt(run.options, next, history, run.refersSent, effects);
  }
  effects.push({ type: 'outcome', outcome, attempts: history }, ...after);
  return { state: { kind: 'done', refersSent: run.refersSent, outcome, attempts: history }, effects };
}

function cancel(state: InFlight, by: 'local' | 'remote', after: readonly TransferorEffect[]): Result {
  const { run } = state;
  const outcome: TransferOutcome = { kind: 'cancelled', by };
  const attempts = [...run.history, { target: run.attempt.target, cseq: run.attempt.cseq, outcome }];
  return {
    state: { kind: 'ended', refersSent: run.refersSent },
    effects: [
      { type: 'cancelTimer', id: run.attempt.timerId },
      { type: 'outcome', outcome, attempts },
      ...after,
    ],
  };
}

function progress(
  run: TransferorRun,
  kind: 'accepted' | 'trying' | 'ringing',
  code: number,
): TransferorEffect {
  return {
    type: 'progress',
    progress: { kind, code, target: run.attempt.target, attempt: run.attempt.index },
  };
}

/**
 * `Refer-To` value: always name-addr (angle brackets),
 * https://www.rfc-editor.org/rfc/rfc3515#section-2.1 /
 * https://www.rfc-editor.org/rfc/rfc3261#section-20.10.
 */
function formatReferTo(target: TransferTarget): string {
  const uri = `<${target.uri}>`;
  if (target.displayName === undefined) return uri;
  return `"${target.displayName.replace(/["\\]/g, (c) => `\\${c}`)}" ${uri}`;
}

function hasUri(target: TransferTarget): boolean {
  return typeof (target as Partial<TransferTarget> | null)?.uri === 'string' && target.uri.length > 0;
}

function isInFlight(state: TransferorState): state is InFlight {
  return (
    state.kind === 'referring' ||
    state.kind === 'accepted' ||
    state.kind === 'trying' ||
    state.kind === 'ringing'
  );
}

function same(state: TransferorState): Result {
  return { state, effects: [] };
}

function refuse(
  state: TransferorState,
  event: string,
  code: TransitionErrorCode,
  to: TransferorStateKind | undefined,
  message: string,
): Result {
  const error =
    to === undefined
      ? { code, from: state.kind, event, message }
      : { code, from: state.kind, to, event, message };
  return { state, effects: [{ type: 'error', error }] };
}

function invalid(state: TransferorState, event: string, value: never): Result {
  return { state, effects: [{ type: 'error', error: invalidInput(state, event, value) }] };
}
