import type { TransitionResult } from './transition-error.js';
import { initialTransferorState, transferorTransition } from './transferor-machine.js';
import type { TransferorEffect, TransferorEvent, TransferorState } from './transferor-types.js';
import { initialTrunkTransferState, trunkTransferTransition } from './trunk-machine.js';
import type { TrunkTransferEffect, TrunkTransferEvent, TrunkTransferState } from './trunk-types.js';

/**
 * A tiny interpreter around a transition function: it holds the state; `send` applies one event
 * and returns the effects for the caller (an adapter) to execute, in order.
 */
export interface MachineRunner<S, E, F> {
  /** Current state. */
  readonly state: S;
  /** Applies one event; returns the effects to execute. Never throws. */
  send(event: E): readonly F[];
}

/** A {@link MachineRunner} for the transferor. */
export type Transferor = MachineRunner<TransferorState, TransferorEvent, TransferorEffect>;

/** A {@link MachineRunner} for the trunk side. */
export type TrunkTransfer = MachineRunner<TrunkTransferState, TrunkTransferEvent, TrunkTransferEffect>;

function run<S, E, F>(
  initial: S,
  transition: (state: S, event: E) => TransitionResult<S, F>,
): MachineRunner<S, E, F> {
  let state = initial;
  return {
    get state() {
      return state;
    },
    send(event) {
      const result = transition(state, event);
      state = result.state;
      return result.effects;
    },
  };
}

/**
 * Creates a transferor for one dialog.
 *
 * @example
 * ```ts
 * const t = createTransferor();
 * const effects = t.send({ type: 'transfer', options: { targets: [{ uri: 'sip:+14155551234@x.zt.plivo.com' }] } });
 * // execute effects (sendRefer, startTimer), then feed referSent, referResponse, notify...
 * ```
 *
 * @param state - starting state, default {@link initialTransferorState}()
 */
export function createTransferor(state: TransferorState = initialTransferorState()): Transferor {
  return run(state, transferorTransition);
}

/**
 * Creates the trunk side of one dialog (e.g. for a mock trunk).
 *
 * @param state - starting state, default {@link initialTrunkTransferState}()
 */
export function createTrunkTransfer(state: TrunkTransferState = initialTrunkTransferState()): TrunkTransfer {
  return run(state, trunkTransferTransition);
}
