import { TOKEN_CHARS, describeChar, onlyChars } from './escapes.js';
import { asciiLower, err, hasOwn, ok, setOwn, type Result } from './result.js';
import { formatSipUri, parseSipUri, type SipUri, type UriError, type UriErrorCode } from './sip-uri.js';

/**
 * A header value of the `name-addr` / `addr-spec` family (RFC 3261 section 20.10, used by
 * `From`, `To`, `Contact`, `Refer-To`, `Referred-By`): an optional display name, a URI, and
 * header parameters.
 */
export interface NameAddr {
  /** Display name; unquoted and unescaped when it was a quoted-string. Absent when none was given. */
  readonly displayName?: string | undefined;
  /** The URI between the angle brackets (or the bare addr-spec). */
  readonly uri: SipUri;
  /**
   * Header parameters after the address, by lower-cased name; values as written (a quoted-string
   * keeps its quotes), `null` for a parameter without a value.
   */
  readonly params: Readonly<Record<string, string | null>>;
}

const WS = /[ \t\r\n]/;

function nameAddrError(code: UriErrorCode, message: string): { ok: false; error: UriError } {
  return err({ code, message });
}

/**
 * Parses a `name-addr` (`"Alice" <sip:alice@example.com>;tag=1`) or an `addr-spec`
 * (`sip:alice@example.com;tag=1`). In the addr-spec form everything after the first `;` is a
 * header parameter, and a URI containing `?` or `,` is refused with `BRACKETS_REQUIRED`, as
 * RFC 3261 section 20 requires angle brackets for a URI containing `;`, `?` or `,`.
 * Never throws.
 */
export function parseNameAddr(text: string): Result<NameAddr, UriError> {
  if (typeof text !== 'string') return nameAddrError('NOT_A_STRING', 'the header value is not a string');
  const value = text.trim();
  if (value.length === 0) return nameAddrError('EMPTY', 'the header value is empty');

  let displayName: string | undefined;
  let uriText: string;
  let rest: string;
  let pos = 0;
  if (value.startsWith('"')) {
    const quoted = readQuoted(value, 0);
    if (!quoted.ok) return quoted;
    displayName = quoted.value.text;
    pos = skipWs(value, quoted.value.end);
    if (value.charAt(pos) !== '<') {
      return nameAddrError('BAD_NAME_ADDR', 'a quoted display name must be followed by "<uri>"');
    }
  }
  const open = value.indexOf('<', pos);
  if (open >= 0) {
    if (displayName === undefined) {
      const name = value.slice(0, open).trim();
      if (name.length > 0) {
        if (!name.split(/[ \t\r\n]+/).every((word) => onlyChars(word, TOKEN_CHARS))) {
          return nameAddrError(
            'BAD_NAME_ADDR',
            `display name "${name}" has characters that need a quoted string ("${name.replace(/["\\]/g, '\\$&')}")`,
          );
        }
        displayName = name;
      }
    }
    const close = value.indexOf('>', open + 1);
    if (close < 0) return nameAddrError('BAD_NAME_ADDR', 'the "<" has no closing ">"');
    uriText = value.slice(open + 1, close);
    rest = value.slice(close + 1);
  } else {
    // addr-spec: the URI runs to the first ";" (or whitespace); what follows are header params.
    const semi = value.indexOf(';');
    uriText = semi >= 0 ? value.slice(0, semi) : value;
    rest = semi >= 0 ? value.slice(semi) : '';
    const trimmed = uriText.trimEnd();
    if (WS.test(trimmed)) {
      return nameAddrError('BAD_NAME_ADDR', `unexpected text in "${trimmed}": put the URI in angle brackets`);
    }
    if (/[?,]/.test(trimmed) || (rest.includes('@') && !trimmed.includes('@'))) {
      return nameAddrError(
        'BRACKETS_REQUIRED',
        `a URI containing ";", "?" or "," must be enclosed in angle brackets: <${value}>`,
      );
    }
    uriText = trimmed;
  }
  const uri = parseSipUri(uriText);
  if (!uri.ok) return uri;
  const params = parseHeaderParams(rest);
  if (!params.ok) return params;
  return ok({ ...(displayName !== undefined ? { displayName } : {}), uri: uri.value, params: params.value });
}

/**
 * Formats a {@link NameAddr} in the name-addr form (always with angle brackets, which is valid for
 * every URI): `"Display" <sip:...>;param=value`.
 */
