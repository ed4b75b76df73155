import { classifyAddress, describeRange } from './address.js';
import { parseNameAddr, splitHeaderList, type NameAddr } from './name-addr.js';
import { countryOfNumber, hasE164Syntax } from './phone.js';
import { err, ok, type Result } from './result.js';
import { formatSipUri, type SipUri, type UriError } from './sip-uri.js';
import { normalizeDomain, type TrunkProfile } from './trunk-profile.js';

/**
 * Every way a Refer-To can be refused, with the SIP status and reason phrase the trunk answers
 * the REFER with (Plivo's "Response codes" and "Troubleshooting" tables): form problems are
 * `400 Bad Request`, policy problems `403 Forbidden`.
 */
export const REFER_TO_ERRORS = {
  /** No Refer-To header (RFC 3515 section 2.4.1: a REFER without one gets 400). */
  MISSING: { status: 400, reason: 'Bad Request' },
  /** More than one Refer-To value (RFC 3515 section 2.1: exactly one). */
  MULTIPLE: { status: 400, reason: 'Bad Request' },
  /** Not a parseable name-addr / addr-spec with a SIP URI. */
  MALFORMED: { status: 400, reason: 'Bad Request' },
  /** Not a `sip:` or `sips:` URI (e.g. `tel:`). */
  UNSUPPORTED_SCHEME: { status: 400, reason: 'Bad Request' },
  /** A `method` URI parameter other than INVITE (the trunk only places calls). */
  UNSUPPORTED_METHOD: { status: 400, reason: 'Bad Request' },
  /** The user part is not a valid E.164 number. */
  NOT_E164: { status: 400, reason: 'Bad Request' },
  /** The host is not a trunk domain (or, in strict mode, not the trunk's own). */
  FOREIGN_DOMAIN: { status: 403, reason: 'Forbidden' },
  /** The host (or a `maddr`) is a private or reserved IP address. */
  PRIVATE_ADDRESS: { status: 403, reason: 'Forbidden' },
  /** The number's country is not enabled under Geo Permissions. */
  GEO_NOT_PERMITTED: { status: 403, reason: 'Forbidden' },
} as const satisfies Record<string, { status: 400 | 403; reason: string }>;

/** A key of {@link REFER_TO_ERRORS}. */
export type ReferToErrorCode = keyof typeof REFER_TO_ERRORS;

/** Why a Refer-To was refused. Branch on `code`; answer the REFER with `status` and `reason`. */
export interface ReferToError {
  /** What is wrong. */
  readonly code: ReferToErrorCode;
  /** SIP status the trunk answers the REFER with. */
  readonly status: 400 | 403;
  /** SIP reason phrase for that status. */
  readonly reason: string;
  /** What is wrong and how to fix it, for logs and a `Warning` header. */
  readonly message: string;
  /** The URI syntax error behind a `MALFORMED` verdict. */
  readonly cause?: UriError;
}

/** An accepted transfer target. */
export interface ReferToTarget {
  /** The parsed Refer-To URI. */
  readonly uri: SipUri;
  /** The URI as text (formatted, without angle brackets): the target to call. */
  readonly uriText: string;
  /** The E.164 number of the user part (`'+14155551234'`). */
  readonly number: string;
  /** ISO 3166-1 alpha-2 country of the number (`'001'` for non-geographic numbers). */
  readonly country: string;
  /** The whole Refer-To value, parsed (display name and header parameters). */
  readonly nameAddr: NameAddr;
}

/** Result of {@link validateReferTo}. */
export type ReferToResult = Result<ReferToTarget, ReferToError>;

/**
 * The verdict a trunk acts on, shaped like `@referkit/core`'s `TrunkReferVerdict`: call `target`,
 * or refuse the REFER with `status` and `reason`.
 */
export type TrunkVerdict =
  | { readonly ok: true; readonly target: string }
  | { readonly ok: false; readonly status: 400 | 403; readonly reason: string };

function referToError(
  code: ReferToErrorCode,
  message: string,
  cause?: UriError,
): { ok: false; error: ReferToError } {
  const { status, reason } = REFER_TO_ERRORS[code];
  return err({ code, status, reason, message, ...(cause !== undefined ? { cause } : {}) });
}

