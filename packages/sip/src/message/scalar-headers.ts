import { isToken } from './header-names.js';
import { sipParseError, type ParseResult } from './parse-error.js';

/** A CSeq value (RFC 3261 section 20.16). */
export interface CSeq {
  /** Sequence number, 0 to 2^31 - 1 (RFC 3261 section 8.1.1.5). */
  readonly seq: number;
  /** Method token, as written (methods are case-sensitive, section 7.1). */
  readonly method: string;
}

const MAX_CSEQ = 2 ** 31 - 1;

function digitsOnly(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Parses `CSeq: 4711 INVITE`; the number must be below 2^31 (RFC 3261 section 8.1.1.5). */
export function parseCSeq(value: string): ParseResult<CSeq> {
  const t = value.trim();
  let sp = 0;
  while (sp < t.length && t.charCodeAt(sp) !== 0x20 && t.charCodeAt(sp) !== 0x09) sp++;
  const num = t.slice(0, sp);
  const method = t.slice(sp).trim();
  if (!digitsOnly(num) || num.length > 10 || Number(num) > MAX_CSEQ || !isToken(method)) {
    return { ok: false, error: sipParseError('BAD_HEADER_VALUE', `CSeq: malformed "${t}"`, 'cseq') };
  }
  return { ok: true, value: { seq: Number(num), method } };
}

/** Writes a CSeq value. */
export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}

/**
 * Parses a non-negative decimal header value (Max-Forwards, Content-Length, Expires ...) no larger
 * than `max`; RFC 3261 section 20.19 (Expires: at most 2^32 - 1), 20.22 (Max-Forwards 0-255).
 */
export function parseUnsigned(value: string, header: string, max: number): ParseResult<number> {
  const t = value.trim();
  if (!digitsOnly(t) || t.length > 16 || Number(t) > max) {
    return {
      ok: false,
      error: sipParseError(
        'BAD_HEADER_VALUE',
        `${header}: "${t}" is not an integer 0-${max}`,
        header.toLowerCase(),
      ),
    };
  }
  return { ok: true, value: Number(t) };
}

/** Parses Max-Forwards (0-255, RFC 3261 section 20.22 and 25.1 `1*DIGIT`, RFC 4475 3.1.2.4). */
export function parseMaxForwards(value: string): ParseResult<number> {
  return parseUnsigned(value, 'Max-Forwards', 255);
}

/** Parses Content-Length (RFC 3261 section 20.14). */
export function parseContentLength(value: string): ParseResult<number> {
  return parseUnsigned(value, 'Content-Length', Number.MAX_SAFE_INTEGER);
}
