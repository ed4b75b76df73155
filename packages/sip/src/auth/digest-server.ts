import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SipRequest } from '../message/index.js';
import type { IncomingRequest } from '../stack/stack-types.js';
import { formatDigestChallenge, parseDigestAuthorization } from './auth-header.js';
import type { DigestAuthorization } from './auth-header.js';
import { computeDigestResponse, normalizeDigestAlgorithm } from './digest-algorithm.js';
import type { DigestAlgorithm, DigestQop } from './digest-algorithm.js';

/**
 * Why {@link DigestAuthenticator.verify} refused a request. `MISSING_CREDENTIALS`,
 * `STALE_NONCE`, `UNKNOWN_NONCE`, `NONCE_COUNT_REPLAY` and the malformed cases are answered with
 * a fresh challenge; `UNKNOWN_USER` and `WRONG_RESPONSE` (bad password) with a challenge or 403,
 * as configured.
 */
export const DigestAuthErrorCode = {
  /** No credentials for this realm (the first request of a call). */
  MissingCredentials: 'MISSING_CREDENTIALS',
  /** Credentials that do not parse, or lack qop / nc / cnonce where required. */
  MalformedCredentials: 'MALFORMED_CREDENTIALS',
  /** An algorithm this authenticator does not offer. */
  UnsupportedAlgorithm: 'UNSUPPORTED_ALGORITHM',
  /** A nonce this authenticator did not issue (or issued with another secret or realm). */
  UnknownNonce: 'UNKNOWN_NONCE',
  /** A nonce of ours past its lifetime, with an otherwise correct response: answered with `stale=TRUE`. */
  StaleNonce: 'STALE_NONCE',
  /** A nonce count not above the last one accepted for this nonce (a replay, RFC 7616 section 3.4). */
  NonceCountReplay: 'NONCE_COUNT_REPLAY',
  /** The `uri` parameter is not the Request-URI (RFC 2617 section 3.2.2.5). */
  UriMismatch: 'URI_MISMATCH',
  /** The user name is not known. */
  UnknownUser: 'UNKNOWN_USER',
  /** The response digest is wrong (wrong password). */
  WrongResponse: 'WRONG_RESPONSE',
} as const;

/** One of the {@link DigestAuthErrorCode} values. */
export type DigestAuthErrorCode = (typeof DigestAuthErrorCode)[keyof typeof DigestAuthErrorCode];

/** A refused request: why, and whether the nonce was merely stale. */
export interface DigestAuthError {
  /** What went wrong; branch on this. */
  readonly code: DigestAuthErrorCode;
  /** Detail for logs. */
  readonly message: string;
  /** The user name claimed, when credentials were readable. */
  readonly username: string | undefined;
}

/** Outcome of {@link DigestAuthenticator.verify}. */
export type DigestVerifyResult =
  | { readonly ok: true; readonly username: string; readonly algorithm: DigestAlgorithm }
  | { readonly ok: false; readonly error: DigestAuthError };

/** A challenge to send: status, reason and the headers to add. */
export interface DigestChallengeResponse {
  /** 401 (`WWW-Authenticate`) or 407 (`Proxy-Authenticate`). */
  readonly status: 401 | 407;
  /** `Unauthorized` or `Proxy Authentication Required`. */
  readonly reason: string;
  /** One challenge header per offered algorithm, preferred first (RFC 8760 section 2.4). */
  readonly headers: [string, string][];
}

/** Options of {@link createDigestAuthenticator}. */
export interface DigestAuthenticatorOptions {
  /** Protection space announced in challenges, e.g. the trunk's domain. */
  readonly realm: string;
  /** Passwords by user name, or a lookup returning `undefined` for an unknown user. */
  readonly users:
    Readonly<Record<string, string>> | ((username: string, realm: string) => string | undefined);
  /** True: challenge as a proxy (407, `Proxy-Authenticate` / `Proxy-Authorization`); default false (401). */
  readonly proxy?: boolean;
  /** Algorithms offered, preferred first; default `['SHA-256', 'MD5']`. */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** qop values offered; default `['auth']`. An empty list issues RFC 2069 challenges (no nc / cnonce). */
  readonly qop?: readonly DigestQop[];
  /** Nonce lifetime in ms; default 300 000. An expired nonce with a correct response gets `stale=TRUE`. */
  readonly nonceTtlMs?: number;
  /** Key of the nonce HMAC; default 32 random bytes (nonces do not survive a restart). */
  readonly secret?: string | Buffer;
  /** Time source (ms); default `Date.now`. Use the stack's `ManualClock` in tests. */
  readonly clock?: { now(): number };
  /** Answer for a wrong password or unknown user: `challenge` again (default) or `forbidden` (403). */
  readonly onInvalid?: 'challenge' | 'forbidden';
  /** Opaque value sent in challenges and required back; default none. */
  readonly opaque?: string;
  /**
   * Require the `uri` parameter to equal the Request-URI (RFC 2617 section 3.2.2.5); default
   * true. Set false for clients that put another URI there (SIPp uses `sip:remote_ip:port`
   * unless given `-auth_uri`); the digest still covers the `uri` they sent.
   */
  readonly checkUri?: boolean;
}

