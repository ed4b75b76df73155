import { formatParams, getParam, parseParams, quotedEnd, skipWs, type SipParams } from './header-params.js';
import { isTokenByte } from './header-names.js';
import { sipParseError, type ParseResult } from './parse-error.js';

/**
 * A name-addr or addr-spec with header parameters: the value of From, To, Contact, Route,
 * Record-Route, Refer-To, Referred-By (RFC 3261 section 20.10, 20.20, 20.39, 25.1).
 */
export interface NameAddr {
  /** Display name, unquoted and unescaped, when present. */
  readonly displayName?: string;
  /** The URI text (inside `<>` when bracketed). */
  readonly uri: string;
  /** Header parameters after the URI (`tag`, `expires`, `q` ...), in order. */
  readonly params: SipParams;
  /** The `tag` parameter (From/To, RFC 3261 section 19.3). */
  readonly tag?: string;
}

/**
 * Parses a name-addr / addr-spec. In the addr-spec form (no `<>`) the URI ends at the first `;`,
 * and a URI containing `,`, `?` or `;` must be bracketed (RFC 3261 section 20.10), so such a bare
 * URI with `?` is refused.
 */
export function parseNameAddr(value: string, header = 'name-addr'): ParseResult<NameAddr> {
  const bad = (why: string): ParseResult<NameAddr> => ({
    ok: false,
    error: sipParseError('BAD_HEADER_VALUE', `${header}: ${why}`, header.toLowerCase()),
  });
  const t = value;
  const n = t.length;
  let i = skipWs(t, 0);
  let displayName: string | undefined;
  let uri: string;
  let bracketed = false;
  if (t.charCodeAt(i) === 0x22) {
    const end = quotedEnd(t, i);
    if (end < 0) return bad('unterminated quoted display name');
    displayName = t.slice(i + 1, end - 1).replace(/\\(.)/g, '$1');
    i = skipWs(t, end);
    if (t.charCodeAt(i) !== 0x3c) return bad('display name without <URI>');
    bracketed = true;
  } else {
    const lt = t.indexOf('<', i);
    if (lt >= 0) {
      // display-name = *(token LWS): only token characters and whitespace before '<'.
      for (let k = i; k < lt; k++) {
        const c = t.charCodeAt(k);
        if (!isTokenByte(c) && c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a)
          return bad('display name must be a token list or a quoted string');
      }
      const dn = t.slice(i, lt).trim();
      if (dn !== '') displayName = dn.replace(/\s+/g, ' ');
      i = lt;
      bracketed = true;
    }
  }
  if (bracketed) {
    const gt = t.indexOf('>', i);
    if (gt < 0) return bad('missing >');
    uri = t.slice(i + 1, gt);
    // RFC 3261 section 20.10 / RFC 4475 3.1.2.14: no LWS inside <>.
    if (uri === '' || /[\s<]/.test(uri)) return bad('bad URI inside <>');
    i = gt + 1;
  } else {
    const s = i;
    while (i < n) {
      const c = t.charCodeAt(i);
      if (c === 0x3b || c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
      i++;
    }
    uri = t.slice(s, i);
    if (uri === '') return bad('missing URI');
    if (uri.includes('?') || uri.includes(',')) return bad('a URI with ? or , must be enclosed in <>');
  }
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri)) return bad('URI has no scheme');
  const params = parseParams(t, i);
  if (params === undefined) return bad('bad parameters');
  const out: { displayName?: string; uri: string; params: SipParams; tag?: string } = { uri, params };
  if (displayName !== undefined) out.displayName = displayName;
  const tag = getParam(params, 'tag');
  if (tag !== undefined) {
    if (tag === '') return bad('empty tag');
    out.tag = tag;
  }
  return { ok: true, value: out };
}

/** What {@link formatNameAddr} writes. */
export interface NameAddrInput {
  /** Display name (quoted on output when needed). */
  readonly displayName?: string;
  /** The URI. */
  readonly uri: string;
  /** Header parameters; a `tag` here is written unless `tag` is also given. */
  readonly params?: SipParams;
  /** The tag parameter. */
  readonly tag?: string;
}

/** Writes a name-addr, always bracketed: `"Alice" <sip:alice@example.com>;tag=1928301774`. */
export function formatNameAddr(na: NameAddrInput): string {
  let out = '';
  if (na.displayName !== undefined && na.displayName !== '') {
    out += `"${na.displayName.replace(/["\\]/g, '\\$&')}" `;
  }
  out += `<${na.uri}>`;
  let params = na.params ?? [];
  if (na.tag !== undefined) params = [...params.filter(([k]) => k !== 'tag'), ['tag', na.tag]];
  return out + formatParams(params);
}

/** The `tag` of a From/To value, or `undefined` (absent or unparsable). */
export function getTag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const r = parseNameAddr(value);
  return r.ok ? r.value.tag : undefined;
}

/** Adds `;tag=...` to a From/To value that has none (returns the value unchanged when it has one). */
export function addTag(value: string, tag: string): string {
  return getTag(value) === undefined ? `${value.trimEnd()};tag=${tag}` : value;
}
