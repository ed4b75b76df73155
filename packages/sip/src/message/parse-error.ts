/**
 * Codes of {@link SipParseError}, each with the SIP status a server answers when a request fails
 * this way (RFC 3261 section 8.2 and 21.4; `0` where the message is dropped without an answer).
 */
export const SipParseErrorCode = {
  /** No bytes, or only CRLF keep-alives. */
  EMPTY: 'EMPTY',
  /** The message is larger than the configured limit (RFC 3261 section 21.5.14: 513). */
  TOO_LARGE: 'TOO_LARGE',
  /** No empty line ends the header section. */
  INCOMPLETE: 'INCOMPLETE',
  /** The first line is neither a Request-Line nor a Status-Line (RFC 3261 section 7.1, 7.2). */
  BAD_START_LINE: 'BAD_START_LINE',
  /** The SIP-Version is not `SIP/2.0` (RFC 3261 section 21.5.7: 505). */
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  /** The Request-URI is malformed or carries headers (RFC 3261 section 19.1.5). */
  BAD_REQUEST_URI: 'BAD_REQUEST_URI',
  /** The status code is not three digits in 100-699 (RFC 3261 section 7.2). */
  BAD_STATUS_CODE: 'BAD_STATUS_CODE',
  /** A header line has no colon or a name that is not a token (RFC 3261 section 7.3). */
  BAD_HEADER_LINE: 'BAD_HEADER_LINE',
  /** Content-Length is not a non-negative integer, or appears twice with different values. */
  BAD_CONTENT_LENGTH: 'BAD_CONTENT_LENGTH',
  /** Content-Length is larger than the bytes that follow (RFC 3261 section 18.3). */
  BODY_TOO_SHORT: 'BODY_TOO_SHORT',
  /** A stream message has no Content-Length (RFC 3261 section 18.3: mandatory on streams). */
  MISSING_CONTENT_LENGTH: 'MISSING_CONTENT_LENGTH',
  /** A header value does not match its grammar (CSeq, Via, From, To, Max-Forwards ...). */
  BAD_HEADER_VALUE: 'BAD_HEADER_VALUE',
  /** The CSeq method differs from the request method (RFC 3261 section 8.1.1.5). */
  CSEQ_METHOD_MISMATCH: 'CSEQ_METHOD_MISMATCH',
  /** A mandatory header is absent (RFC 3261 section 8.1.1). */
  MISSING_HEADER: 'MISSING_HEADER',
} as const;

/** One of the {@link SipParseErrorCode} values. */
export type SipParseErrorCode = (typeof SipParseErrorCode)[keyof typeof SipParseErrorCode];

/** The SIP status a server answers for each parse error code on a request (0: drop silently). */
export const SIP_PARSE_ERROR_STATUS: Readonly<Record<SipParseErrorCode, number>> = {
  EMPTY: 0,
  TOO_LARGE: 513,
  INCOMPLETE: 400,
  BAD_START_LINE: 400,
  UNSUPPORTED_VERSION: 505,
  BAD_REQUEST_URI: 400,
  BAD_STATUS_CODE: 0,
  BAD_HEADER_LINE: 400,
  BAD_CONTENT_LENGTH: 400,
  BODY_TOO_SHORT: 400,
  MISSING_CONTENT_LENGTH: 400,
  BAD_HEADER_VALUE: 400,
  CSEQ_METHOD_MISMATCH: 400,
  MISSING_HEADER: 400,
};

/** Why a message could not be parsed or failed validation. */
export interface SipParseError {
  /** What went wrong; branch on this, never on `message`. */
  readonly code: SipParseErrorCode;
  /** Human-readable detail, suitable as a 400 reason phrase suffix or a log line. */
  readonly message: string;
  /** The SIP status to answer a request with (0: drop without an answer). */
  readonly status: number;
  /** The header concerned, lower-case long form, when the error is about one header. */
  readonly header?: string;
}

/** Builds a {@link SipParseError}. */
export function sipParseError(code: SipParseErrorCode, message: string, header?: string): SipParseError {
  const status = SIP_PARSE_ERROR_STATUS[code];
  return header === undefined ? { code, message, status } : { code, message, status, header };
}

/** The result shape of every parser in this package. */
export type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SipParseError };
