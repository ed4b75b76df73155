import { asciiLower } from './result.js';

/**
 * The Refer-To rules of one SIP trunk, as {@link validateReferTo} applies them. Build Plivo's with
 * {@link plivoProfile}; the fields are plain data so other trunks can be described the same way.
 */
export interface TrunkProfile {
  /** Name of the trunk provider, used in messages (`'Plivo'`). */
  readonly name: string;
  /**
   * Suffix a transfer target's host must end with (`'.zt.plivo.com'`), lower-case, unless the host
   * is {@link TrunkProfile.terminationDomain} itself.
   */
  readonly domainSuffix: string;
  /** The trunk's own termination domain (`'xxxxxxxxxxxx.zt.plivo.com'`), lower-case, no trailing dot. */
  readonly terminationDomain: string;
  /** When `true`, only {@link TrunkProfile.terminationDomain} itself is accepted as the target host. */
  readonly strict: boolean;
  /** ISO 3166-1 alpha-2 country of the account (upper-case). */
  readonly homeCountry: string;
  /**
   * Countries (ISO 3166-1 alpha-2, upper-case) the account may call: the Geo Permissions. Include
   * `'001'` to allow non-geographic numbers (`+800`...).
   */
  readonly geoPermissions: readonly string[];
}

/** Options of {@link plivoProfile}. */
export interface PlivoProfileOptions {
  /** The trunk's Termination SIP Domain, e.g. `'XXXXXXXXXXXX.zt.plivo.com'` (case-insensitive). */
  readonly terminationDomain: string;
  /**
   * Countries enabled under Geo Permissions (ISO 3166-1 alpha-2, case-insensitive). Default: the
   * home country only.
   */
  readonly geoPermissions?: readonly string[] | undefined;
  /** The account's home country (ISO 3166-1 alpha-2). Default `'US'`. */
  readonly homeCountry?: string | undefined;
  /** Accept only the trunk's own termination domain, not any `*.zt.plivo.com`. Default `false`. */
  readonly strict?: boolean | undefined;
}

/** Plivo's trunk domain suffix: Refer-To hosts must end with it. */
export const PLIVO_DOMAIN_SUFFIX = '.zt.plivo.com';

/**
 * Plivo's Refer-To rules for an outbound trunk: targets are `sip:+E164@<host>` where the host ends
 * in `.zt.plivo.com` (only the trunk's own termination domain in strict mode), never a private or
 * reserved address, and the number's country is enabled under Geo Permissions (default: the
 * home country, itself `'US'` by default).
 *
 * @example
 * ```ts
 * const profile = plivoProfile({ terminationDomain: 'XXXXXXXXXXXX.zt.plivo.com', geoPermissions: ['US', 'CA'] });
 * ```
 */
export function plivoProfile(options: PlivoProfileOptions): TrunkProfile {
  // Options may come from untyped configuration: values of the wrong type fall back to defaults.
  const given = (options ?? {}) as Partial<Record<keyof PlivoProfileOptions, unknown>>;
  const homeCountry = typeof given.homeCountry === 'string' ? given.homeCountry.trim().toUpperCase() : 'US';
  const permissions = Array.isArray(given.geoPermissions)
    ? (given.geoPermissions as unknown[])
    : [homeCountry];
  const geoPermissions = [
    ...new Set(
      permissions.filter((c): c is string => typeof c === 'string').map((c) => c.trim().toUpperCase()),
    ),
  ];
  return {
    name: 'Plivo',
    domainSuffix: PLIVO_DOMAIN_SUFFIX,
    terminationDomain: normalizeDomain(
      typeof given.terminationDomain === 'string' ? given.terminationDomain : '',
    ),
    strict: given.strict === true,
    homeCountry,
    geoPermissions,
  };
}

/** @internal Lower-case, without a trailing dot. */
export function normalizeDomain(domain: string): string {
  const lower = asciiLower(domain.trim());
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
