import type { TrunkReferVerdict } from '@referkit/core';
import { plivoProfile, toTrunkReferVerdict, validateReferTo } from '@referkit/validators';
import type { ReferToError, TrunkProfile } from '@referkit/validators';

/** What the trunk checks a `Refer-To` against. */
export interface ReferPolicy {
  /** The trunk's termination domain. */
  readonly domain: string;
  /** Countries (ISO 3166 alpha-2) enabled under Geo Permissions besides the home country; default none. */
  readonly geo?: readonly string[] | undefined;
  /** The account's home country (default `US`). */
  readonly homeCountry?: string | undefined;
}

/** The Plivo profile for a policy (`@referkit/validators`). */
export function profileOf(policy: ReferPolicy): TrunkProfile {
  const home = (policy.homeCountry ?? 'US').toUpperCase();
  return plivoProfile({
    terminationDomain: policy.domain,
    homeCountry: home,
    geoPermissions: [home, ...(policy.geo ?? [])],
  });
}

/** The verdict plus, when refused, the validator's explanation (it names the fix). */
export interface ReferDecision {
  readonly verdict: TrunkReferVerdict;
  readonly error: ReferToError | undefined;
  /** E.164 number of the target when accepted. */
  readonly number: string | undefined;
}

/**
 * The trunk's verdict on a REFER's `Refer-To` header lines (Plivo's rules, from
 * `@referkit/validators`): 400 for missing, repeated or malformed values and non-E.164 numbers;
 * 403 for a domain that is not a Plivo trunk domain, a private IP target, or a destination
 * outside Geo Permissions.
 */
export function referDecision(lines: readonly string[], profile: TrunkProfile): ReferDecision {
  const result = validateReferTo(lines, profile);
  const verdict = toTrunkReferVerdict(result);
  return {
    verdict,
    error: result.ok ? undefined : result.error,
    number: result.ok ? result.value.number : undefined,
  };
}
