/**
 * Error codes of the transaction layer, each with the SIP status the TU would report for it
 * (RFC 3261 section 8.1.3.1: a timeout or transport error is treated as a 408 / 503).
 */
export const TransactionErrorCode = {
  /** Timer B or F fired: no final response arrived (RFC 3261 17.1.1.2, 17.1.2.2). */
  Timeout: 'TRANSACTION_TIMEOUT',
  /** The transport failed to send (RFC 3261 17.1.4, 17.2.4). */
  TransportError: 'TRANSPORT_ERROR',
  /** A state transition not in the machine's table was attempted. */
  InvalidTransition: 'INVALID_TRANSITION',
  /** The transaction was terminated before a final response (stack closed). */
  Terminated: 'TERMINATED',
} as const;

/** One of the {@link TransactionErrorCode} values. */
export type TransactionErrorCode = (typeof TransactionErrorCode)[keyof typeof TransactionErrorCode];

const STATUS: Record<TransactionErrorCode, number> = {
  TRANSACTION_TIMEOUT: 408,
  TRANSPORT_ERROR: 503,
  INVALID_TRANSITION: 500,
  TERMINATED: 503,
};

/** A typed transaction-layer error; branch on `code`, never on the message text. */
export class TransactionError extends Error {
  /** What went wrong. */
  readonly code: TransactionErrorCode;
  /** The SIP status a TU should treat this as (RFC 3261 8.1.3.1). */
  readonly status: number;

  /** Creates an error with a code and an optional cause. */
  constructor(code: TransactionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransactionError';
    this.code = code;
    this.status = STATUS[code];
  }
}

/**
 * Checks `from -> to` against a machine's table of allowed moves and throws a
 * {@link TransactionError} naming both states otherwise.
 */
export function assertTransition<S extends string>(
  machine: string,
  table: Readonly<Record<S, readonly S[]>>,
  from: S,
  to: S,
): void {
  if (!table[from].includes(to)) {
    throw new TransactionError(
      TransactionErrorCode.InvalidTransition,
      `${machine}: invalid transition from "${from}" to "${to}"`,
    );
  }
}