/** Server-side Digest authentication (RFC 3261 section 22, RFC 7616, RFC 8760). */
export interface DigestAuthenticator {
  /** The realm. */
  readonly realm: string;
  /** 401 or 407. */
  readonly status: 401 | 407;
  /** A fresh challenge (new nonce); `stale` adds `stale=TRUE`. */
  challenge(options?: { readonly stale?: boolean }): DigestChallengeResponse;
  /**
   * Checks the request's `Authorization` (or, as a proxy, `Proxy-Authorization`) credentials for
   * this realm: nonce issued here and not expired, algorithm offered, `uri` equal to the
   * Request-URI, qop / nc / cnonce present when qop was offered, nc above the last one accepted
   * for the nonce, and the response digest. Pure apart from the nonce-count memory.
   */
  verify(request: Pick<SipRequest, 'method' | 'uri' | 'headers' | 'body'>): DigestVerifyResult;
  /**
   * {@link DigestAuthenticator.verify}, and on failure answers the request: a new challenge
   * (`stale=TRUE` for an expired nonce) or 403 for bad credentials when `onInvalid` is
   * `forbidden`. Returns the verification; carry on with the request only when `ok`.
   */
  authenticate(request: IncomingRequest): DigestVerifyResult;
}

const REPLAY_CAP = 100_000;

function b64(buf: Buffer): string {
  return buf.toString('base64url');
}

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Creates a Digest authenticator for a UAS (401) or a proxy / trunk (407). Nonces are
 * self-validating (`time.random.HMAC(secret, time.random.realm)`), so no per-challenge state is
 * kept; accepted nonce counts are remembered per nonce for its lifetime to refuse replays.
 *
 * @example
 * ```ts
 * const auth = createDigestAuthenticator({ realm: 'trunk.example', proxy: true, users: { alice: 's3cret' } });
 * stack.on('request', (req) => {
 *   if (req.method === 'INVITE' && !auth.authenticate(req).ok) return; // 407 sent
 *   // ... handle the authenticated request
 * });
 * ```
 */
