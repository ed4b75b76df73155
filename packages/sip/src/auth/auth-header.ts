import { isTokenByte } from '../message/header-names.js';
import { sipParseError } from '../message/parse-error.js';
import type { ParseResult } from '../message/parse-error.js';
import type { DigestQop } from './digest-algorithm.js';

/**
 * A `WWW-Authenticate` / `Proxy-Authenticate` Digest challenge (RFC 3261 section 25.1
 * `challenge`, RFC 7616 section 3.3).
 */
export interface DigestChallenge {
  /** Protection space, e.g. `sip.example.com`. */
  readonly realm: string;
  /** Server nonce. */
  readonly nonce: string;
  /** Opaque value to echo back, if any. */
  readonly opaque: string | undefined;
  /** True when the previous request failed only because its nonce was stale (RFC 7616 3.3). */
  readonly stale: boolean;
  /** Algorithm as written (`MD5` when absent, RFC 7616 section 3.3). */
  readonly algorithm: string;
  /** Offered qop values (`auth`, `auth-int`); empty for an RFC 2069 challenge. */
  readonly qop: readonly string[];
  /** Every parameter, names lower-cased, quotes removed. */
  readonly params: Readonly<Record<string, string>>;
}

/** The Digest credentials of an `Authorization` / `Proxy-Authorization` value (RFC 7616 section 3.4). */
export interface DigestAuthorization {
  /** User name. */
  readonly username: string;
  /** Realm being answered. */
  readonly realm: string;
  /** The server nonce being answered. */
  readonly nonce: string;
  /** The Request-URI as the client sent it. */
  readonly uri: string;
  /** Hex digest. */
  readonly response: string;
  /** Algorithm as written (`MD5` when absent). */
  readonly algorithm: string;
  /** Chosen qop, if the challenge offered one. */
  readonly qop: DigestQop | undefined;
  /** Nonce count (8 hex digits), with qop. */
  readonly nc: string | undefined;
  /** Client nonce, with qop. */
  readonly cnonce: string | undefined;
  /** Echoed opaque. */
  readonly opaque: string | undefined;
  /** Every parameter, names lower-cased, quotes removed. */
  readonly params: Readonly<Record<string, string>>;
}

const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

function bad(header: string, message: string): { ok: false; error: ReturnType<typeof sipParseError> } {
  return { ok: false, error: sipParseError('BAD_HEADER_VALUE', message, header) };
}

/**
 * Parses `Digest a=b, c="d"` (RFC 3261 section 25.1 `challenge` / `credentials`): the scheme
 * and its auth-params. Quoted values are unescaped; names are lower-cased; a repeated parameter
 * is an error.
 */
export function parseAuthParams(
  value: string,
  header = 'authorization',
): ParseResult<{ scheme: string; params: Record<string, string> }> {
  const n = value.length;
  let i = 0;
  while (i < n && isWs(value.charCodeAt(i))) i++;
  const schemeStart = i;
  while (i < n && isTokenByte(value.charCodeAt(i))) i++;
  if (i === schemeStart) return bad(header, 'no auth scheme');
  const scheme = value.slice(schemeStart, i);
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  let first = true;
  for (;;) {
    while (i < n && isWs(value.charCodeAt(i))) i++;
    if (i >= n) break;
    if (!first) {
      if (value.charCodeAt(i) !== 0x2c) return bad(header, `expected "," at ${i}`);
      i++;
      while (i < n && isWs(value.charCodeAt(i))) i++;
      if (i >= n) break;
    }
    first = false;
    const nameStart = i;
    while (i < n && isTokenByte(value.charCodeAt(i))) i++;
    if (i === nameStart) return bad(header, `expected a parameter name at ${i}`);
    const name = value.slice(nameStart, i).toLowerCase();
    while (i < n && isWs(value.charCodeAt(i))) i++;
    if (value.charCodeAt(i) !== 0x3d) return bad(header, `parameter ${name} has no value`);
    i++;
    while (i < n && isWs(value.charCodeAt(i))) i++;
    let v: string;
    if (value.charCodeAt(i) === 0x22) {
      i++;
      let out = '';
      let closed = false;
      while (i < n) {
        const c = value.charCodeAt(i);
        if (c === 0x5c && i + 1 < n) {
          out += value[i + 1];
          i += 2;
        } else if (c === 0x22) {
          closed = true;
          i++;
          break;
        } else {
          out += value[i];
          i++;
        }
      }
      if (!closed) return bad(header, `unterminated quoted value for ${name}`);
      v = out;
    } else {
      const vs = i;
      while (i < n && isTokenByte(value.charCodeAt(i))) i++;
      if (i === vs) return bad(header, `empty value for ${name}`);
      v = value.slice(vs, i);
    }
    if (name in params) return bad(header, `parameter ${name} repeated`);
    params[name] = v;
  }
  return { ok: true, value: { scheme, params } };
}

