import ipaddr from 'ipaddr.js';
import {
  HEADER_CHARS,
  PARAM_CHARS,
  PASSWORD_CHARS,
  TEL_NUMBER_CHARS,
  TEL_PNAME_CHARS,
  USER_CHARS,
  describeChar,
  escapeComponent,
  unescapeComponent,
} from './escapes.js';
import { asciiLower, err, hasOwn, ok, setOwn, type Result } from './result.js';

/** URI schemes this package parses: SIP and SIPS (RFC 3261 section 19.1) and tel (RFC 3966). */
export type SipUriScheme = 'sip' | 'sips' | 'tel';

/** How the host of a {@link SipUri} is written. */
export type SipHostType = 'domain' | 'ipv4' | 'ipv6';

/**
 * A parsed `sip:`, `sips:` or `tel:` URI (RFC 3261 sections 19.1 and 25, RFC 3966).
 *
 * All text fields hold **decoded** values (`%2B` becomes `+`); {@link formatSipUri} escapes what
 * needs escaping again.
 *
 * - `host` is lower-cased; an IPv6 host is stored **without** its square brackets
 *   (`sip:[::1]` has `host: '::1'`, `hostType: 'ipv6'`).
 * - `params` keys (uri-parameter names) are lower-cased, as their comparison is case-insensitive;
 *   a parameter without a value (`;lr`) maps to `null`.
 * - `headers` are the embedded headers after `?` (`?Replaces=...&X-Foo=bar`), names as written.
 * - For a `tel:` URI, `user` is the telephone number as written (`+1-415-555-1234`), `host` is
 *   the empty string with `hostType: 'domain'`, and `headers` is empty.
 */
