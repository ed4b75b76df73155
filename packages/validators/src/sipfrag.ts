import { err, ok, type Result } from './result.js';

/** A `message/sipfrag` body (RFC 3420) reduced to what a REFER's NOTIFY carries: a status line. */
export interface Sipfrag {
  /** Status code of the status line (100-699). */
  readonly code: number;
  /** Reason phrase (may be empty). */
  readonly reason: string;
  /** Header lines after the status line, in order, names as written; folded lines are joined. */
  readonly headers: readonly (readonly [string, string])[];
}

/** Codes of {@link SipfragError}. */
export const SIPFRAG_ERROR_CODES = ['EMPTY', 'BAD_ENCODING', 'NOT_A_STATUS_LINE', 'BAD_HEADER'] as const;

/** A code from {@link SIPFRAG_ERROR_CODES}. */
export type SipfragErrorCode = (typeof SIPFRAG_ERROR_CODES)[number];

/** Why a sipfrag body could not be read. */
export interface SipfragError {
  /** What kind of problem. */
  readonly code: SipfragErrorCode;
  /** Human-readable explanation. */
  readonly message: string;
}

const STATUS_LINE = /^SIP\/2\.0[ \t]+([1-6][0-9]{2})(?:[ \t]+([^\r\n]*))?$/i;
const HEADER_LINE = /^([!%'*+\-.0-9A-Z_`a-z~]+)[ \t]*:[ \t]*(.*)$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a `message/sipfrag` body (RFC 3420) whose first line is a SIP status line, as in the
 * NOTIFYs of a REFER subscription (RFC 3515 section 2.4.5): `SIP/2.0 180 Ringing`. Extra header
 * lines are returned; a blank line ends the headers and anything after it (a body) is ignored.
 * CRLF or bare LF line ends are accepted, as is a missing final line end. Never throws.
 *
 * @example
 * ```ts
 * parseSipfrag('SIP/2.0 200 OK\r\n'); // { ok: true, value: { code: 200, reason: 'OK', headers: [] } }
 * ```
 */
export function parseSipfrag(body: string | Uint8Array): Result<Sipfrag, SipfragError> {
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else if (body instanceof Uint8Array) {
    try {
      text = utf8.decode(body);
    } catch {
      return err({ code: 'BAD_ENCODING', message: 'the sipfrag body is not valid UTF-8' });
    }
  } else {
    return err({ code: 'EMPTY', message: 'the sipfrag body is neither a string nor bytes' });
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && (lines[0] ?? '').trim() === '') lines.shift();
  const first = lines.shift();
  if (first === undefined) return err({ code: 'EMPTY', message: 'the sipfrag body is empty' });
  const status = STATUS_LINE.exec(first.trimEnd());
  if (!status) {
    return err({
      code: 'NOT_A_STATUS_LINE',
      message: `"${first.slice(0, 80)}" is not a SIP status line (expected e.g. "SIP/2.0 200 OK")`,
    });
  }
  const headers: [string, string][] = [];
  for (const line of lines) {
    if (line === '') break;
    const last = headers[headers.length - 1];
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const header = HEADER_LINE.exec(line);
    if (!header) return err({ code: 'BAD_HEADER', message: `"${line.slice(0, 80)}" is not a header line` });
    headers.push([header[1] ?? '', (header[2] ?? '').trim()]);
  }
  return ok({ code: Number(status[1]), reason: (status[2] ?? '').trim(), headers });
}

/** Standard reason phrases of the status codes a transfer NOTIFY usually carries (RFC 3261 section 21). */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  415: 'Unsupported Media Type',
  420: 'Bad Extension',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  484: 'Address Incomplete',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

/**
 * Builds a sipfrag status line for a NOTIFY body: `SIP/2.0 <code> <reason>\r\n`. The reason
 * defaults to the standard phrase of the code; CR and LF in a given reason become spaces so the
 * body stays one line.
 *
 * @throws RangeError when `code` is not an integer from 100 to 699 (a programming error, not input).
 *
 * @example
 * ```ts
 * buildSipfrag(180); // 'SIP/2.0 180 Ringing\r\n'
 * ```
 */
export function buildSipfrag(code: number, reason?: string): string {
  if (!Number.isInteger(code) || code < 100 || code > 699) {
    throw new RangeError(`a SIP status code is an integer from 100 to 699, got ${String(code)}`);
  }
  const phrase = (reason ?? REASON_PHRASES[code] ?? '').replace(/[\r\n]+/g, ' ').trim();
  return `SIP/2.0 ${code} ${phrase}\r\n`;
}