export function createDigestAuthenticator(options: DigestAuthenticatorOptions): DigestAuthenticator {
  const realm = options.realm;
  const proxy = options.proxy === true;
  const status = proxy ? 407 : 401;
  const algorithms = options.algorithms ?? (['SHA-256', 'MD5'] as const);
  if (algorithms.length === 0) throw new TypeError('algorithms must not be empty');
  const qops = options.qop ?? (['auth'] as const);
  const ttl = options.nonceTtlMs ?? 300_000;
  const secret = options.secret ?? randomBytes(32);
  const clock = options.clock ?? { now: () => Date.now() };
  const users = options.users;
  const lookup =
    typeof users === 'function'
      ? users
      : (u: string): string | undefined => (Object.hasOwn(users, u) ? users[u] : undefined);
  /** nonce -> issue time and highest nc accepted; insertion order is issue order (pruned from the front). */
  const counts = new Map<string, { readonly issued: number; nc: number }>();

  const mac = (stamp: string, rand: string): string =>
    b64(createHmac('sha256', secret).update(`${stamp}.${rand}.${realm}`).digest().subarray(0, 18));

  const newNonce = (): string => {
    const stamp = Math.floor(clock.now()).toString(36);
    const rand = b64(randomBytes(12));
    return `${stamp}.${rand}.${mac(stamp, rand)}`;
  };

  /** Issue time of a nonce of ours, or `undefined` for a foreign or forged one. */
  const issuedAt = (nonce: string): number | undefined => {
    const parts = nonce.split('.');
    if (parts.length !== 3) return undefined;
    const [stamp, rand, sig] = parts as [string, string, string];
    const expected = mac(stamp, rand);
    if (sig.length !== expected.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(expected)))
      return undefined;
    const t = parseInt(stamp, 36);
    return Number.isFinite(t) ? t : undefined;
  };

  const prune = (now: number): void => {
    for (const [nonce, entry] of counts) {
      if (now - entry.issued <= ttl && counts.size <= REPLAY_CAP) break;
      counts.delete(nonce);
    }
  };

  const challenge = (opts?: { readonly stale?: boolean }): DigestChallengeResponse => {
    const nonce = newNonce();
    const header = proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    return {
      status,
      reason: proxy ? 'Proxy Authentication Required' : 'Unauthorized',
      headers: algorithms.map((algorithm) => [
        header,
        formatDigestChallenge({
          realm,
          nonce,
          algorithm,
          qop: qops,
          ...(options.opaque === undefined ? {} : { opaque: options.opaque }),
          ...(opts?.stale === true ? { stale: true } : {}),
        }),
      ]),
    };
  };

  const fail = (code: DigestAuthErrorCode, message: string, username?: string): DigestVerifyResult => ({
    ok: false,
    error: { code, message, username },
  });

  const check = (
    request: Pick<SipRequest, 'method' | 'uri' | 'headers' | 'body'>,
    cred: DigestAuthorization,
  ): DigestVerifyResult => {
    const user = cred.username;
    const algorithm = normalizeDigestAlgorithm(cred.algorithm);
    if (algorithm === undefined || !algorithms.includes(algorithm))
      return fail('UNSUPPORTED_ALGORITHM', `algorithm ${cred.algorithm} not offered`, user);
    if (options.opaque !== undefined && cred.opaque !== options.opaque)
      return fail('MALFORMED_CREDENTIALS', 'opaque does not match', user);
    let nc = 0;
    if (qops.length > 0) {
      // RFC 7616 section 3.4: with qop, nc and cnonce are mandatory.
      if (cred.qop === undefined || !qops.includes(cred.qop))
        return fail('MALFORMED_CREDENTIALS', `qop ${cred.qop ?? '(none)'} not offered`, user);
      if (
        cred.nc === undefined ||
        !/^[0-9a-fA-F]{8}$/.test(cred.nc) ||
        cred.cnonce === undefined ||
        cred.cnonce === ''
      )
        return fail('MALFORMED_CREDENTIALS', 'qop without a valid nc and cnonce', user);
      nc = parseInt(cred.nc, 16);
      if (nc === 0) return fail('MALFORMED_CREDENTIALS', 'nc must start at 00000001', user);
    } else if (cred.qop !== undefined) {
      return fail('MALFORMED_CREDENTIALS', 'qop was not offered', user);
    }
    // RFC 2617 section 3.2.2.5: the digest-uri must be the Request-URI.
    if (options.checkUri !== false && cred.uri !== request.uri)
      return fail('URI_MISMATCH', `uri ${cred.uri} is not ${request.uri}`, user);
    const issued = issuedAt(cred.nonce);
    if (issued === undefined) return fail('UNKNOWN_NONCE', 'nonce not issued here', user);
    const password = lookup(user, realm);
    if (password === undefined) return fail('UNKNOWN_USER', `unknown user ${user}`, user);
    const expected = computeDigestResponse({
      algorithm,
      username: user,
      realm,
      password,
      method: request.method,
      uri: cred.uri,
      nonce: cred.nonce,
      ...(cred.qop === undefined ? {} : { qop: cred.qop }),
      ...(cred.nc === undefined ? {} : { nc: cred.nc }),
      ...(cred.cnonce === undefined ? {} : { cnonce: cred.cnonce }),
      body: request.body,
    });
    if (!safeEqualHex(expected, cred.response))
      return fail('WRONG_RESPONSE', 'response digest mismatch', user);
    const now = clock.now();
    // RFC 7616 section 3.3: stale=true when the digest was right but the nonce is no longer valid.
    if (now - issued > ttl || issued - now > ttl) return fail('STALE_NONCE', 'nonce expired', user);
    if (qops.length > 0) {
      prune(now);
      const entry = counts.get(cred.nonce);
      if (entry !== undefined && nc <= entry.nc)
        return fail('NONCE_COUNT_REPLAY', `nc ${cred.nc} already used`, user);
      if (entry === undefined) counts.set(cred.nonce, { issued, nc });
      else entry.nc = nc;
    }
    return { ok: true, username: user, algorithm };
  };

  const verify = (request: Pick<SipRequest, 'method' | 'uri' | 'headers' | 'body'>): DigestVerifyResult => {
    const name = proxy ? 'proxy-authorization' : 'authorization';
    let malformed: DigestVerifyResult | undefined;
    for (const value of request.headers.getAll(name)) {
      // Other schemes are not ours to judge (RFC 4475 section 3.3.7): as if absent.
      if (!/^\s*digest\s/i.test(value)) continue;
      const parsed = parseDigestAuthorization(value, name);
      if (!parsed.ok) {
        malformed ??= fail('MALFORMED_CREDENTIALS', parsed.error.message);
        continue;
      }
      // RFC 3261 section 22.3: several credentials may be present; ours are those of our realm.
      if (parsed.value.realm !== realm) continue;
      return check(request, parsed.value);
    }
    return malformed ?? fail('MISSING_CREDENTIALS', `no ${name} for realm ${realm}`);
  };

  return {
    realm,
    status,
    challenge,
    verify,
    authenticate(request: IncomingRequest): DigestVerifyResult {
      const result = verify(request.message);
      if (result.ok) return result;
      const code = result.error.code;
      if ((code === 'WRONG_RESPONSE' || code === 'UNKNOWN_USER') && options.onInvalid === 'forbidden') {
        request.respond(403);
        return result;
      }
      const c = challenge({ stale: code === 'STALE_NONCE' });
      request.respond(c.status, c.reason, { headers: c.headers });
      return result;
    },
  };
}
