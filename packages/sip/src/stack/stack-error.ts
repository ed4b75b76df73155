/** Error codes thrown synchronously by the stack API (protocol failures never throw: see `ClientTransaction.error`). */
export const StackErrorCode = {
  /** `listen` was empty. */
  NoTransport: 'NO_TRANSPORT',
  /** The stack was closed. */
  Closed: 'STACK_CLOSED',
  /** An outgoing message is larger than `maxMessageSize` (SIP 513). */
  MessageTooLarge: 'MESSAGE_TOO_LARGE',
  /** `sendRequest()` was asked to send ACK or CANCEL, which the stack sends itself. */
  InvalidRequest: 'INVALID_REQUEST',
  /** `respond()` was given a status outside 100-699. */
  InvalidStatus: 'INVALID_STATUS',
} as const;

/** One of the {@link StackErrorCode} values. */
export type StackErrorCode = (typeof StackErrorCode)[keyof typeof StackErrorCode];

/** A typed error from the stack API; branch on `code`. */
export class StackError extends Error {
  /** What went wrong. */
  readonly code: StackErrorCode;

  /** Creates an error with a code and an optional cause. */
  constructor(code: StackErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StackError';
    this.code = code;
  }
}
