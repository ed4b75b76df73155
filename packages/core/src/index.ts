// Public entry point: every export of this package is listed here.
export { SIP_T1_MS, DEFAULT_NOTIFY_TIMEOUT_MS } from './transfer-options.js';
export type { TransferTarget, TransferOptions } from './transfer-options.js';
export type {
  TransferOutcome,
  TransferOutcomeKind,
  TransferProgress,
  TransferAttempt,
} from './transfer-outcome.js';
export { TRANSITION_ERROR_CODES, checkTransition } from './transition-error.js';
export type { TransitionError, TransitionErrorCode, TransitionResult } from './transition-error.js';
export { TRANSFEROR_TRANSITIONS } from './transferor-types.js';
export type {
  SubscriptionStateValue,
  SipfragStatus,
  TransferorAttemptContext,
  TransferorRun,
  TransferorState,
  TransferorStateKind,
  TransferorEvent,
  TransferorEventType,
  TransferorEffect,
  TransferorEffectType,
} from './transferor-types.js';
export { initialTransferorState, canHangUp, transferorTransition } from './transferor-machine.js';
export { TRUNK_RECORD_CODES, TRUNK_TRANSFER_TRANSITIONS } from './trunk-types.js';
export type {
  TrunkReferVerdict,
  TrunkTransferContext,
  TrunkTransferState,
  TrunkTransferStateKind,
  TrunkLeg,
  TrunkTransferEvent,
  TrunkTransferEventType,
  TrunkRecordCode,
  TrunkRecord,
  TrunkTransferEffect,
  TrunkTransferEffectType,
} from './trunk-types.js';
export {
  TRANSFEROR_HUNG_UP_EARLY_REASON,
  initialTrunkTransferState,
  trunkTransferTransition,
} from './trunk-machine.js';
export { createTransferor, createTrunkTransfer } from './interpreter.js';
export type { MachineRunner, Transferor, TrunkTransfer } from './interpreter.js';
