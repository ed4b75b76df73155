import { TOKEN_CHARS, onlyChars } from './escapes.js';
import { parseHeaderParams, parseNameAddr, readQuoted, splitHeaderList } from './name-addr.js';
import { asciiLower, err, ok, type Result } from './result.js';
import type { SipUri } from './sip-uri.js';

/** Codes of {@link HeaderError}. */
export const HEADER_ERROR_CODES = ['NOT_A_STRING', 'EMPTY', 'MULTIPLE', 'MALFORMED', 'BAD_PARAM'] as const;

/** A code from {@link HEADER_ERROR_CODES}. */
export type HeaderErrorCode = (typeof HEADER_ERROR_CODES)[number];

/** Why an `Event`, `Subscription-State`, `Refer-Sub` or `Referred-By` value could not be parsed. */
export interface HeaderError {
  /** What kind of problem. */
  readonly code: HeaderErrorCode;
  /** Human-readable explanation. */
  readonly message: string;
}

function headerError(code: HeaderErrorCode, message: string): { ok: false; error: HeaderError } {
  return err({ code, message });
}

/** Splits `value` into a leading token and its `;params`, or explains what is wrong. */
function tokenWithParams(
  header: string,
  value: unknown,
): Result<{ token: string; params: Record<string, string | null> }, HeaderError> {
  if (typeof value !== 'string') return headerError('NOT_A_STRING', `the ${header} value is not a string`);
  const text = value.trim();
  if (text.length === 0) return headerError('EMPTY', `the ${header} value is empty`);
  if (splitHeaderList(text).length > 1)
    return headerError('MULTIPLE', `${header} carries more than one value`);
  const semi = text.indexOf(';');
  const token = (semi >= 0 ? text.slice(0, semi) : text).trim();
  if (!onlyChars(token, TOKEN_CHARS))
    return headerError('MALFORMED', `"${token}" is not a valid ${header} value`);
  const params = parseHeaderParams(semi >= 0 ? text.slice(semi) : '');
  if (!params.ok) return headerError('BAD_PARAM', `${header}: ${params.error.message}`);
  return ok({ token, params: params.value });
}

function takeParam(params: Record<string, string | null>, name: string): string | null | undefined {
  const value = params[name];
  delete params[name];
  return value;
}

/**
 * An `Event` header (RFC 6665 section 8.2.1; compact form `o`). For REFER subscriptions the
 * package is `refer` and `id` is the CSeq number of the REFER (RFC 3515 section 2.4.6).
 */
export interface EventHeader {
  /** Event package (with any `.template`), lower-cased: `'refer'`. */
  readonly package: string;
  /** The `id` parameter, when present. */
  readonly id?: string | undefined;
  /** Other parameters by lower-cased name (`null` for a flag), `id` excluded. */
  readonly params: Readonly<Record<string, string | null>>;
}

/**
 * Parses an `Event` header value such as `refer;id=93809824`. Never throws.
 *
 * @example
 * ```ts
 * parseEvent('refer;id=2'); // { ok: true, value: { package: 'refer', id: '2', params: {} } }
 * ```
 */
export function parseEvent(value: string): Result<EventHeader, HeaderError> {
  const parsed = tokenWithParams('Event', value);
  if (!parsed.ok) return parsed;
  const params = parsed.value.params;
  const id = takeParam(params, 'id');
  if (id === null || (id !== undefined && !onlyChars(id, TOKEN_CHARS))) {
    return headerError('BAD_PARAM', 'Event: the id parameter needs a token value (the REFER CSeq number)');
  }
  return ok({ package: asciiLower(parsed.value.token), ...(id !== undefined ? { id } : {}), params });
}

/** Formats an {@link EventHeader}: `refer;id=2`. */
export function formatEvent(event: EventHeader): string {
  return event.package + (event.id !== undefined ? `;id=${event.id}` : '') + formatParams(event.params);
}

/**
 * A `Subscription-State` header (RFC 6665 section 8.2.3). `state` is lower-cased; values other
 * than the three standard ones are kept as extension states.
 */
export interface SubscriptionState {
  /** `active`, `pending`, `terminated`, or an extension state. */
  readonly state: 'active' | 'pending' | 'terminated' | (string & {});
  /** The `reason` parameter (`noresource`, `timeout`, `rejected`...), with `terminated`. */
  readonly reason?: string | undefined;
  /** The `expires` parameter in seconds. */
  readonly expires?: number | undefined;
  /** The `retry-after` parameter in seconds. */
  readonly retryAfter?: number | undefined;
  /** Other parameters by lower-cased name, the three above excluded. */
  readonly params: Readonly<Record<string, string | null>>;
}

const DELTA_SECONDS = /^[0-9]{1,10}$/;