export function formatNameAddr(nameAddr: NameAddr): string {
  let out = '';
  if (nameAddr.displayName !== undefined) {
    out += `"${nameAddr.displayName.replace(/["\\]/g, '\\$&')}" `;
  }
  out += `<${formatSipUri(nameAddr.uri)}>`;
  for (const [name, value] of Object.entries(nameAddr.params)) {
    out += value === null ? `;${name}` : `;${name}=${value}`;
  }
  return out;
}

/** @internal Reads a quoted-string starting at `start`; returns its unescaped text and end index. */
export function readQuoted(text: string, start: number): Result<{ text: string; end: number }, UriError> {
  let out = '';
  for (let i = start + 1; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '\\') {
      if (i + 1 >= text.length) break;
      out += text.charAt(i + 1);
      i++;
    } else if (ch === '"') {
      return ok({ text: out, end: i + 1 });
    } else if (ch === '\r' || ch === '\n') {
      break;
    } else {
      out += ch;
    }
  }
  return nameAddrError('BAD_NAME_ADDR', 'a quoted string is not closed');
}

function skipWs(text: string, pos: number): number {
  while (pos < text.length && WS.test(text.charAt(pos))) pos++;
  return pos;
}

const GEN_VALUE_CHARS = new Set([...TOKEN_CHARS, ':', '[', ']']);

/**
 * @internal Parses `*( SEMI generic-param )` (RFC 3261 section 25.1): names lower-cased, values
 * kept as written (a quoted-string keeps its quotes).
 */
export function parseHeaderParams(text: string): Result<Record<string, string | null>, UriError> {
  const params: Record<string, string | null> = {};
  let pos = skipWs(text, 0);
  while (pos < text.length) {
    if (text.charAt(pos) !== ';') {
      return nameAddrError(
        'BAD_PARAM',
        `unexpected ${describeChar(text.charAt(pos))} where ";" or the end was expected`,
      );
    }
    pos = skipWs(text, pos + 1);
    const nameStart = pos;
    while (pos < text.length && TOKEN_CHARS.has(text.charAt(pos))) pos++;
    const name = asciiLower(text.slice(nameStart, pos));
    if (name.length === 0) return nameAddrError('BAD_PARAM', 'a header parameter has no name');
    pos = skipWs(text, pos);
    let value: string | null = null;
    if (text.charAt(pos) === '=') {
      pos = skipWs(text, pos + 1);
      if (text.charAt(pos) === '"') {
        const quoted = readQuoted(text, pos);
        if (!quoted.ok) return quoted;
        value = text.slice(pos, quoted.value.end);
        pos = quoted.value.end;
      } else {
        const valueStart = pos;
        while (pos < text.length && GEN_VALUE_CHARS.has(text.charAt(pos))) pos++;
        value = text.slice(valueStart, pos);
        if (value.length === 0)
          return nameAddrError('BAD_PARAM', `header parameter "${name}" has "=" but no value`);
      }
      pos = skipWs(text, pos);
    }
    if (hasOwn(params, name))
      return nameAddrError('DUPLICATE_PARAM', `header parameter "${name}" appears twice`);
    setOwn(params, name, value);
  }
  return ok(params);
}

/**
 * Splits a header value at the commas that separate list elements (RFC 3261 section 7.3.1),
 * ignoring commas inside quoted strings and angle brackets. Empty elements are dropped.
 *
 * @example
 * ```ts
 * splitHeaderList('<sip:a@x>, "B, Jr" <sip:b@x>'); // ['<sip:a@x>', '"B, Jr" <sip:b@x>']
 * ```
 */
export function splitHeaderList(value: string): string[] {
  const parts: string[] = [];
  const push = (from: number, to: number): void => {
    const part = value.slice(from, to).trim();
    if (part.length > 0) parts.push(part);
  };
  let start = 0;
  let inQuotes = false;
  let inBrackets = false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (inQuotes) {
      if (code === 0x5c /* \ */) i++;
      else if (code === 0x22 /* " */) inQuotes = false;
    } else if (code === 0x22) {
      inQuotes = true;
    } else if (code === 0x3c /* < */) {
      inBrackets = true;
    } else if (code === 0x3e /* > */) {
      inBrackets = false;
    } else if (code === 0x2c /* , */ && !inBrackets) {
      push(start, i);
      start = i + 1;
    }
  }
  push(start, value.length);
  return parts;
}
