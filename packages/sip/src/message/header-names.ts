/**
 * Compact header forms (RFC 3261 section 7.3.3 and the registry of RFC 3261 section 27.3):
 * the single-letter name mapped to the full name, lower-cased.
 */
export const COMPACT_HEADER_FORMS: Readonly<Record<string, string>> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

const cache = new Map<string, string>();
const CACHE_LIMIT = 512;

/**
 * The lookup key of a header name: lower-cased, compact form expanded (RFC 3261 section 7.3.3:
 * `v` and `Via` name the same header; names compare case-insensitively, section 7.3.1).
 */
export function headerKey(name: string): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  const key = lower.length === 1 ? (COMPACT_HEADER_FORMS[lower] ?? lower) : lower;
  if (cache.size < CACHE_LIMIT) cache.set(name, key);
  return key;
}

/** True for a byte that may appear in an RFC 3261 `token` (section 25.1). */
export function isTokenByte(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d || // -
    c === 0x2e || // .
    c === 0x21 || // !
    c === 0x25 || // %
    c === 0x2a || // *
    c === 0x5f || // _
    c === 0x2b || // +
    c === 0x60 || // `
    c === 0x27 || // '
    c === 0x7e //    ~
  );
}

/** True when every character of `text` is a `token` character (RFC 3261 section 25.1). */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!isTokenByte(text.charCodeAt(i))) return false;
  return true;
}
