import { HeaderField, Headers } from './headers.js';
import { isTokenByte } from './header-names.js';
import { sipParseError, type ParseResult, type SipParseError } from './parse-error.js';
import { setSource, type SipMessage, type SipRequest, type SipResponse } from './sip-message.js';
import { validateMessage } from './validate-message.js';

/** Options of {@link parseMessage}. */
export interface ParseOptions {
  /** Largest accepted message in bytes (default 65535, the UDP datagram limit). */
  readonly maxSize?: number;
  /**
   * Also run {@link validateMessage}: CSeq, Via, From, To, Max-Forwards, Content-Length and other
   * scalar headers checked against their grammar (RFC 4475 section 3.1.2 cases). Default false:
   * only framing, the start line, header-line syntax and Content-Length are checked, header values
   * are decoded lazily.
   */
  readonly strict?: boolean;
  /**
   * True for a message framed from a stream (TCP): Content-Length is mandatory (RFC 3261
   * section 18.3). Default false (a datagram: a missing Content-Length means the rest of it).
   */
  readonly stream?: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

function fail(error: SipParseError): { ok: false; error: SipParseError } {
  return { ok: false, error };
}

/** Offset just past the line end (CRLF or bare LF) of the line starting at `i`, and where its text ends. */
function lineEnd(buf: Buffer, i: number): { textEnd: number; next: number } | undefined {
  const lf = buf.indexOf(LF, i);
  if (lf < 0) return undefined;
  return { textEnd: lf > i && buf[lf - 1] === CR ? lf - 1 : lf, next: lf + 1 };
}

/**
 * Parses one SIP message from a UDP datagram or a framed stream message (RFC 3261 section 7).
 * Never throws: any input yields a message or a typed {@link SipParseError}. Leading CRLFs are
 * skipped (section 7.5); header names compare case-insensitively with compact forms expanded;
 * folded lines are accepted; the body is cut at Content-Length and bytes after it are ignored
 * (section 18.3). Header values are decoded on first access.
 */
export function parseMessage(data: Buffer | string, options: ParseOptions = {}): ParseResult<SipMessage> {
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const parsed = parseBuffer(buf, options);
    if (!parsed.ok || options.strict !== true) return parsed;
    const v = validateMessage(parsed.value);
    return v.ok ? parsed : v;
  } catch (cause) {
    // Defensive: the parser is written not to throw; keep the contract if it ever does.
    return fail(sipParseError('BAD_START_LINE', `unparsable message (${String(cause)})`));
  }
}