/** Parses a Digest challenge (`WWW-Authenticate` / `Proxy-Authenticate` value). */
export function parseDigestChallenge(
  value: string,
  header = 'www-authenticate',
): ParseResult<DigestChallenge> {
  const r = parseAuthParams(value, header);
  if (!r.ok) return r;
  const { scheme, params } = r.value;
  if (scheme.toLowerCase() !== 'digest') return bad(header, `scheme ${scheme} is not Digest`);
  const realm = params.realm;
  const nonce = params.nonce;
  if (realm === undefined || nonce === undefined)
    return bad(header, 'Digest challenge without realm or nonce');
  return {
    ok: true,
    value: {
      realm,
      nonce,
      opaque: params.opaque,
      stale: (params.stale ?? '').toLowerCase() === 'true',
      algorithm: params.algorithm ?? 'MD5',
      qop: (params.qop ?? '')
        .split(',')
        .map((q) => q.trim().toLowerCase())
        .filter((q) => q !== ''),
      params,
    },
  };
}

/** Parses Digest credentials (`Authorization` / `Proxy-Authorization` value). */
export function parseDigestAuthorization(
  value: string,
  header = 'authorization',
): ParseResult<DigestAuthorization> {
  const r = parseAuthParams(value, header);
  if (!r.ok) return r;
  const { scheme, params } = r.value;
  if (scheme.toLowerCase() !== 'digest') return bad(header, `scheme ${scheme} is not Digest`);
  for (const k of ['username', 'realm', 'nonce', 'uri', 'response'] as const) {
    if (params[k] === undefined) return bad(header, `Digest credentials without ${k}`);
  }
  const qop = params.qop?.toLowerCase();
  if (qop !== undefined && qop !== 'auth' && qop !== 'auth-int') return bad(header, `unknown qop ${qop}`);
  return {
    ok: true,
    value: {
      username: params.username!,
      realm: params.realm!,
      nonce: params.nonce!,
      uri: params.uri!,
      response: params.response!,
      algorithm: params.algorithm ?? 'MD5',
      qop,
      nc: params.nc,
      cnonce: params.cnonce,
      opaque: params.opaque,
      params,
    },
  };
}

const quote = (s: string): string => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** Input of {@link formatDigestChallenge}. */
export interface DigestChallengeInput {
  /** Protection space. */
  readonly realm: string;
  /** Server nonce. */
  readonly nonce: string;
  /** Algorithm token. */
  readonly algorithm: string;
  /** Offered qop values (omit for an RFC 2069 challenge). */
  readonly qop?: readonly string[];
  /** Opaque value. */
  readonly opaque?: string;
  /** Adds `stale=TRUE`. */
  readonly stale?: boolean;
}

/** Formats a Digest challenge value (RFC 7616 section 3.3 order and quoting). */
export function formatDigestChallenge(c: DigestChallengeInput): string {
  let out = `Digest realm=${quote(c.realm)}`;
  if (c.qop !== undefined && c.qop.length > 0) out += `, qop=${quote(c.qop.join(','))}`;
  out += `, nonce=${quote(c.nonce)}`;
  if (c.opaque !== undefined) out += `, opaque=${quote(c.opaque)}`;
  out += `, algorithm=${c.algorithm}`;
  if (c.stale === true) out += ', stale=TRUE';
  return out;
}

/** Input of {@link formatDigestAuthorization}. */
export interface DigestAuthorizationInput {
  /** User name. */
  readonly username: string;
  /** Realm being answered. */
  readonly realm: string;
  /** Server nonce being answered. */
  readonly nonce: string;
  /** Request-URI as sent. */
  readonly uri: string;
  /** Hex digest from `computeDigestResponse`. */
  readonly response: string;
  /** Algorithm token. */
  readonly algorithm: string;
  /** Chosen qop (with `nc` and `cnonce`). */
  readonly qop?: DigestQop;
  /** Nonce count, 8 hex digits; default `00000001`. */
  readonly nc?: string;
  /** Client nonce. */
  readonly cnonce?: string;
  /** Opaque value echoed from the challenge. */
  readonly opaque?: string;
}

/** Formats Digest credentials (RFC 7616 section 3.4: qop, nc and algorithm unquoted). */
export function formatDigestAuthorization(c: DigestAuthorizationInput): string {
  let out =
    `Digest username=${quote(c.username)}, realm=${quote(c.realm)}, nonce=${quote(c.nonce)}, ` +
    `uri=${quote(c.uri)}, response=${quote(c.response)}, algorithm=${c.algorithm}`;
  if (c.qop !== undefined) out += `, qop=${c.qop}, nc=${c.nc ?? '00000001'}, cnonce=${quote(c.cnonce ?? '')}`;
  if (c.opaque !== undefined) out += `, opaque=${quote(c.opaque)}`;
  return out;
}
