import { randomBytes } from 'node:crypto';
import type { SipResponse } from '../message/index.js';
import { formatDigestAuthorization, parseDigestChallenge } from './auth-header.js';
import type { DigestChallenge } from './auth-header.js';
import { computeDigestResponse, normalizeDigestAlgorithm } from './digest-algorithm.js';
import type { DigestQop } from './digest-algorithm.js';

/** A user name and password to answer Digest challenges with (client side). */
export interface AuthCredentials {
  /** User name (the `username` parameter). */
  readonly username: string;
  /** Password. */
  readonly password: string;
  /** Only answer challenges of this realm; omitted: answer any realm. */
  readonly realm?: string;
}

/** The parts of a request that a Digest response covers. */
export interface DigestRequestParts {
  /** Method. */
  readonly method: string;
  /** Request-URI, exactly as it will be sent. */
  readonly uri: string;
  /** Body (hashed for `qop=auth-int`). */
  readonly body?: string | Buffer;
}

/** Options of {@link answerDigestChallenge}. */
export interface AnswerDigestOptions {
  /** Client nonce; default 16 random bytes, base64url. */
  readonly cnonce?: string;
  /** Nonce count for this nonce, starting at 1; default 1. */
  readonly nc?: number;
}

/**
 * Answers one Digest challenge: the value of the `Authorization` (for a 401) or
 * `Proxy-Authorization` (for a 407) header. Prefers `qop=auth`, then `auth-int`, then the RFC
 * 2069 form when the challenge offers no qop. Returns `undefined` when the algorithm or every
 * offered qop is unsupported.
 */
export function answerDigestChallenge(
  challenge: DigestChallenge,
  request: DigestRequestParts,
  credentials: AuthCredentials,
  options: AnswerDigestOptions = {},
): string | undefined {
  const algorithm = normalizeDigestAlgorithm(challenge.algorithm);
  if (algorithm === undefined) return undefined;
  let qop: DigestQop | undefined;
  if (challenge.qop.length > 0) {
    if (challenge.qop.includes('auth')) qop = 'auth';
    else if (challenge.qop.includes('auth-int')) qop = 'auth-int';
    else return undefined;
  }
  const cnonce =
    qop !== undefined || algorithm.endsWith('-sess')
      ? (options.cnonce ?? randomBytes(16).toString('base64url'))
      : undefined;
  const nc = qop === undefined ? undefined : (options.nc ?? 1).toString(16).padStart(8, '0');
  const response = computeDigestResponse({
    algorithm,
    username: credentials.username,
    realm: challenge.realm,
    password: credentials.password,
    method: request.method,
    uri: request.uri,
    nonce: challenge.nonce,
    ...(qop === undefined ? {} : { qop }),
    ...(nc === undefined ? {} : { nc }),
    ...(cnonce === undefined ? {} : { cnonce }),
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  return formatDigestAuthorization({
    username: credentials.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: request.uri,
    response,
    algorithm: challenge.algorithm,
    ...(qop === undefined ? {} : { qop }),
    ...(nc === undefined ? {} : { nc }),
    ...(cnonce === undefined ? {} : { cnonce }),
    ...(challenge.opaque === undefined ? {} : { opaque: challenge.opaque }),
  });
}

/** A challenge found in a 401/407 and the header that answers it. */
export interface SelectedChallenge {
  /** `Authorization` (401, WWW-Authenticate) or `Proxy-Authorization` (407, Proxy-Authenticate). */
  readonly header: 'Authorization' | 'Proxy-Authorization';
  /** The parsed challenge. */
  readonly challenge: DigestChallenge;
}

/**
 * The Digest challenges of a 401 or 407 worth answering: for each realm the topmost challenge
 * whose algorithm this package supports (RFC 8760 section 2.4: servers list their preferred
 * algorithm first), WWW-Authenticate and Proxy-Authenticate alike (RFC 3261 section 22.3).
 * Malformed values and other schemes are skipped.
 */
export function selectDigestChallenges(response: SipResponse): SelectedChallenge[] {
  const out: SelectedChallenge[] = [];
  const seen = new Set<string>();
  const sources = [
    ['www-authenticate', 'Authorization'],
    ['proxy-authenticate', 'Proxy-Authorization'],
  ] as const;
  for (const [name, header] of sources) {
    for (const value of response.headers.getAll(name)) {
      const c = parseDigestChallenge(value, name);
      if (!c.ok || normalizeDigestAlgorithm(c.value.algorithm) === undefined) continue;
      const key = `${header}\u0000${c.value.realm}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ header, challenge: c.value });
    }
  }
  return out;
}

/**
 * The headers that answer the challenges of a 401/407 for `request` (RFC 3261 section 22.2,
 * 22.3): one `Authorization` / `Proxy-Authorization` per challenged realm for which
 * `credentials` has a match (a credential naming that realm, else one naming none). Empty when
 * nothing can be answered.
 */
export function authorizationHeaders(
  response: SipResponse,
  request: DigestRequestParts,
  credentials: readonly AuthCredentials[],
): [string, string][] {
  const out: [string, string][] = [];
  for (const { header, challenge } of selectDigestChallenges(response)) {
    const cred =
      credentials.find((c) => c.realm === challenge.realm) ?? credentials.find((c) => c.realm === undefined);
    if (cred === undefined) continue;
    const value = answerDigestChallenge(challenge, request, cred);
    if (value !== undefined) out.push([header, value]);
  }
  return out;
}