function parseBuffer(buf: Buffer, options: ParseOptions): ParseResult<SipMessage> {
  const max = options.maxSize ?? 65535;
  let pos = 0;
  const len = buf.length;
  while (pos < len && (buf[pos] === CR || buf[pos] === LF)) pos++;
  if (pos >= len) return fail(sipParseError('EMPTY', 'no message'));
  if (len - pos > max) return fail(sipParseError('TOO_LARGE', `message larger than ${max} bytes`));
  const msgStart = pos;

  // Start line (RFC 3261 section 7.1 / 7.2).
  const sl = lineEnd(buf, pos);
  if (sl === undefined) return fail(sipParseError('INCOMPLETE', 'no end of start line'));
  const start = parseStartLine(buf, pos, sl.textEnd);
  if (!start.ok) return start;
  const startLineEnd = sl.next;
  pos = sl.next;

  // Header lines until the empty line (section 7.3); continuation lines start with SP/HT.
  const fields: HeaderField[] = [];
  let contentLength: number | undefined;
  let clText: string | undefined;
  let ended = false;
  while (pos < len) {
    const first = buf[pos];
    if (first === CR || first === LF) {
      const e = lineEnd(buf, pos);
      if (e === undefined || e.textEnd !== pos)
        return fail(sipParseError('BAD_HEADER_LINE', 'stray CR in header section'));
      pos = e.next;
      ended = true;
      break;
    }
    if (first === SP || first === HT)
      return fail(sipParseError('BAD_HEADER_LINE', 'continuation line without a header'));
    const lineStart = pos;
    // name
    let i = pos;
    while (i < len && isTokenByte(buf[i]!)) i++;
    const nameEnd = i;
    if (nameEnd === lineStart) return fail(sipParseError('BAD_HEADER_LINE', 'header line without a name'));
    while (i < len && (buf[i] === SP || buf[i] === HT)) i++;
    if (buf[i] !== COLON)
      return fail(
        sipParseError(
          'BAD_HEADER_LINE',
          `header "${buf.toString('latin1', lineStart, Math.min(nameEnd, lineStart + 40))}" has no colon`,
        ),
      );
    i++;
    // value: may span continuation lines
    let e = lineEnd(buf, i);
    if (e === undefined) return fail(sipParseError('INCOMPLETE', 'no end of header section'));
    let folded = false;
    let valueEnd = e.textEnd;
    while (e.next < len && (buf[e.next] === SP || buf[e.next] === HT)) {
      folded = true;
      const more: { textEnd: number; next: number } | undefined = lineEnd(buf, e.next);
      if (more === undefined) return fail(sipParseError('INCOMPLETE', 'no end of header section'));
      e = more;
      valueEnd = e.textEnd;
    }
    let vs = i;
    while (vs < valueEnd && (buf[vs] === SP || buf[vs] === HT || buf[vs] === CR || buf[vs] === LF)) vs++;
    let ve = valueEnd;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HT || buf[ve - 1] === CR || buf[ve - 1] === LF))
      ve--;
    const name = buf.toString('latin1', lineStart, nameEnd);
    const field = new HeaderField(name, undefined, buf, lineStart, e.next, vs, ve, folded);
    fields.push(field);
    if (field.key === 'content-length') {
      const text = field.value;
      if (clText !== undefined && clText !== text)
        return fail(
          sipParseError('BAD_CONTENT_LENGTH', 'conflicting Content-Length headers', 'content-length'),
        );
      clText = text;
      let n = 0;
      if (text.length === 0 || text.length > 15)
        return fail(
          sipParseError(
            'BAD_CONTENT_LENGTH',
            `Content-Length "${text}" is not a non-negative integer`,
            'content-length',
          ),
        );
      for (let k = 0; k < text.length; k++) {
        const c = text.charCodeAt(k);
        if (c < 0x30 || c > 0x39)
          return fail(
            sipParseError(
              'BAD_CONTENT_LENGTH',
              `Content-Length "${text}" is not a non-negative integer`,
              'content-length',
            ),
          );
        n = n * 10 + (c - 0x30);
      }
      contentLength = n;
    }
    pos = e.next;
  }
  if (!ended) return fail(sipParseError('INCOMPLETE', 'no empty line after the headers'));

  // Body (RFC 3261 section 18.3 and 20.14).
  let bodyEnd: number;
  if (contentLength === undefined) {
    if (options.stream === true)
      return fail(
        sipParseError('MISSING_CONTENT_LENGTH', 'Content-Length is mandatory on a stream', 'content-length'),
      );
    bodyEnd = len;
  } else {
    if (pos + contentLength > len)
      return fail(
        sipParseError(
          'BODY_TOO_SHORT',
          `Content-Length ${contentLength} but ${len - pos} body bytes`,
          'content-length',
        ),
      );
    bodyEnd = pos + contentLength;
  }
  const body = buf.subarray(pos, bodyEnd);
  const headers = Headers.fromFields(fields);
  let msg: SipMessage;
  if (start.value.kind === 'request') {
    const req: SipRequest = {
      kind: 'request',
      method: start.value.method,
      uri: start.value.uri,
      headers,
      body,
    };
    msg = req;
  } else {
    const res: SipResponse = {
      kind: 'response',
      status: start.value.status,
      reason: start.value.reason,
      headers,
      body,
    };
    msg = res;
  }
  setSource(msg, {
    bytes: buf.subarray(msgStart, bodyEnd),
    startLine: buf.subarray(msgStart, startLineEnd),
    a: msg.kind === 'request' ? msg.method : msg.status,
    b: msg.kind === 'request' ? msg.uri : msg.reason,
    body,
  });
  return { ok: true, value: msg };
}

type StartLine =
  | { readonly kind: 'request'; readonly method: string; readonly uri: string }
  | { readonly kind: 'response'; readonly status: number; readonly reason: string };

const SIP_SLASH = [0x53, 0x49, 0x50, 0x2f]; // "SIP/"

function isSipVersionAt(buf: Buffer, i: number): boolean {
  for (let k = 0; k < 4; k++) if ((buf[i + k]! | 0x20) !== (SIP_SLASH[k]! | 0x20)) return false;
  return true;
}

/** Checks `SIP/x.y` between i and end; 'ok' for 2.0, 'other' for another well-formed version. */
function versionAt(buf: Buffer, i: number, end: number): 'ok' | 'other' | 'bad' {
  if (end - i < 7 || !isSipVersionAt(buf, i)) return 'bad';
  const text = buf.toString('latin1', i + 4, end);
  const dot = text.indexOf('.');
  if (dot <= 0 || dot === text.length - 1) return 'bad';
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (k !== dot && (c < 0x30 || c > 0x39)) return 'bad';
  }
  return text === '2.0' ? 'ok' : 'other';
}

