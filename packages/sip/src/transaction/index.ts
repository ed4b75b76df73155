// Public exports of this layer; re-exported by ../index.ts.
export type { Clock, TimerHandle } from './clock.js';
export { realClock } from './clock.js';
export { ManualClock } from './manual-clock.js';
export type { TimerConfig, TimerName } from './timers.js';
export { DEFAULT_TIMERS, resolveTimers, timerDuration } from './timers.js';
export type { TransactionContext } from './transaction-context.js';
export { TransactionError, TransactionErrorCode } from './transaction-error.js';
export type {
  InviteClientTransactionState,
  InviteClientTransactionUser,
} from './invite-client-transaction.js';
export { InviteClientTransaction } from './invite-client-transaction.js';
export type {
  NonInviteClientTransactionState,
  NonInviteClientTransactionUser,
} from './non-invite-client-transaction.js';
export { NonInviteClientTransaction } from './non-invite-client-transaction.js';
export type {
  InviteServerTransactionState,
  InviteServerTransactionUser,
} from './invite-server-transaction.js';
export { InviteServerTransaction } from './invite-server-transaction.js';
export type {
  NonInviteServerTransactionState,
  NonInviteServerTransactionUser,
} from './non-invite-server-transaction.js';
export { NonInviteServerTransaction } from './non-invite-server-transaction.js';
