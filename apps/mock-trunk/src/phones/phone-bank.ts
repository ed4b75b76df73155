import type { PhoneBank, PhoneBankOptions, PhoneProfile } from './types.js';

/**
 * The lab's default numbers: customer `+14155550100` answers with 1000 Hz, `+14155550101` answers
 * with 800 Hz, `+14155550102` is busy (486), `+14155550103` rings until cancelled,
 * `+14155550104` declines (603).
 */
export const DEFAULT_PHONES: Readonly<Record<string, PhoneProfile>> = Object.freeze({
  '+14155550100': { kind: 'answer', toneHz: 1000 },
  '+14155550101': { kind: 'answer', toneHz: 800 },
  '+14155550102': { kind: 'busy' },
  '+14155550103': { kind: 'no-answer' },
  '+14155550104': { kind: 'decline' },
});

/**
 * Starts a bank of simulated phones: one SIP UA on an ephemeral UDP port that routes INVITEs by
 * Request-URI user to the phone with that number.
 */
export function startPhoneBank(options: PhoneBankOptions): Promise<PhoneBank> {
  return Promise.reject(
    new Error(`startPhoneBank: not implemented yet (${Object.keys(options.phones).length} phones)`),
  );
}