/**
 * Parses a `Subscription-State` value such as `active;expires=60` or
 * `terminated;reason=noresource`. Never throws.
 */
export function parseSubscriptionState(value: string): Result<SubscriptionState, HeaderError> {
  const parsed = tokenWithParams('Subscription-State', value);
  if (!parsed.ok) return parsed;
  const params = parsed.value.params;
  const reason = takeParam(params, 'reason');
  const expires = takeParam(params, 'expires');
  const retryAfter = takeParam(params, 'retry-after');
  if (reason === null || (reason !== undefined && !onlyChars(reason, TOKEN_CHARS))) {
    return headerError('BAD_PARAM', 'Subscription-State: reason needs a token value');
  }
  for (const [name, v] of [
    ['expires', expires],
    ['retry-after', retryAfter],
  ] as const) {
    if (v !== undefined && (v === null || !DELTA_SECONDS.test(v))) {
      return headerError('BAD_PARAM', `Subscription-State: ${name} needs a number of seconds`);
    }
  }
  return ok({
    state: asciiLower(parsed.value.token),
    ...(reason !== undefined ? { reason: asciiLower(reason) } : {}),
    ...(typeof expires === 'string' ? { expires: Number(expires) } : {}),
    ...(typeof retryAfter === 'string' ? { retryAfter: Number(retryAfter) } : {}),
    params,
  });
}

/** Formats a {@link SubscriptionState}: `terminated;reason=noresource`. */
export function formatSubscriptionState(state: SubscriptionState): string {
  let out = state.state;
  if (state.reason !== undefined) out += `;reason=${state.reason}`;
  if (state.expires !== undefined) out += `;expires=${state.expires}`;
  if (state.retryAfter !== undefined) out += `;retry-after=${state.retryAfter}`;
  return out + formatParams(state.params);
}

/** A `Refer-Sub` header (RFC 4488 section 4): whether the REFER creates a subscription. */
export interface ReferSub {
  /** `true` for `Refer-Sub: true`, `false` for `Refer-Sub: false`. */
  readonly value: boolean;
  /** Extension parameters by lower-cased name. */
  readonly params: Readonly<Record<string, string | null>>;
}

/**
 * Parses a `Refer-Sub` value (`true` or `false`, case-insensitive, with optional extension
 * parameters). Never throws.
 */
export function parseReferSub(value: string): Result<ReferSub, HeaderError> {
  const parsed = tokenWithParams('Refer-Sub', value);
  if (!parsed.ok) return parsed;
  const token = asciiLower(parsed.value.token);
  if (token !== 'true' && token !== 'false') {
    return headerError('MALFORMED', `Refer-Sub is "true" or "false", not "${parsed.value.token}"`);
  }
  return ok({ value: token === 'true', params: parsed.value.params });
}

/** A `Referred-By` header (RFC 3892 section 3; compact form `b`). */
export interface ReferredBy {
  /** Display name, when given. */
  readonly displayName?: string | undefined;
  /** The referrer's URI. */
  readonly uri: SipUri;
  /** The `cid` parameter (Content-ID of a signed Referred-By token), unquoted. */
  readonly cid?: string;
  /** Header parameters by lower-cased name, values as written, `cid` included. */
  readonly params: Readonly<Record<string, string | null>>;
}

/**
 * Parses a `Referred-By` value such as `<sip:agent@pbx.example.com>;cid="20398823@referrer"`.
 * Exactly one value is allowed. Never throws.
 */
export function parseReferredBy(value: string): Result<ReferredBy, HeaderError> {
  if (typeof value !== 'string') return headerError('NOT_A_STRING', 'the Referred-By value is not a string');
  const values = splitHeaderList(value);
  if (values.length === 0) return headerError('EMPTY', 'the Referred-By value is empty');
  if (values.length > 1) return headerError('MULTIPLE', 'Referred-By carries more than one value');
  const parsed = parseNameAddr(values[0] ?? '');
  if (!parsed.ok) return headerError('MALFORMED', `Referred-By: ${parsed.error.message}`);
  const rawCid = parsed.value.params['cid'];
  let cid: string | undefined;
  if (typeof rawCid === 'string') {
    if (rawCid.startsWith('"')) {
      const quoted = readQuoted(rawCid, 0);
      if (!quoted.ok || quoted.value.end !== rawCid.length)
        return headerError('BAD_PARAM', 'Referred-By: bad cid');
      cid = quoted.value.text;
    } else {
      cid = rawCid;
    }
  } else if (rawCid === null) {
    return headerError('BAD_PARAM', 'Referred-By: cid needs a value');
  }
  return ok({ ...parsed.value, ...(cid !== undefined ? { cid } : {}) });
}

function formatParams(params: Readonly<Record<string, string | null>>): string {
  let out = '';
  for (const [name, value] of Object.entries(params))
    out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}
