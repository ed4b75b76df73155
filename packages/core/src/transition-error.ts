/**
 * Codes of {@link TransitionError}. Callers branch on `code`, never on message text.
 */
export const TRANSITION_ERROR_CODES = {
  /** The event has no meaning in the current state (e.g. `referSent` while idle). */
  UNEXPECTED_EVENT: 'UNEXPECTED_EVENT',
  /** A computed move is not in the machine's table of allowed transitions. */
  INVALID_TRANSITION: 'INVALID_TRANSITION',
  /** A second transfer was started while one is in flight on the dialog. */
  TRANSFER_IN_PROGRESS: 'TRANSFER_IN_PROGRESS',
  /** Hang-up refused: no 2xx NOTIFY yet and `allowEarlyHangup` is off (Plivo drops the caller). */
  HANG_UP_BEFORE_FINAL_NOTIFY: 'HANG_UP_BEFORE_FINAL_NOTIFY',
  /** The dialog has ended; nothing more can be done on it. */
  DIALOG_ENDED: 'DIALOG_ENDED',
  /** `transfer` was started with an empty hunt list. */
  NO_TARGETS: 'NO_TARGETS',
  /** The state or event is not one of the machine's kinds (an untyped caller passed garbage). */
  INVALID_INPUT: 'INVALID_INPUT',
} as const;

/** One of {@link TRANSITION_ERROR_CODES}. */
export type TransitionErrorCode = (typeof TRANSITION_ERROR_CODES)[keyof typeof TRANSITION_ERROR_CODES];

/**
 * A refused or invalid move, returned as data (an `error` effect), never thrown.
 * `from` is the state kind the machine was in, `to` the state kind the move would have reached
 * (when there was one) and `event` the event type that asked for it.
 */
export interface TransitionError {
  /** Machine-readable code. */
  readonly code: TransitionErrorCode;
  /** State kind the machine was in. */
  readonly from: string;
  /** State kind the refused move would have reached, if any. */
  readonly to?: string;
  /** Event type that caused it. */
  readonly event: string;
  /** Human-readable explanation naming the fix. */
  readonly message: string;
}

/**
 * Result of a transition: the next state and the effects for the adapter to execute, in order.
 */
export interface TransitionResult<S, F> {
  /** Next state (the same object when nothing changed). */
  readonly state: S;
  /** Effects to execute, in order. Empty when the event changed nothing. */
  readonly effects: readonly F[];
}

/**
 * Checks a move against a table of allowed transitions (state kind -> reachable kinds).
 * Returns `undefined` when allowed, else an `INVALID_TRANSITION` error naming `from` and `to`.
 */
export function checkTransition<K extends string>(
  table: Readonly<Record<K, readonly K[]>>,
  from: K,
  to: K,
  event: string,
): TransitionError | undefined {
  if (from === to || (table[from] as readonly K[] | undefined)?.includes(to) === true) return undefined;
  return {
    code: TRANSITION_ERROR_CODES.INVALID_TRANSITION,
    from,
    to,
    event,
    message: `invalid transition from '${from}' to '${to}' on '${event}'`,
  };
}

/**
 * Applies {@link checkTransition} to a computed result: returns it unchanged when the move is in
 * the table, else keeps `from` and returns only an error effect built by `toEffect`.
 *
 * @internal
 */
export function guardTransition<K extends string, S extends { readonly kind: K }, F>(
  table: Readonly<Record<K, readonly K[]>>,
  from: S,
  event: string,
  result: TransitionResult<S, F>,
  toEffect: (error: TransitionError) => F,
): TransitionResult<S, F> {
  const error = checkTransition(table, from.kind, result.state.kind, event);
  return error === undefined ? result : { state: from, effects: [toEffect(error)] };
}

/**
 * The `default` of an exhaustive `switch`: unreachable for typed callers, an `INVALID_INPUT`
 * error (never a throw) for untyped ones.
 *
 * @internal
 */
export function invalidInput(from: unknown, event: string, value: never): TransitionError {
  return {
    code: TRANSITION_ERROR_CODES.INVALID_INPUT,
    from: kindOf(from, 'kind'),
    event,
    message: `not a state or event of this machine: ${JSON.stringify(value)}`,
  };
}

/** @internal */
export function kindOf(value: unknown, key: string): string {
  const tag =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return typeof tag === 'string' ? tag : String(tag);
}

/**
 * Wraps an error as the `error` effect both machines emit.
 *
 * @internal
 */
export function errorEffect(error: TransitionError): {
  readonly type: 'error';
  readonly error: TransitionError;
} {
  return { type: 'error', error };
}

/**
 * Runs one step of a machine: computes the move with `step`, turns anything it throws on
 * malformed input from an untyped caller into an `INVALID_INPUT` error effect, then checks the
 * move against `table` (see {@link guardTransition}).
 *
 * @internal
 */
export function runStep<K extends string, S extends { readonly kind: K }, E, F>(
  table: Readonly<Record<K, readonly K[]>>,
  state: S,
  event: E,
  step: (state: S, event: E) => TransitionResult<S, F>,
  toEffect: (error: TransitionError) => F,
): TransitionResult<S, F> {
  const eventType = kindOf(event, 'type');
  let result: TransitionResult<S, F>;
  try {
    result = step(state, event);
  } catch (cause) {
    return {
      state,
      effects: [
        toEffect({
          code: TRANSITION_ERROR_CODES.INVALID_INPUT,
          from: kindOf(state, 'kind'),
          event: eventType,
          message: `malformed state or event: ${String(cause)}`,
        }),
      ],
    };
  }
  return guardTransition(table, state, eventType, result, toEffect);
}
