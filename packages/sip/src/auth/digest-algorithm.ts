import { createHash } from 'node:crypto';

/**
 * Digest algorithms (RFC 7616 section 6.1, registered for SIP by RFC 8760): MD5 (RFC 2617),
 * SHA-256 and SHA-512-256, each with its `-sess` variant.
 */
export const DIGEST_ALGORITHMS = Object.freeze([
  'MD5',
  'MD5-sess',
  'SHA-256',
  'SHA-256-sess',
  'SHA-512-256',
  'SHA-512-256-sess',
] as const);

/** One of the {@link DIGEST_ALGORITHMS}. */
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

/** Quality of protection (RFC 7616 section 3.3): `auth`, or `auth-int` (the body is hashed too). */
export type DigestQop = 'auth' | 'auth-int';

const NODE_HASH: Readonly<Record<string, string>> = {
  md5: 'md5',
  'sha-256': 'sha256',
  'sha-512-256': 'sha512-256',
};

/** The canonical spelling of an algorithm name (case-insensitive match), or `undefined` if unknown. */
export function normalizeDigestAlgorithm(name: string | undefined): DigestAlgorithm | undefined {
  // RFC 7616 section 3.3: no algorithm parameter means MD5.
  if (name === undefined) return 'MD5';
  const want = name.trim().toLowerCase();
  return DIGEST_ALGORITHMS.find((a) => a.toLowerCase() === want);
}

/** Lower-case hex digest of `data` with the hash behind `algorithm` (the `-sess` suffix ignored). */
export function digestHash(algorithm: DigestAlgorithm, data: string | Buffer): string {
  const base = algorithm.toLowerCase().replace(/-sess$/, '');
  return createHash(NODE_HASH[base]!).update(data).digest('hex');
}

/** Everything the `response` value depends on (RFC 7616 section 3.4.1). */
export interface DigestResponseInput {
  /** Algorithm named in the challenge. */
  readonly algorithm: DigestAlgorithm;
  /** User name. */
  readonly username: string;
  /** Realm from the challenge. */
  readonly realm: string;
  /** Password (ignored when `ha1` is given). */
  readonly password?: string;
  /** Precomputed `H(username:realm:password)`, instead of the password. */
  readonly ha1?: string;
  /** Request method (for SIP the method of the request, `ACK` and `CANCEL` excluded). */
  readonly method: string;
  /** The `uri` parameter: the Request-URI as sent. */
  readonly uri: string;
  /** Server nonce. */
  readonly nonce: string;
  /** Quality of protection; omitted for the RFC 2069 form (no qop, nc or cnonce). */
  readonly qop?: DigestQop;
  /** Nonce count, 8 hex digits (required with qop). */
  readonly nc?: string;
  /** Client nonce (required with qop and with `-sess` algorithms). */
  readonly cnonce?: string;
  /** Message body, hashed for `auth-int` (empty when absent). */
  readonly body?: string | Buffer;
}

/**
 * Computes the digest `response` (RFC 7616 section 3.4.1, RFC 2617 section 3.2.2.1):
 * `KD(H(A1), nonce:nc:cnonce:qop:H(A2))`, or `KD(H(A1), nonce:H(A2))` without qop, where
 * `A1 = username:realm:password` (`-sess`: `H(A1):nonce:cnonce`) and `A2 = method:uri`
 * (`auth-int`: `method:uri:H(body)`).
 */
export function computeDigestResponse(input: DigestResponseInput): string {
  const h = (s: string | Buffer): string => digestHash(input.algorithm, s);
  let ha1 = input.ha1 ?? h(`${input.username}:${input.realm}:${input.password ?? ''}`);
  if (input.algorithm.endsWith('-sess')) ha1 = h(`${ha1}:${input.nonce}:${input.cnonce ?? ''}`);
  const a2 =
    input.qop === 'auth-int'
      ? `${input.method}:${input.uri}:${h(input.body ?? '')}`
      : `${input.method}:${input.uri}`;
  const ha2 = h(a2);
  if (input.qop === undefined) return h(`${ha1}:${input.nonce}:${ha2}`);
  return h(`${ha1}:${input.nonce}:${input.nc ?? ''}:${input.cnonce ?? ''}:${input.qop}:${ha2}`);
}