function parseStartLine(buf: Buffer, s: number, e: number): ParseResult<StartLine> {
  if (isSipVersionAt(buf, s)) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF (RFC 3261 section 7.2)
    const sp1 = buf.indexOf(SP, s);
    if (sp1 < 0 || sp1 > e) return fail(sipParseError('BAD_START_LINE', 'status line without status code'));
    const v = versionAt(buf, s, sp1);
    if (v === 'bad') return fail(sipParseError('BAD_START_LINE', 'bad SIP-Version'));
    if (v === 'other')
      return fail(sipParseError('UNSUPPORTED_VERSION', `unsupported ${buf.toString('latin1', s, sp1)}`));
    let i = sp1 + 1;
    const cs = i;
    while (i < e && buf[i]! >= 0x30 && buf[i]! <= 0x39) i++;
    if (i - cs !== 3 || (i < e && buf[i] !== SP))
      return fail(sipParseError('BAD_STATUS_CODE', 'status code is not three digits'));
    const status = Number(buf.toString('latin1', cs, i));
    if (status < 100 || status > 699)
      return fail(sipParseError('BAD_STATUS_CODE', `status code ${status} out of range`));
    const reason = i < e ? buf.toString('utf8', i + 1, e) : '';
    return { ok: true, value: { kind: 'response', status, reason } };
  }
  // Request-Line = Method SP Request-URI SP SIP-Version CRLF (RFC 3261 section 7.1): single SPs,
  // no LWS anywhere (RFC 4475 3.1.2.8-3.1.2.10).
  let i = s;
  while (i < e && isTokenByte(buf[i]!)) i++;
  if (i === s || buf[i] !== SP) return fail(sipParseError('BAD_START_LINE', 'bad Method'));
  const method = buf.toString('latin1', s, i);
  const us = i + 1;
  const sp2 = buf.indexOf(SP, us);
  if (sp2 < 0 || sp2 >= e) return fail(sipParseError('BAD_START_LINE', 'request line without SIP-Version'));
  if (sp2 === us) return fail(sipParseError('BAD_START_LINE', 'more than one SP in request line'));
  const uri = buf.toString('utf8', us, sp2);
  const v = versionAt(buf, sp2 + 1, e);
  if (v === 'bad') {
    // LWS inside the Request-URI (RFC 4475 3.1.2.8) versus trailing junk (3.1.2.10).
    const lastSp = buf.lastIndexOf(SP, e - 1);
    const uriHasSpace = lastSp > sp2 && lastSp < e - 1 && versionAt(buf, lastSp + 1, e) !== 'bad';
    return fail(sipParseError(uriHasSpace ? 'BAD_REQUEST_URI' : 'BAD_START_LINE', 'malformed request line'));
  }
  if (v === 'other')
    return fail(sipParseError('UNSUPPORTED_VERSION', `unsupported ${buf.toString('latin1', sp2 + 1, e)}`));
  const uriCheck = checkRequestUri(uri);
  if (uriCheck !== undefined) return fail(sipParseError('BAD_REQUEST_URI', uriCheck));
  return { ok: true, value: { kind: 'request', method, uri } };
}

/** Returns why a Request-URI is unacceptable, or undefined (RFC 3261 section 19.1.1, 19.1.5). */
function checkRequestUri(uri: string): string | undefined {
  const c0 = uri.charCodeAt(0);
  if (!((c0 >= 0x61 && c0 <= 0x7a) || (c0 >= 0x41 && c0 <= 0x5a))) return 'Request-URI has no scheme';
  const colon = uri.indexOf(':');
  if (colon < 0) return 'Request-URI has no scheme';
  for (let k = 0; k < uri.length; k++) {
    const c = uri.charCodeAt(k);
    if (c <= 0x20 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22)
      return 'Request-URI contains a forbidden character';
  }
  const scheme = uri.slice(0, colon).toLowerCase();
  // Section 19.1.5: headers are not allowed in a SIP/SIPS Request-URI (RFC 4475 3.1.2.11).
  // The user part may contain '?' (user-unreserved), so look after the last '@' only.
  if ((scheme === 'sip' || scheme === 'sips') && uri.indexOf('?', uri.lastIndexOf('@') + 1) >= 0) {
    return 'Request-URI carries headers';
  }
  return undefined;
}