export interface SipUri {
  /** URI scheme, lower-cased. */
  readonly scheme: SipUriScheme;
  /** User part (decoded), or the number of a `tel:` URI. */
  readonly user?: string | undefined;
  /** Password of the userinfo (decoded); deprecated by RFC 3261 but parsed. */
  readonly password?: string | undefined;
  /** Host: a domain name, an IPv4 address, or an IPv6 address without brackets. Empty for `tel:`. */
  readonly host: string;
  /** Form of {@link SipUri.host}. */
  readonly hostType: SipHostType;
  /** Port, when the URI gives one. */
  readonly port?: number | undefined;
  /** uri-parameters by lower-cased name; `null` for a parameter without a value. */
  readonly params: Readonly<Record<string, string | null>>;
  /** Embedded headers (`?name=value&...`), decoded. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Codes of {@link UriError}, one per kind of syntax problem. */
export const URI_ERROR_CODES = [
  'NOT_A_STRING',
  'EMPTY',
  'UNSUPPORTED_SCHEME',
  'BAD_USERINFO',
  'BAD_HOST',
  'BAD_PORT',
  'BAD_PARAM',
  'DUPLICATE_PARAM',
  'BAD_HEADER',
  'BAD_NUMBER',
  'BAD_NAME_ADDR',
  'BRACKETS_REQUIRED',
] as const;

/** A code from {@link URI_ERROR_CODES}. */
export type UriErrorCode = (typeof URI_ERROR_CODES)[number];

/** Why a URI or name-addr could not be parsed. Branch on `code`; `message` is for people. */
export interface UriError {
  /** What kind of problem. */
  readonly code: UriErrorCode;
  /** Human-readable explanation naming the offending part. */
  readonly message: string;
}

function uriError(code: UriErrorCode, message: string): { ok: false; error: UriError } {
  return err({ code, message });
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const IPV4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LABEL = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV6_CHARS = /^[0-9a-f:.]+$/;
const PORT = /^[0-9]{1,5}$/;
/** Longest textual IPv6 address (eight groups, or six and an embedded IPv4 address). */
const MAX_IPV6_LENGTH = 45;

/**
 * Parses a `sip:`, `sips:` or `tel:` URI per RFC 3261 sections 19.1 and 25 (and RFC 3966 for
 * `tel:`). Never throws: any problem comes back as a {@link UriError}.
 *
 * Deliberate strictness beyond the grammar: IPv4 octets must be 0-255 without leading zeros
 * (`010.0.0.1` is ambiguous: some stacks read it as octal), domain labels are at most 63
 * characters, the port is 0-65535, a uri-parameter or embedded header may not repeat, and escaped
 * bytes must be valid UTF-8.
 *
 * @example
 * ```ts
 * const r = parseSipUri('sip:+14155551234@XXXXXXXXXXXX.zt.plivo.com;user=phone');
 * if (r.ok) r.value.user; // '+14155551234'
 * ```
 */
export function parseSipUri(text: string): Result<SipUri, UriError> {
  if (typeof text !== 'string') return uriError('NOT_A_STRING', 'the URI is not a string');
  if (text.length === 0) return uriError('EMPTY', 'the URI is empty');
  const schemeMatch = SCHEME.exec(text);
  if (!schemeMatch)
    return uriError('UNSUPPORTED_SCHEME', 'the URI has no scheme (expected "sip:", "sips:" or "tel:")');
  const scheme = asciiLower(schemeMatch[1] ?? '');
  const rest = text.slice(schemeMatch[0].length);
  if (scheme === 'tel') return parseTel(rest);
  if (scheme !== 'sip' && scheme !== 'sips') {
    return uriError(
      'UNSUPPORTED_SCHEME',
      `scheme "${scheme}:" is not supported (expected "sip:", "sips:" or "tel:")`,
    );
  }
  return parseSip(scheme, rest);
}

function parseSip(scheme: 'sip' | 'sips', rest: string): Result<SipUri, UriError> {
  let user: string | undefined;
  let password: string | undefined;
  let hostPart = rest;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    hostPart = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const rawUser = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (rawUser.length === 0) return uriError('BAD_USERINFO', 'the user part before "@" is empty');
    const decodedUser = unescapeComponent(rawUser, USER_CHARS);
    if (!decodedUser.ok) return uriError('BAD_USERINFO', `user part: ${decodedUser.message}`);
    user = decodedUser.value;
    if (colon >= 0) {
      const decodedPassword = unescapeComponent(userinfo.slice(colon + 1), PASSWORD_CHARS);
      if (!decodedPassword.ok) return uriError('BAD_USERINFO', `password: ${decodedPassword.message}`);
      password = decodedPassword.value;
    }
  }

  // hostport, then ;params, then ?headers
  let host: string;
  let hostType: SipHostType;
  let after: string;
  if (hostPart.startsWith('[')) {
    const close = hostPart.indexOf(']');
    if (close < 0) return uriError('BAD_HOST', 'IPv6 reference has no closing "]"');
    const address = asciiLower(hostPart.slice(1, close));
    if (address.length > MAX_IPV6_LENGTH || !IPV6_CHARS.test(address) || !ipaddr.IPv6.isValid(address)) {
      return uriError('BAD_HOST', `"[${address}]" is not a valid IPv6 reference`);
    }
    host = address;
    hostType = 'ipv6';
    after = hostPart.slice(close + 1);
  } else {
    const end = firstIndexOf(hostPart, [':', ';', '?']);
    const rawHost = asciiLower(hostPart.slice(0, end));
    after = hostPart.slice(end);
    if (rawHost.length === 0) return uriError('BAD_HOST', 'the host is empty');
    const hostCheck = checkHost(rawHost);
    if (!hostCheck.ok) return hostCheck;
    host = rawHost;
    hostType = hostCheck.value;
  }

  let port: number | undefined;
  if (after.startsWith(':')) {
    const end = firstIndexOf(after, [';', '?']);
    const rawPort = after.slice(1, end);
    if (!PORT.test(rawPort) || Number(rawPort) > 65535) {
      return uriError('BAD_PORT', `port "${rawPort}" is not a number from 0 to 65535`);
    }
    port = Number(rawPort);
    after = after.slice(end);
  }

  const question = after.indexOf('?');
  const paramText = question >= 0 ? after.slice(0, question) : after;
  const headerText = question >= 0 ? after.slice(question + 1) : undefined;
  if (paramText.length > 0 && !paramText.startsWith(';')) {
    return uriError('BAD_HOST', `unexpected ${describeChar(paramText.charAt(0))} after the host`);
  }
  const params = parseUriParams(paramText, PARAM_CHARS, PARAM_CHARS);
  if (!params.ok) return params;
  const headers: Record<string, string> = {};
  if (headerText !== undefined) {
    const seen = new Set<string>();
    for (const field of headerText.split('&')) {
      const eq = field.indexOf('=');
      if (eq <= 0) return uriError('BAD_HEADER', `embedded header "${field}" is not name=value`);
      const name = unescapeComponent(field.slice(0, eq), HEADER_CHARS);
      if (!name.ok) return uriError('BAD_HEADER', `embedded header name: ${name.message}`);
      const value = unescapeComponent(field.slice(eq + 1), HEADER_CHARS);
      if (!value.ok) return uriError('BAD_HEADER', `embedded header "${name.value}": ${value.message}`);
      const key = asciiLower(name.value);
      if (seen.has(key)) return uriError('BAD_HEADER', `embedded header "${name.value}" appears twice`);
      seen.add(key);
      setOwn(headers, name.value, value.value);
    }
  }

  return ok({
    scheme,
    ...(user !== undefined ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
    host,
    hostType,
    ...(port !== undefined ? { port } : {}),
    params: params.value,
    headers,
  });
}

function checkHost(host: string): Result<SipHostType, UriError> {
  if (/^[0-9.]+$/.test(host)) {
    const m = IPV4.exec(host);
    if (m && m.slice(1).every((octet) => Number(octet) <= 255)) return ok('ipv4');
    return uriError(
      'BAD_HOST',
      `"${host}" is not a valid IPv4 address (four decimal octets 0-255, no leading zeros)`,
    );
  }
  const labels = (host.endsWith('.') ? host.slice(0, -1) : host).split('.');
  const top = labels[labels.length - 1] ?? '';
  if (host.length > 254 || !labels.every((label) => DOMAIN_LABEL.test(label)) || !TOP_LABEL.test(top)) {
    return uriError('BAD_HOST', `"${host}" is not a valid host name`);
  }
  return ok('domain');
}

function parseUriParams(
  text: string,
  nameChars: ReadonlySet<string>,
  valueChars: ReadonlySet<string>,
): Result<Record<string, string | null>, UriError> {
  const params: Record<string, string | null> = {};
  if (text.length === 0) return ok(params);
  for (const field of text.slice(1).split(';')) {
    const eq = field.indexOf('=');
    const rawName = eq >= 0 ? field.slice(0, eq) : field;
    if (rawName.length === 0) return uriError('BAD_PARAM', 'a uri-parameter has an empty name');
    const name = unescapeComponent(rawName, nameChars);
    if (!name.ok || name.value.length === 0) {
      return uriError('BAD_PARAM', `uri-parameter name "${rawName}": ${name.ok ? 'empty' : name.message}`);
    }
    let value: string | null = null;
    if (eq >= 0) {
      const rawValue = field.slice(eq + 1);
      if (rawValue.length === 0)
        return uriError('BAD_PARAM', `uri-parameter "${name.value}" has "=" but no value`);
      const decoded = unescapeComponent(rawValue, valueChars);
      if (!decoded.ok) return uriError('BAD_PARAM', `uri-parameter "${name.value}": ${decoded.message}`);
      value = decoded.value;
    }
    const key = asciiLower(name.value);
    if (hasOwn(params, key)) return uriError('DUPLICATE_PARAM', `uri-parameter "${key}" appears twice`);
    setOwn(params, key, value);
  }
  return ok(params);
}

function parseTel(rest: string): Result<SipUri, UriError> {
  if (rest.includes('?')) return uriError('BAD_NUMBER', 'a tel: URI cannot carry embedded headers ("?")');
  const semi = rest.indexOf(';');
  const rawNumber = semi >= 0 ? rest.slice(0, semi) : rest;
  const number = unescapeComponent(rawNumber, TEL_NUMBER_CHARS);
  if (!number.ok) return uriError('BAD_NUMBER', `tel: number: ${number.message}`);
  const digits = number.value;
  const global = digits.startsWith('+');
  const body = global ? digits.slice(1) : digits;
  // Two linear tests rather than one pattern with two stars, which backtracks quadratically.
  const valid = global
    ? /^[0-9().-]+$/.test(body) && /[0-9]/.test(body)
    : /^[0-9a-fA-F*#().-]+$/.test(body) && /[0-9a-fA-F*#]/.test(body);
  if (!valid) return uriError('BAD_NUMBER', `"${digits}" is not a telephone number (RFC 3966)`);
  const params = parseUriParams(semi >= 0 ? rest.slice(semi) : '', TEL_PNAME_CHARS, PARAM_CHARS);
  if (!params.ok) return params;
  if (!global && !hasOwn(params.value, 'phone-context')) {
    return uriError(
      'BAD_NUMBER',
      `local number "${digits}" needs a ";phone-context=" parameter (RFC 3966 section 5.1.5)`,
    );
  }
  return ok({ scheme: 'tel', user: digits, host: '', hostType: 'domain', params: params.value, headers: {} });
}

function firstIndexOf(text: string, chars: readonly string[]): number {
  let best = text.length;
  for (const ch of chars) {
    const i = text.indexOf(ch);
    if (i >= 0 && i < best) best = i;
  }
  return best;
}

/**
 * Formats a {@link SipUri} as text, escaping every character that its component does not allow
 * unescaped. For any URI returned by {@link parseSipUri}, `parseSipUri(formatSipUri(uri))` gives
 * the same URI back.
 *
 * An empty `user` is left out (`sip:host`); a `password` is written only with a `user`; an IPv6
 * host gets its brackets back.
 */
export function formatSipUri(uri: SipUri): string {
  if (uri.scheme === 'tel') {
    return `tel:${escapeComponent(uri.user ?? '', TEL_NUMBER_CHARS)}${formatParams(uri.params, TEL_PNAME_CHARS)}`;
  }
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined && uri.user.length > 0) {
    out += escapeComponent(uri.user, USER_CHARS);
    if (uri.password !== undefined) out += ':' + escapeComponent(uri.password, PASSWORD_CHARS);
    out += '@';
  }
  out += uri.hostType === 'ipv6' ? `[${uri.host}]` : uri.host;
  if (uri.port !== undefined) out += `:${uri.port}`;
  out += formatParams(uri.params, PARAM_CHARS);
  const headers = Object.entries(uri.headers);
  if (headers.length > 0) {
    out +=
      '?' +
      headers
        .map(
          ([name, value]) => `${escapeComponent(name, HEADER_CHARS)}=${escapeComponent(value, HEADER_CHARS)}`,
        )
        .join('&');
  }
  return out;
}

function formatParams(
  params: Readonly<Record<string, string | null>>,
  nameChars: ReadonlySet<string>,
): string {
  let out = '';
  for (const [name, value] of Object.entries(params)) {
    out += ';' + escapeComponent(name, nameChars);
    if (value !== null) out += '=' + escapeComponent(value, PARAM_CHARS);
  }
  return out;
}
