/**
 * Simulated phones: real SIP user agents with real RTP, one profile per number.
 *
 * @packageDocumentation
 */
export type {
  PhoneProfile,
  HeardSegment,
  PhoneCallState,
  PhoneCall,
  PhoneBankOptions,
  PhoneBank,
} from './types.js';
export { startPhoneBank, DEFAULT_PHONES, PhoneBankError } from './phone-bank.js';
export type { PhoneBankErrorCode } from './phone-bank.js';
export { HeardTracker, createRingbackSource } from './hearing.js';
export type { HeardTrackerOptions, RingbackSourceOptions } from './hearing.js';
