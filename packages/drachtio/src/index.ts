// Public entry point: every export of this package is listed here.
export { transfer, hangUp, canHangUp } from './transfer.js';
export type { DrachtioTransferOptions, TransferLogger, TransferResult, TransferTimers } from './transfer.js';
export type { TransferTargetInput } from './targets.js';
export { TRANSFER_ERROR_CODES, TransferError } from './errors.js';
export type { TransferErrorCode, TransferErrorDetails } from './errors.js';
export type {
  ReferDialog,
  DrachtioMessageLike,
  DrachtioRequestLike,
  DrachtioResponseLike,
  DrachtioResponseSenderLike,
  DrachtioRequestOptions,
  DrachtioRequestCallback,
} from './dialog-types.js';
