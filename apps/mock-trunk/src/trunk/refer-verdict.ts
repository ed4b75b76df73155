import { isIP } from 'node:net';
import type { TrunkReferVerdict } from '@referkit/core';
import { isE164, splitUri } from './uri.js';

/** What the trunk checks a `Refer-To` against. */
export interface ReferPolicy {
  /** The trunk's termination domain (also accepted as a Refer-To host). */
  readonly domain: string;
  /** Countries (ISO 3166 alpha-2) enabled under Geo Permissions besides the home country; undefined: all. */
  readonly geo?: readonly string[] | undefined;
  /** The account's home country (default `US`). */
  readonly homeCountry?: string | undefined;
}

const PRIVATE_V4 = [
  /^10\./,
  /^127\./,
  /^192\.168\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^169\.254\./,
  /^0\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
];

function isPrivateAddress(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return PRIVATE_V4.some((re) => re.test(bare));
  if (family === 6) return /^(::1$|fc|fd|fe80)/i.test(bare) || bare === '::';
  return false;
}

/** NANP (+1) numbers count as the US; other numbers by their country calling code. */
function countryOf(number: string): string {
  return number.startsWith('+1') ? 'US' : `+${number.slice(1, 3)}`;
}

/**
 * The trunk's verdict on a REFER's `Refer-To` values (Plivo's rules): 400 for missing, repeated
 * or malformed values and non-E.164 numbers; 403 for a domain that is not a Plivo trunk domain,
 * a private IP target, or a destination outside Geo Permissions.
 */
export function referVerdict(values: readonly string[], policy: ReferPolicy): TrunkReferVerdict {
  const bad = (reason: string): TrunkReferVerdict => ({ ok: false, status: 400, reason });
  const forbidden = (reason: string): TrunkReferVerdict => ({ ok: false, status: 403, reason });
  if (values.length === 0) return bad('Bad Request (Refer-To missing)');
  if (values.length > 1) return bad('Bad Request (more than one Refer-To)');
  const value = (values[0] ?? '').trim();
  const open = value.indexOf('<');
  const close = value.lastIndexOf('>');
  if (open >= 0 && close < open) return bad('Bad Request (Refer-To malformed)');
  const uriText = open >= 0 ? value.slice(open + 1, close).trim() : value;
  const uri = splitUri(uriText);
  if (!uri || (uri.scheme !== 'sip' && uri.scheme !== 'sips')) return bad('Bad Request (Refer-To malformed)');
  if (uri.headers !== '') return bad('Bad Request (Refer-To embedded headers not supported)');
  if (uri.user === undefined || !isE164(uri.user)) return bad('Bad Request (Refer-To number not E.164)');
  if (isIP(uri.host.replace(/^\[|\]$/g, '')) !== 0) {
    return isPrivateAddress(uri.host)
      ? forbidden('Forbidden (Refer-To target is a private IP)')
      : forbidden('Forbidden (Refer-To domain is not a Plivo SIP trunk domain)');
  }
  if (!uri.host.endsWith('.zt.plivo.com') && uri.host !== policy.domain.toLowerCase()) {
    return forbidden('Forbidden (Refer-To domain is not a Plivo SIP trunk domain)');
  }
  const home = policy.homeCountry ?? 'US';
  const country = countryOf(uri.user);
  if (policy.geo !== undefined && country !== home && !policy.geo.includes(country)) {
    return forbidden('Forbidden (destination not enabled under Geo Permissions)');
  }
  return { ok: true, target: `sip:${uri.user}@${uri.host}` };
}
