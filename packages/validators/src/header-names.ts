import { asciiLower } from './result.js';

/**
 * Compact header names (RFC 3261 section 7.3.3 and the RFCs that define them) and the full names
 * they stand for: `r` is `Refer-To` (RFC 3515), `o` is `Event` (RFC 6665), `b` is `Referred-By`
 * (RFC 3892).
 */
export const COMPACT_HEADER_NAMES: Readonly<Record<string, string>> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
};

/**
 * The full name of a header given in compact form (`'r'` -> `'Refer-To'`); any other name is
 * returned unchanged. Use it before comparing header names case-insensitively.
 */
export function expandHeaderName(name: string): string {
  return COMPACT_HEADER_NAMES[asciiLower(name)] ?? name;
}
