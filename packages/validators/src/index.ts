// Public entry point: every export of this package is listed here.
export type { Result } from './result.js';
export { URI_ERROR_CODES, parseSipUri, formatSipUri } from './sip-uri.js';
export type { SipUri, SipUriScheme, SipHostType, UriError, UriErrorCode } from './sip-uri.js';
export { parseNameAddr, formatNameAddr, splitHeaderList } from './name-addr.js';
export type { NameAddr } from './name-addr.js';
export { classifyAddress, isPrivateAddress } from './address.js';
export type { AddressClass } from './address.js';
export { isE164, hasE164Syntax, countryOfNumber } from './phone.js';
export { PLIVO_DOMAIN_SUFFIX, plivoProfile } from './trunk-profile.js';
export type { TrunkProfile, PlivoProfileOptions } from './trunk-profile.js';
export { REFER_TO_ERRORS, validateReferTo, collectReferTo, toTrunkReferVerdict } from './refer-to.js';
export type {
  ReferToError,
  ReferToErrorCode,
  ReferToResult,
  ReferToTarget,
  TrunkVerdict,
} from './refer-to.js';
export { SIPFRAG_ERROR_CODES, REASON_PHRASES, parseSipfrag, buildSipfrag } from './sipfrag.js';
export type { Sipfrag, SipfragError, SipfragErrorCode } from './sipfrag.js';
export {
  HEADER_ERROR_CODES,
  parseEvent,
  formatEvent,
  parseSubscriptionState,
  formatSubscriptionState,
  parseReferSub,
  parseReferredBy,
} from './event-headers.js';
export type {
  EventHeader,
  HeaderError,
  HeaderErrorCode,
  ReferSub,
  ReferredBy,
  SubscriptionState,
} from './event-headers.js';
export { COMPACT_HEADER_NAMES, expandHeaderName } from './header-names.js';
export { resolveTransferTargets } from './transfer-targets.js';
export type {
  ResolvedTransferTarget,
  TransferTargetError,
  TransferTargetErrorCode,
  TransferTargetRules,
  TransferTargetSpec,
} from './transfer-targets.js';