/**
 * Checks a REFER's Refer-To against a trunk profile and returns the target or the first problem
 * found, in this order: missing, several values, malformed, wrong scheme, `;method` (all 400);
 * then where the call would go: private address, foreign domain (403); then the number: not E.164
 * (400), country outside Geo Permissions (403). The host is judged before the user part, so
 * `sip:agent@192.168.1.10` is a 403 (private IP), not a 400. Never throws.
 *
 * @param headerValue - the Refer-To header value(s) of the REFER: one string, one string per
 *   header line (collect `Refer-To` and its compact form `r` with {@link collectReferTo}), or
 *   `undefined` when absent
 * @param profile - the trunk's rules, e.g. {@link plivoProfile}
 *
 * @example
 * ```ts
 * const profile = plivoProfile({ terminationDomain: 'XXXXXXXXXXXX.zt.plivo.com' });
 * const r = validateReferTo('<sip:+14155551234@XXXXXXXXXXXX.zt.plivo.com>', profile);
 * if (r.ok) r.value.number; // '+14155551234'
 * else r.error.status;      // 400 or 403, with r.error.message naming the fix
 * ```
 */
export function validateReferTo(
  headerValue: string | readonly string[] | undefined,
  profile: TrunkProfile,
): ReferToResult {
  const example = `<sip:+14155551234@${profile.terminationDomain}>`;
  const lines = (
    typeof headerValue === 'string' ? [headerValue] : Array.isArray(headerValue) ? headerValue : []
  ).filter((line): line is string => typeof line === 'string');
  const values = lines.flatMap((line) => splitHeaderList(line));
  if (values.length === 0) {
    return referToError(
      'MISSING',
      `the REFER has no Refer-To header: add one naming the target, e.g. Refer-To: ${example}`,
    );
  }
  if (values.length > 1) {
    const unbracketed = lines.length === 1 && values.some((value) => !parseNameAddr(value).ok);
    if (unbracketed) {
      return referToError(
        'MALFORMED',
        `Refer-To "${lines[0] ?? ''}" has a "," outside angle brackets: enclose the URI in < >, e.g. Refer-To: ${example}`,
      );
    }
    return referToError(
      'MULTIPLE',
      `the REFER has ${values.length} Refer-To values; RFC 3515 allows exactly one: send one REFER per target`,
    );
  }
  const value = values[0] ?? '';
  const parsed = parseNameAddr(value);
  if (!parsed.ok) {
    const fix =
      parsed.error.code === 'BRACKETS_REQUIRED'
        ? 'enclose the URI in angle brackets'
        : parsed.error.code === 'UNSUPPORTED_SCHEME'
          ? 'use a sip: URI'
          : 'write it as a SIP URI with the E.164 number';
    return referToError(
      parsed.error.code === 'UNSUPPORTED_SCHEME' ? 'UNSUPPORTED_SCHEME' : 'MALFORMED',
      `Refer-To "${value}" is not a valid SIP address (${parsed.error.message}): ${fix}, e.g. Refer-To: ${example}`,
      parsed.error,
    );
  }
  const nameAddr = parsed.value;
  const uri = nameAddr.uri;
  if (uri.scheme === 'tel') {
    return referToError(
      'UNSUPPORTED_SCHEME',
      `Refer-To "${value}" is a tel: URI; ${profile.name} needs a SIP URI on the trunk domain: use ${example}`,
    );
  }
  const method = uri.params['method'];
  if (method !== undefined && (method === null || method.toUpperCase() !== 'INVITE')) {
    return referToError(
      'UNSUPPORTED_METHOD',
      `Refer-To asks for method "${method ?? ''}"; the trunk can only place a call (INVITE): remove the ;method parameter`,
    );
  }

  const hostClass = uri.hostType === 'domain' ? undefined : classifyAddress(uri.host);
  if (hostClass?.private === true) {
    return referToError(
      'PRIVATE_ADDRESS',
      `Refer-To host ${uri.host} is ${describeRange(hostClass.range)}; ${profile.name} does not transfer to private IPs: use the trunk domain, e.g. ${example}`,
    );
  }
  const maddr = uri.params['maddr'];
  const maddrClass = typeof maddr === 'string' ? classifyAddress(maddr) : undefined;
  if (maddrClass?.private === true) {
    return referToError(
      'PRIVATE_ADDRESS',
      `Refer-To maddr ${maddr ?? ''} is ${describeRange(maddrClass.range)}; ${profile.name} does not transfer to private IPs: remove the maddr parameter`,
    );
  }
  const host = normalizeDomain(uri.host);
  // The trunk's own termination domain is always a valid target host, even when it does not end
  // in the suffix (a lab trunk); strict mode accepts nothing else.
  const domainOk =
    uri.hostType === 'domain' &&
    (host === profile.terminationDomain ||
      (!profile.strict && host.endsWith(profile.domainSuffix) && host.length > profile.domainSuffix.length));
  if (!domainOk) {
    const rule = profile.strict
      ? `only the trunk's termination domain ${profile.terminationDomain} is accepted (strict mode)`
      : `the domain must end in ${profile.domainSuffix}`;
    return referToError(
      'FOREIGN_DOMAIN',
      `Refer-To host "${uri.host}" is not a ${profile.name} SIP trunk domain (${rule}): use ${example}`,
    );
  }
  const user = uri.user;
  if (user === undefined) {
    return referToError(
      'NOT_E164',
      `Refer-To "${value}" has no user part: put the target's E.164 number before the "@", e.g. ${example}`,
    );
  }
  if (!hasE164Syntax(user)) {
    return referToError(
      'NOT_E164',
      `Refer-To user part "${user}" is not in E.164 format: ${e164Hint(user, profile)}`,
    );
  }
  const country = countryOfNumber(user);
  if (country === undefined) {
    return referToError(
      'NOT_E164',
      `Refer-To number ${user} has the E.164 form but is not a valid number (unknown country code, or no such number in that country's numbering plan): check the country code and digits, e.g. sip:+14155551234@${profile.terminationDomain}`,
    );
  }

  if (!profile.geoPermissions.includes(country)) {
    const what = country === '001' ? 'a non-geographic number (001)' : `in ${country}`;
    return referToError(
      'GEO_NOT_PERMITTED',
      `Refer-To number ${user} is ${what}, which is not enabled under Geo Permissions (enabled: ${profile.geoPermissions.join(', ') || 'none'}): enable ${country} under Geo Permissions in the ${profile.name} console, or transfer to a number in an enabled country`,
    );
  }
  return ok({ uri, uriText: formatSipUri(uri), number: user, country, nameAddr });
}

