import ipaddr from 'ipaddr.js';

/**
 * What an IP address is, per ipaddr.js's special-purpose ranges: `range` is ipaddr.js's name
 * (`'unicast'` for an ordinary public address; `'private'` for RFC 1918, `'loopback'`,
 * `'linkLocal'`, `'carrierGradeNat'`, `'unspecified'`, `'multicast'`, `'broadcast'`, `'reserved'`,
 * `'uniqueLocal'`, ...). An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is classified by the IPv4
 * address it carries, with `mapped: true`.
 */
export interface AddressClass {
  /** Address family after unmapping IPv4-mapped IPv6 addresses. */
  readonly kind: 'ipv4' | 'ipv6';
  /** ipaddr.js range name. */
  readonly range: string;
  /** Whether the address is anything but a public unicast address. */
  readonly private: boolean;
  /** Whether the input was an IPv4-mapped IPv6 address. */
  readonly mapped: boolean;
}

/** Plain-language names of the ranges refused as private or reserved, for error messages. */
const RANGE_NAMES: Readonly<Record<string, string>> = {
  private: 'a private address (RFC 1918)',
  loopback: 'a loopback address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10, RFC 6598)',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
  uniqueLocal: 'a unique local IPv6 address (fc00::/7)',
};

/**
 * Classifies an IP address given as text (IPv4 dotted quad or IPv6, with or without square
 * brackets). Returns `undefined` when the text is not an IP address (e.g. a domain name).
 * IPv4 text must be four decimal octets: ipaddr.js's octal and hexadecimal forms are not accepted.
 */
export function classifyAddress(text: string): AddressClass | undefined {
  if (typeof text !== 'string') return undefined;
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  // No IP address is longer than 45 characters; longer text never reaches ipaddr.js's parser.
  if (bare.length > 45) return undefined;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  let mapped = false;
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) {
    address = ipaddr.IPv4.parse(bare);
  } else if (!bare.includes('%') && ipaddr.IPv6.isValid(bare)) {
    const v6 = ipaddr.IPv6.parse(bare);
    if (v6.isIPv4MappedAddress()) {
      address = v6.toIPv4Address();
      mapped = true;
    } else {
      address = v6;
    }
  } else {
    return undefined;
  }
  const range = address.range();
  return { kind: address.kind(), range, private: range !== 'unicast', mapped };
}

/**
 * Whether `text` is an IP address that a trunk must not send calls to: RFC 1918, loopback,
 * link-local, CGNAT (100.64.0.0/10), unspecified, multicast, broadcast, reserved and documentation
 * ranges, IPv6 unique-local / link-local / loopback, and IPv4-mapped IPv6 forms of any of these.
 * `false` for public addresses and for anything that is not an IP address.
 */
export function isPrivateAddress(text: string): boolean {
  return classifyAddress(text)?.private ?? false;
}

/** @internal Describes a non-public range for a message ("a private address (RFC 1918)"). */
export function describeRange(range: string): string {
  return RANGE_NAMES[range] ?? `a special-purpose address (${range})`;
}
