/**
 * Type tests, checked by `tsc` in the typecheck task: what the public types accept and refuse.
 */
import {
  formatSipUri,
  parseSipUri,
  validateReferTo,
  plivoProfile,
  toTrunkReferVerdict,
} from '../src/index.js';
import type { ReferToError, ReferToErrorCode, SipUri, TrunkVerdict } from '../src/index.js';

// The contract's error codes are all there, and each maps to 400 or 403.
export const contractCodes: readonly ReferToErrorCode[] = [
  'MISSING',
  'MULTIPLE',
  'MALFORMED',
  'NOT_E164',
  'FOREIGN_DOMAIN',
  'PRIVATE_ADDRESS',
  'GEO_NOT_PERMITTED',
];
export const statusOf = (error: ReferToError): 400 | 403 => error.status;

// @ts-expect-error not an error code
export const unknownCode: ReferToErrorCode = 'NOPE';

// Results narrow on `ok`: the value exists only on success, the error only on failure.
export function targetOrReason(text: string): string {
  const result = validateReferTo(text, plivoProfile({ terminationDomain: 'x.zt.plivo.com' }));
  if (result.ok) return result.value.number;
  // @ts-expect-error no value on a failure
  void result.value;
  return result.error.message;
}

// The verdict has the shape of @referkit/core's TrunkReferVerdict.
type CoreTrunkReferVerdict =
  | { readonly ok: true; readonly target: string }
  | { readonly ok: false; readonly status: 400 | 403; readonly reason: string };
export const verdict: CoreTrunkReferVerdict = toTrunkReferVerdict(
  validateReferTo(undefined, plivoProfile({ terminationDomain: 'x.zt.plivo.com' })),
);
export const sameVerdict: TrunkVerdict = verdict;

// Optional URI fields accept an explicit undefined (callers under exactOptionalPropertyTypes).
const maybePort: number | undefined = undefined;
export const uri: SipUri = {
  scheme: 'sip',
  host: 'example.com',
  hostType: 'domain',
  port: maybePort,
  params: {},
  headers: {},
};
export const text: string = formatSipUri(uri);

// @ts-expect-error the scheme is one of sip, sips, tel
export const badScheme: SipUri['scheme'] = 'http';

export const parsedHost = (t: string): string | undefined => {
  const r = parseSipUri(t);
  return r.ok ? r.value.host : undefined;
};