function e164Hint(user: string, profile: TrunkProfile): string {
  const digits = user.replace(/[^0-9]/g, '');
  const example = `sip:+14155551234@${profile.terminationDomain}`;
  if (user.startsWith('+') && digits.length > 0 && /[^0-9+]/.test(user)) {
    return `remove the separators (write +${digits}), e.g. ${example}`;
  }
  if (!user.startsWith('+') && /^[0-9]+$/.test(user)) {
    if (profile.homeCountry === 'US' && digits.length === 10) {
      return `add "+" and the country code (write +1${digits}), e.g. ${example}`;
    }
    if (digits.length >= 8 && digits.length <= 15) {
      return `start with "+" and the country code (+${digits} if that is the full international number), e.g. ${example}`;
    }
  }
  return `write "+", the country code and the number (8 to 15 digits, no separators), e.g. ${example}`;
}

/**
 * Collects the Refer-To header values of a message, under the full name or its compact form `r`
 * (RFC 3515 section 2.1), case-insensitively, from either a list of `[name, value]` pairs or a
 * record of header values. Feed the result to {@link validateReferTo}.
 *
 * @example
 * ```ts
 * collectReferTo([['r', '<sip:+14155551234@x.zt.plivo.com>']]); // ['<sip:+14155551234@x.zt.plivo.com>']
 * ```
 */
export function collectReferTo(
  headers:
    Iterable<readonly [string, string]> | Readonly<Record<string, string | readonly string[] | undefined>>,
): string[] {
  const out: string[] = [];
  const take = (name: string, value: unknown): void => {
    const lower = name.toLowerCase();
    if (lower !== 'refer-to' && lower !== 'r') return;
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) for (const v of value) if (typeof v === 'string') out.push(v);
  };
  if (headers === null || typeof headers !== 'object') return out;
  if (Symbol.iterator in headers) {
    for (const entry of headers) {
      if (Array.isArray(entry) && typeof entry[0] === 'string') take(entry[0], entry[1]);
    }
  } else {
    for (const [name, value] of Object.entries(headers)) take(name, value);
  }
  return out;
}

/**
 * Turns a {@link validateReferTo} result into the verdict `@referkit/core`'s trunk machine takes
 * (`{ ok: true, target }` or `{ ok: false, status, reason }`).
 */
export function toTrunkReferVerdict(result: ReferToResult): TrunkVerdict {
  return result.ok
    ? { ok: true, target: result.value.uriText }
    : { ok: false, status: result.error.status, reason: result.error.reason };
}
