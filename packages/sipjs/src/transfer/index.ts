export { transfer, canHangUp, hangUp } from './transfer.js';
export { TransferError, TRANSFER_ERROR_CODES } from './errors.js';
export type { TransferErrorCode, TransferErrorDetails } from './errors.js';
export type { SessionTransferOptions, TransferLogger, TransferResult, TransferTargetInput } from './types.js';
// The outcome and progress types come from @referkit/core; re-exported so callers need one import.
export type { TransferAttempt, TransferOutcome, TransferProgress, TransferTarget } from '@referkit/core';
