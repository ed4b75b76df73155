import { parseNameAddr } from './name-addr.js';
import { getParam } from './header-params.js';
import { sipParseError, type ParseResult, type SipParseError } from './parse-error.js';
import { parseCSeq, parseMaxForwards, parseUnsigned } from './scalar-headers.js';
import type { SipMessage, SipRequest } from './sip-message.js';
import { parseVia } from './via.js';

const MAX_DELTA = 2 ** 32 - 1;

/**
 * Checks the grammar of the headers every element relies on, for requests and responses:
 * Via, From, To, Contact, CSeq (and its method against the request method), Max-Forwards,
 * Expires, Retry-After, Warning, Date. Headers that are absent are not required here (see
 * {@link checkMandatoryHeaders}). Covers the invalid messages of RFC 4475 section 3.1.2.
 */
export function validateMessage<T extends SipMessage>(msg: T): ParseResult<T> {
  const err = firstError(msg);
  return err === undefined ? { ok: true, value: msg } : { ok: false, error: err };
}

function firstError(msg: SipMessage): SipParseError | undefined {
  const h = msg.headers;
  for (const via of h.getList('via')) {
    const r = parseVia(via);
    if (!r.ok) return r.error;
  }
  for (const name of ['From', 'To'] as const) {
    const values = h.getAll(name);
    if (values.length > 1)
      return sipParseError('BAD_HEADER_VALUE', `${name} appears more than once`, name.toLowerCase());
    if (values.length === 1) {
      const r = parseNameAddr(values[0]!, name);
      if (!r.ok) return r.error;
    }
  }
  for (const c of h.getList('contact')) {
    if (c === '*') continue;
    const r = parseNameAddr(c, 'Contact');
    if (!r.ok) return r.error;
    const exp = getParam(r.value.params, 'expires');
    if (exp !== undefined) {
      const e = parseUnsigned(exp, 'Contact expires', MAX_DELTA);
      if (!e.ok) return e.error;
    }
  }
  const cseqs = h.getAll('cseq');
  if (cseqs.length > 1) return sipParseError('BAD_HEADER_VALUE', 'CSeq appears more than once', 'cseq');
  if (cseqs.length === 1) {
    const r = parseCSeq(cseqs[0]!);
    if (!r.ok) return r.error;
    // RFC 3261 section 8.1.1.5: the CSeq method MUST match the request method (RFC 4475 3.1.2.17/18).
    if (msg.kind === 'request' && r.value.method !== msg.method) {
      return sipParseError(
        'CSEQ_METHOD_MISMATCH',
        `CSeq method ${r.value.method} differs from ${msg.method}`,
        'cseq',
      );
    }
  }
  const mf = h.get('max-forwards');
  if (mf !== undefined) {
    const r = parseMaxForwards(mf);
    if (!r.ok) return r.error;
  }
  const expires = h.get('expires');
  if (expires !== undefined) {
    const r = parseUnsigned(expires, 'Expires', MAX_DELTA);
    if (!r.ok) return r.error;
  }
  const retry = h.get('retry-after');
  if (retry !== undefined) {
    // Retry-After = delta-seconds [ comment ] *( SEMI retry-param ) (RFC 3261 section 20.33)
    let k = 0;
    while (k < retry.length && retry.charCodeAt(k) >= 0x30 && retry.charCodeAt(k) <= 0x39) k++;
    const r = parseUnsigned(retry.slice(0, k), 'Retry-After', MAX_DELTA);
    if (!r.ok) return r.error;
  }
  for (const w of h.getList('warning')) {
    // warning-value = warn-code SP warn-agent SP warn-text; warn-code = 3DIGIT (section 20.43)
    const sp = w.indexOf(' ');
    const code = sp < 0 ? w : w.slice(0, sp);
    if (!/^\d{3}$/.test(code))
      return sipParseError('BAD_HEADER_VALUE', `Warning code "${code}" is not 3 digits`, 'warning');
  }
  const date = h.get('date');
  // SIP-date = rfc1123-date, always in "GMT" (RFC 3261 section 20.17, RFC 4475 3.1.2.12).
  if (date !== undefined && !date.trimEnd().endsWith(' GMT')) {
    return sipParseError('BAD_HEADER_VALUE', 'Date must be in GMT', 'date');
  }
  return undefined;
}

/** Why {@link checkMandatoryHeaders} refused a request: the status and reason to answer with. */
export interface MandatoryHeaderError {
  /** `MISSING_HEADER`, `BAD_HEADER_VALUE`, `CSEQ_METHOD_MISMATCH` or `TOO_MANY_HOPS`. */
  readonly code: 'MISSING_HEADER' | 'BAD_HEADER_VALUE' | 'CSEQ_METHOD_MISMATCH' | 'TOO_MANY_HOPS';
  /** 400, or 483 for Max-Forwards 0. */
  readonly status: 400 | 483;
  /** Reason phrase to send, e.g. `Missing Call-ID`. */
  readonly reason: string;
}

const MANDATORY = ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Max-Forwards'] as const;

/**
 * Checks a request for the headers RFC 3261 section 8.1.1 makes mandatory (Via, From, To,
 * Call-ID, CSeq, Max-Forwards) and for parsable CSeq / Max-Forwards: 400 with a reason naming the
 * header when one is missing or malformed; 483 Too Many Hops when Max-Forwards is 0 (section
 * 16.3 item 2, applied by the stack to every request it would process).
 */
export function checkMandatoryHeaders(
  req: SipRequest,
):
  | { readonly ok: true; readonly value: SipRequest }
  | { readonly ok: false; readonly error: MandatoryHeaderError } {
  const h = req.headers;
  for (const name of MANDATORY) {
    const v = h.get(name);
    if (v === undefined || v.trim() === '') {
      return { ok: false, error: { code: 'MISSING_HEADER', status: 400, reason: `Missing ${name}` } };
    }
  }
  const cseq = parseCSeq(h.get('cseq')!);
  if (!cseq.ok) return { ok: false, error: { code: 'BAD_HEADER_VALUE', status: 400, reason: 'Bad CSeq' } };
  if (cseq.value.method !== req.method) {
    return {
      ok: false,
      error: { code: 'CSEQ_METHOD_MISMATCH', status: 400, reason: 'CSeq method mismatch' },
    };
  }
  const mf = parseMaxForwards(h.get('max-forwards')!);
  if (!mf.ok)
    return { ok: false, error: { code: 'BAD_HEADER_VALUE', status: 400, reason: 'Bad Max-Forwards' } };
  if (mf.value === 0)
    return { ok: false, error: { code: 'TOO_MANY_HOPS', status: 483, reason: 'Too Many Hops' } };
  return { ok: true, value: req };
}
